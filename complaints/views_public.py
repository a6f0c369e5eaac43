"""The public pages: report (`/lapor/`), and follow a report by its tracking code."""

from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings import codes
from complaints.forms import InformationForm, ReportForm, TrackForm
from complaints.services import (
    complaint_add_information,
    complaint_for_reporter,
    complaint_submit,
    uploads_from,
)
from immigration.errors import DomainError, add_to_form, page_refusal
from immigration.ratelimit import allow, client_ip
from immigration.sensitive import sensitive_view
from offices.localtime import render_for_office
from offices.models import Office

REPORTS_PER_HOUR = 10


@sensitive_view
@require_http_methods(["GET", "POST"])
def report(request):
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            raise Http404  # a bot: say nothing useful
        if not allow(
            f"complaint-page:{client_ip(request)}", limit=REPORTS_PER_HOUR, window_seconds=3600
        ):
            form.add_error(None, _("Too many reports from this connection; try again in an hour."))
        else:
            values = dict(form.cleaned_data)
            values.pop("website")
            office = Office.objects.get(code=values.pop("office"), is_active=True)
            uploads = uploads_from(values.pop("evidence"))
            try:
                complaint = complaint_submit(
                    office=office, uploads=uploads, channel="web", **values
                )
            except DomainError as exc:
                add_to_form(form, exc, renames={"phone": "reporter_phone"})
                # A storage outage is a 503 with Retry-After, not a 200 with a form error.
                return page_refusal(
                    render(
                        request, "complaints/report.html", {"form": form, "track_form": TrackForm()}
                    ),
                    exc,
                )
            else:
                request.session["last_report"] = complaint.tracking_code
                return redirect("complaint-track", code=complaint.tracking_code)
    return render(request, "complaints/report.html", {"form": form, "track_form": TrackForm()})


def track_lookup(request):
    form = TrackForm(request.GET or None)
    if form.is_valid():
        code = codes.canonical(form.cleaned_data["code"])
        if code:
            return redirect("complaint-track", code=code)
        form.add_error("code", _("This is not a tracking code."))
    return render(request, "complaints/report.html", {"form": ReportForm(), "track_form": form})


TRACK_VIEWS_PER_HOUR = 120


@sensitive_view
@require_http_methods(["GET", "POST"])
def track(request, code: str):
    if not allow(
        f"complaint-track:{client_ip(request)}", limit=TRACK_VIEWS_PER_HOUR, window_seconds=3600
    ):
        return render(request, "429.html", status=429)
    try:
        complaint = complaint_for_reporter(tracking_code=code)
    except DomainError as exc:
        # A mistyped code: the lookup form again, saying what went wrong (404, so a
        # guessed code learns nothing a real one would not).
        form = TrackForm({"code": code})
        if form.is_valid():
            form.add_error("code", exc.message)
        return render(
            request,
            "complaints/report.html",
            {"form": ReportForm(), "track_form": form},
            status=404,
        )
    form = InformationForm(request.POST or None, request.FILES or None)
    added, refused = False, None
    if request.method == "POST" and form.is_valid():
        try:
            complaint_add_information(
                complaint=complaint,
                text=form.cleaned_data["text"],
                uploads=uploads_from(form.cleaned_data["evidence"]),
            )
        except DomainError as exc:
            add_to_form(form, exc, renames={"phone": "reporter_phone"})
            refused = exc
        else:
            added, form = True, InformationForm()
    # What the office tells the reporter, and what the reporter added themselves.
    events = complaint.events.filter(
        (~Q(public_note="") & ~Q(to_status="")) | Q(by_reporter=True)
    ).order_by("created_at", "pk")
    page = render_for_office(
        request,
        "complaints/track.html",
        {
            "complaint": complaint,
            "events": events,
            "form": form,
            "added": added,
            "just_filed": request.session.pop("last_report", None) == complaint.tracking_code,
        },
        complaint.office,
    )
    return page_refusal(page, refused) if refused is not None else page
