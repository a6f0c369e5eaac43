"""/cek/tunggu/: an applicant looks up their waiting-list request (reference + a birth
date of one of its people), sees its position, and may leave the list."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from bookings.forms import BIRTH_DATE_ERRORS, ErrorSummaryMixin
from immigration.errors import DomainError, page_refusal, retry_after
from immigration.ratelimit import client_ip
from immigration.sensitive import sensitive_view
from offices.localtime import render_for_office
from waitlist.services import waitlist_for_applicant, waitlist_leave, waitlist_position


class WaitlistLookupForm(ErrorSummaryMixin, forms.Form):
    ref = forms.CharField(
        label=_("Waiting-list reference"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=BIRTH_DATE_ERRORS,
    )


@sensitive_view
@require_http_methods(["GET", "POST"])
def check(request):
    form = WaitlistLookupForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            item = waitlist_for_applicant(
                ref=form.cleaned_data["ref"],
                birth_date=form.cleaned_data["birth_date"],
                client=f"ip:{client_ip(request)}",
            )
            if request.POST.get("action") == "leave":
                item = waitlist_leave(request=item)
                context["left"] = True
        except DomainError as exc:
            form.add_error(None, exc.message)
            if retry_after(exc) is not None:
                return page_refusal(render(request, "waitlist/check.html", context), exc)
        else:
            context.update(item=item, position=waitlist_position(request=item))
    office = context["item"].office if "item" in context else None
    return render_for_office(request, "waitlist/check.html", context, office)
