"""The waiting list's public pages. /tunggu/: join a full day's list from the web.
/cek/tunggu/: look a request up (reference + a birth date of one of its people), see
its position, and leave the list."""

import datetime as dt

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from bookings.applicant import Applicant
from bookings.forms import BIRTH_DATE_ERRORS, ErrorSummaryMixin
from bookings.models import Channel
from immigration.errors import DomainError, add_to_form, page_refusal, retry_after
from immigration.ratelimit import allow, client_ip
from immigration.sensitive import sensitive_view
from offices.localtime import render_for_office
from offices.selectors import active_offices, office_with_code
from waitlist import confirm
from waitlist.models import RequestState
from waitlist.services import (
    waitlist_for_applicant,
    waitlist_join,
    waitlist_leave,
    waitlist_open_offer,
    waitlist_position,
)


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
            context.update(
                item=item,
                position=waitlist_position(request=item),
                offer=waitlist_open_offer(request=item),
            )
            if item.state == RequestState.PENDING:
                context.update(
                    confirm_text=confirm.confirm_text(item), confirm_url=confirm.confirm_url(item)
                )
    office = context["item"].office if "item" in context else None
    return render_for_office(request, "waitlist/check.html", context, office)


class WaitlistJoinForm(ErrorSummaryMixin, forms.Form):
    office = forms.SlugField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Full name (as on your KTP)"), max_length=200)
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=BIRTH_DATE_ERRORS,
    )
    phone = forms.CharField(
        label=_("Your WhatsApp number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


def _day(text: str | None) -> dt.date | None:
    """The day the page is for, to name it; None when the query has none (the form
    then says what is wrong)."""
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


@sensitive_view
@require_http_methods(["GET", "POST"])
def join(request):
    """A full day's waiting list from the web: the request waits for `YA <ref>` from
    the typed WhatsApp number (as a hold does), and only then takes its place."""
    source = request.POST if request.method == "POST" else request.GET
    office = office_with_code(active_offices(), source.get("office"))
    if office is None:
        raise Http404
    form = WaitlistJoinForm(request.POST or None, initial=dict(source.items()))
    context = {"form": form, "office": office, "day": _day(source.get("date"))}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not allow(f"waitlist-page:{client_ip(request)}", limit=10, window_seconds=60):
            form.add_error(None, _("Too many requests from this connection; wait a minute."))
        else:
            try:
                item = waitlist_join(
                    office=office,
                    date=data["date"],
                    applicants=[Applicant(data["name"], data["birth_date"])],
                    phone=data["phone"],
                    phone_verified=False,
                    channel=Channel.WEB,
                    language=translation.get_language()[:2],
                )
            except DomainError as exc:
                add_to_form(form, exc)
            else:
                context.update(
                    item=item,
                    confirm_text=confirm.confirm_text(item),
                    confirm_url=confirm.confirm_url(item),
                )
    return render_for_office(request, "waitlist/join.html", context, office)
