"""The public pages of a draw: its page and JSON (`/undian/<office>/<release>/`, with the
commitment before and the full result after), the entry form, and an entry's own page
(its reference, pseudonym, the `YA <reference>` link while pending, and its result).

An entry's page is shown only to the browser that made the entry (its reference is kept
in the session, as the booking pages do); the draw's page shows pseudonyms only."""

import base64
import datetime as dt
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings import codes, notices
from bookings.applicant import Applicant
from bookings.models import Channel
from bookings.qr import text_qr_svg
from immigration.errors import DomainError, add_to_form
from immigration.ratelimit import allow, client_ip
from immigration.sensitive import sensitive_view
from offices.localtime import render_for_office
from release import selectors
from release.forms import DrawEntryForm
from release.models import Draw, DrawEntry
from release.services import draw_enter

SESSION_KEY = "draw_references"
ENTRIES_PER_MINUTE = 10
RESULTS_SHOWN = 500


def _draw(office_code: str, release: str) -> Draw:
    try:
        first_day = dt.date.fromisoformat(release)
    except ValueError as exc:
        raise Http404 from exc
    draw = (
        Draw.objects.select_related("office")
        .filter(office__code=office_code, first_day=first_day)
        .first()
    )
    if draw is None:
        raise Http404
    return draw


def draw_json(request, office: str, release: str):
    draw = _draw(office, release)
    response = HttpResponse(selectors.draw_public_json(draw=draw), content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"  # anyone may verify from anywhere
    return response


def _dated(result: dict) -> dict:
    """A published result with its day as a date, so the page writes it in the reader's
    language (the JSON keeps ISO dates, for machines)."""
    day = result["day"]
    return {**result, "date": dt.date.fromisoformat(day) if day else None}


def draw_page(request, office: str, release: str):
    draw = _draw(office, release)
    data = selectors.draw_public_cached(draw=draw)
    wanted = (request.GET.get("p") or "").strip().lower()[:16]
    results = data.get("results", [])
    mine = next((r for r in results if r["pseudonym"] == wanted), None) if wanted else None
    context = {
        "draw": draw,
        "data": data,
        "capacities": [
            (dt.date.fromisoformat(day), places)
            for day, places in sorted(data.get("capacities", {}).items())
        ],
        # The table is cached as rendered (per draw, state and language): its rows are
        # made only when it is rendered.
        "results": lambda: [_dated(r) for r in results[:RESULTS_SHOWN]],
        "cache_seconds": settings.DRAW_PAGE_CACHE_SECONDS,
        "more_results": max(len(results) - RESULTS_SHOWN, 0),
        "entries_count": len(data.get("entries", [])),
        "wanted": wanted,
        "mine": _dated(mine) if mine else None,
        "json_url": reverse("draw-json", args=[draw.office.code, draw.release]),
        "enter_url": reverse("draw-enter", args=[draw.office.code, draw.release]),
        "open": draw.opens_at <= timezone.now() < draw.closes_at and not draw.revealed,
    }
    return render_for_office(request, "release/draw.html", context, draw.office)


@sensitive_view
@require_http_methods(["GET", "POST"])
def enter(request, office: str, release: str):
    draw = _draw(office, release)
    now = timezone.now()
    days = [
        draw.first_day + dt.timedelta(days=n)
        for n in range((draw.last_day - draw.first_day).days + 1)
    ]
    labels = {day: notices.day_text(day) for day in days}
    form = DrawEntryForm(request.POST or None, days=days, day_labels=labels)
    context = {"draw": draw, "form": form}
    if request.method == "POST" and form.is_valid():
        if not allow(
            f"draw-enter:{client_ip(request)}", limit=ENTRIES_PER_MINUTE, window_seconds=60
        ):
            form.add_error(None, _("Too many requests from this connection; wait a minute."))
            return render_for_office(
                request, "release/enter.html", context, draw.office, status=429
            )
        try:
            entry = draw_enter(
                office=draw.office,
                applicants=[
                    Applicant(name, birth, nik or None) for name, birth, nik in form.people()
                ],
                preferences=form.days(),
                phone=form.cleaned_data["phone"],
                channel=Channel.WEB,
                language=request.LANGUAGE_CODE,
                service=form.cleaned_data["service"],
                now=now,
            )
        except DomainError as exc:
            add_to_form(form, exc, renames={"days": "day-1"})
        else:
            request.session[SESSION_KEY] = [entry.reference, *request.session.get(SESSION_KEY, [])][
                :10
            ]
            return redirect("draw-entry", reference=entry.reference)
    status = 400 if request.method == "POST" else 200
    return render_for_office(request, "release/enter.html", context, draw.office, status=status)


def confirm_text(entry: DrawEntry) -> str:
    return f"YA {entry.display_reference}"


@sensitive_view
def entry_page(request, reference: str):
    canonical = codes.canonical(reference)
    if canonical is None or canonical not in request.session.get(SESSION_KEY, []):
        raise Http404
    entry = DrawEntry.objects.select_related("draw__office").filter(reference=canonical).first()
    if entry is None:
        raise Http404
    office = entry.draw.office
    link = f"https://wa.me/{office.whatsapp_number.lstrip('+')}?text={quote(confirm_text(entry))}"
    svg = text_qr_svg(link)
    context = {
        "entry": entry,
        "draw": entry.draw,
        "confirm_text": confirm_text(entry),
        "confirm_url": link,
        "confirm_qr": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        "draw_url": reverse("draw-page", args=[office.code, entry.draw.release]),
    }
    return render_for_office(request, "release/entry.html", context, office)
