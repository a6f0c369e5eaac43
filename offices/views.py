"""The home page: how to book, and each office's real WhatsApp number."""

from django.shortcuts import render

from offices.contacts import whatsapp_directory


def home(request):
    return render(request, "home.html", {"directory": whatsapp_directory()})
