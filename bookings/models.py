"""Slots and bookings: allocation, codes, queue numbers and the booking lifecycle.

The models arrive with the bookings issue; this module exists so the app is complete
and migrations have a home.
"""
