"""The applicant's pages: book (`/pesan/`), the confirmation, and check or cancel (`/cek/`).

A booking made here is a hold until the applicant confirms it by WhatsApp from the
number they typed: the confirmation page then shows the click-to-chat button (and the
same link as a QR), how long is left, and refreshes itself until the hold turns into
the booking (or lapses). It works with JavaScript off.

Server-rendered and usable with JavaScript off: choosing an office and a day are plain
links and GET forms; booking is one POST. Birth dates never travel in URLs, and error
reports show none of what these pages receive (immigration.sensitive).
"""

import calendar
import datetime as dt
import math

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bookings import codes, holds
from bookings.applicant import Applicant
from bookings.forms import BookingForm, LookupForm
from bookings.ics import booking_ics
from bookings.models import Booking, BookingStatus, Channel
from bookings.notices import what_to_bring
from bookings.selectors import (
    booking_can_cancel,
    booking_replacement,
    booking_reschedule_refusal,
)
from bookings.services import (
    Actor,
    booking_cancel,
    booking_create_family,
    booking_for_applicant,
    booking_reschedule,
)
from immigration.errors import DomainError, add_to_form, page_refusal, retry_after
from immigration.language import language_switch, remember_language, typed_values
from immigration.ratelimit import allow, client_ip
from immigration.sensitive import sensitive_view
from offices import schedule
from offices.contacts import NO_HOLDS_MESSAGE, office_takes_holds
from offices.localtime import render_for_office
from offices.selectors import (
    DayState,
    active_offices,
    office_availability,
    office_availability_cached,
    office_with_code,
)
from offices.services import planned_slot_value, slot_id_for_choice

BOOKINGS_PER_MINUTE = 10
SESSION_KEY = "booked_codes"


def _offices_by_province():
    groups: dict[str, list] = {}
    for office in active_offices().order_by("province", "name"):
        groups.setdefault(office.province, []).append(office)
    return sorted(groups.items())


def _month(office, text: str | None, now) -> dt.date:
    today = schedule.local_today(office, now)
    try:
        first = dt.date.fromisoformat(f"{text}-01") if text else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    # From this month to the one the booking window reaches.
    latest = (today + dt.timedelta(days=office.booking_window_days)).replace(day=1)
    return min(max(first, today.replace(day=1)), latest)


def _calendar(office, month: dt.date, now) -> tuple[list, dict]:
    """The month's weeks for the template, and each day's availability by date."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    shown = office_availability_cached(office=office, start=month, end=last, now=now)
    days = {d.date: d for d in shown}
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([days.get(day) if day.month == month.month else None for day in week])
    return weeks, days


def _slot_choices(office, day: dt.date, now, known=None):
    """The day's bookable times as (slot id, label). `known`: the day's availability
    when the month shown already has it (no second read of the calendar)."""
    availability = known or office_availability(office=office, start=day, end=day, now=now)[0]
    if availability.state != DayState.OPEN:
        return availability, []
    # A day with no slot rows yet (released, not yet reached by the beat job) names
    # its times by their start: a GET writes nothing. The booking's POST creates them.
    zone = schedule.office_zone(office)
    choices = []
    for slot in availability.slots:
        slot_id = slot.slot_id or planned_slot_value(slot.starts_at)
        if slot.remaining <= 0:
            continue
        label = _("%(time)s %(zone)s (%(left)d left)") % {
            "time": f"{slot.starts_at.astimezone(zone):%H:%M}",
            "zone": office.zone_label,
            "left": slot.remaining,
        }
        choices.append((slot_id, label))
    return availability, choices


@sensitive_view
@require_http_methods(["GET", "POST"])
def book(request):
    """The booking page; its GETs are served from the cache for a moment by
    bookings.page_cache.BookingPageCacheMiddleware."""
    now = timezone.now()
    switched = language_switch(request)
    source = request.POST if request.method == "POST" else request.GET
    office = office_with_code(active_offices(), source.get("office"))
    context = {"provinces": _offices_by_province(), "office": office}
    if office is None:
        if request.method == "POST":
            # Only a tampered or stale form posts an office that is not on the list.
            context["error"] = _("That office does not take bookings here; choose it again.")
            return render_for_office(request, "bookings/book.html", context, office, status=400)
        return render_for_office(request, "bookings/book.html", context, office)
    if not office_takes_holds(office):
        # No calendar and no form: a booking here could never be confirmed. The page
        # says why and what to do instead (a POST from a stale page books nothing).
        context["no_holds"] = NO_HOLDS_MESSAGE % {"office": office.name}
        return render_for_office(request, "bookings/book.html", context, office)

    # A posted form's calendar shows the month of its day.
    month = _month(office, request.GET.get("month") or source.get("date", "")[:7], now)
    weeks, month_days = _calendar(office, month, now)
    context.update(
        month=month,
        weeks=weeks,
        has_draw_days=any(d.state == DayState.BY_DRAW for d in month_days.values()),
        previous_month=(month - dt.timedelta(days=1)).replace(day=1),
        can_go_back=month > schedule.local_today(office, now).replace(day=1),
        next_month=(month + dt.timedelta(days=32)).replace(day=1),
    )
    try:
        day = dt.date.fromisoformat(source.get("date", ""))
    except ValueError:
        if request.method == "POST":
            context["error"] = _("That day could not be read; choose it in the calendar.")
            return render_for_office(request, "bookings/book.html", context, office, status=400)
        return render_for_office(request, "bookings/book.html", context, office)

    availability, slots = _slot_choices(office, day, now, known=month_days.get(day))
    initial = {"office": office.code, "date": day.isoformat()}
    today = schedule.local_today(office, now)
    # The form the language buttons submit, when the page shows one.
    lang_form = "booking-form" if availability.state == DayState.OPEN else None
    if switched:
        # The ID/EN buttons submit this form: draw it again in the new language with
        # what was typed, and book nothing.
        form = BookingForm(slots=slots, initial={**initial, **typed_values(request)}, today=today)
        context.update(day=availability, form=form, lang_form=lang_form)
        return remember_language(
            render_for_office(request, "bookings/book.html", context, office), switched
        )
    form = BookingForm(request.POST or None, slots=slots, initial=initial, today=today)
    context.update(day=availability, form=form, lang_form=lang_form)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            raise Http404  # a bot; tell it nothing
        if not allow(
            f"book-page:{client_ip(request)}", limit=BOOKINGS_PER_MINUTE, window_seconds=60
        ):
            form.add_error(None, _("Too many bookings from this connection; wait a minute."))
        else:
            data = form.cleaned_data
            people = [Applicant(data["name"], data["birth_date"], data["nik"] or None)] + [
                Applicant(name, birth, nik or None) for name, birth, nik, _claim in form.family()
            ]
            claims = [data["priority"]] + [claim for *_person, claim in form.family()]
            try:
                bookings = booking_create_family(
                    office=office,
                    date=day,
                    applicants=people,
                    phone=data["phone"],
                    actor=Actor.applicant(Channel.WEB),
                    service=data["service"],
                    slot_id=slot_id_for_choice(office=office, day=day, value=data["slot"]),
                    language=translation.get_language()[:2],
                    now=now,
                    hold_client=holds.hold_client(address=client_ip(request)),
                    priority=claims,
                )
            except DomainError as exc:
                add_to_form(form, exc)
                page = render_for_office(request, "bookings/book.html", context, office)
                return page_refusal(page, exc)  # busy: 503 with Retry-After, not 200
            else:
                request.session[SESSION_KEY] = [b.code for b in bookings]
                return redirect("booking-confirmation", code=bookings[0].code)
    return render_for_office(request, "bookings/book.html", context, office, status=200)


def _session_bookings(request, code: str) -> list[Booking]:
    """The bookings this browser just made (the confirmation needs no birth date)."""
    allowed = request.session.get(SESSION_KEY, [])
    canonical = codes.canonical(code)
    if canonical not in allowed:
        raise Http404
    bookings = (
        Booking.objects.select_related("office", "slot", "rescheduled_from")
        .filter(code__in=allowed)
        .order_by("queue_seq")
    )
    return list(bookings)


# The hold page asks again this often (meta refresh: no JavaScript needed).
HOLD_REFRESH_SECONDS = 10


def _present(booking: Booking, now: dt.datetime | None = None) -> dict:
    zone = schedule.office_zone(booking.office)
    item = {
        "booking": booking,
        "start": booking.slot.starts_at.astimezone(zone),
        "arrive": booking.arrive_by.astimezone(zone),
        "bring": what_to_bring(booking),
        "qr_url": reverse("api:booking-qr", kwargs={"code": booking.code, "fmt": "svg"}),
        # The QR opens the door: shown only while the booking can still be used (a
        # hold is not valid at the door until the phone confirms it).
        "show_qr": booking.status == BookingStatus.BOOKED,
        "held": booking.hold_is_live(now or timezone.now()),
    }
    if item["held"]:
        item.update(_hold(booking, now or timezone.now()))
    return item


def _hold(booking: Booking, now: dt.datetime) -> dict:
    left = booking.hold_expires_at - now
    return {
        "confirm_text": holds.confirm_text(booking),
        "confirm_url": holds.confirm_url(booking),
        "confirm_qr": holds.confirm_qr_data_uri(booking),
        "minutes_left": max(1, math.ceil(left.total_seconds() / 60)),
        "hold_until": booking.hold_expires_at.astimezone(schedule.office_zone(booking.office)),
    }


@sensitive_view
def confirmation(request, code: str):
    """The hold page while the phone has not confirmed (refreshing itself), then the
    confirmed bookings; a hold that lapsed says so and offers to book again."""
    now = timezone.now()
    bookings = _session_bookings(request, code)
    items = [_present(b, now) for b in bookings]
    waiting = [item for item in items if item["held"]]
    context = {
        "items": [item for item in items if item["booking"].queue_seq is not None],
        "lapsed": [
            item["booking"]
            for item in items
            if not item["held"] and item["booking"].queue_seq is None
        ],
    }
    office = bookings[0].office if bookings else None
    if waiting:
        context.update(hold=waiting[0], waiting=waiting, refresh_seconds=HOLD_REFRESH_SECONDS)
        return render_for_office(request, "bookings/hold.html", context, office)
    return render_for_office(request, "bookings/confirmation.html", context, office)


@sensitive_view
def ics(request, code: str):
    """An .ics event for the visit, so the phone's calendar reminds the applicant."""
    canonical = codes.canonical(code)
    booking = next((b for b in _session_bookings(request, code) if b.code == canonical), None)
    if booking is None or booking.queue_seq is None:
        raise Http404  # a hold has no appointment yet
    body = booking_ics(booking, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="paspor-{booking.code}.ics"'
    return response


@sensitive_view
@require_http_methods(["GET", "POST"])
def check(request):
    """Look a booking up with code + birth date (POST: the birth date stays out of the
    URL), then cancel it (after a confirming second page) or move it.

    What is offered is asked of `bookings.selectors`, the rules the services enforce.
    An old code of a moved booking leads its owner (who gave the birth date) to the
    booking that replaced it."""
    switched = language_switch(request)
    action = "show" if switched else request.POST.get("action", "show")
    form = LookupForm(request.POST or None)
    context = {"form": form, "lang_form": "check-form"}
    if switched and not form.is_valid():
        context["form"] = LookupForm(initial=typed_values(request))
        return remember_language(render(request, "bookings/check.html", context), switched)
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_for_applicant(
                code=form.cleaned_data["code"],
                birth_date=form.cleaned_data["birth_date"],
                client=f"ip:{client_ip(request)}",
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            if retry_after(exc) is not None:  # locked out, or the lockout unreadable
                return page_refusal(render(request, "bookings/check.html", context), exc)
        else:
            replacement = booking_replacement(booking)
            if replacement is not None:
                context["replaced"], booking = booking, replacement
            response = _check_action(request, form, booking, action, context)
            if response is not None:
                return response
    response = render_for_office(
        request, "bookings/check.html", context, getattr(context.get("booking"), "office", None)
    )
    return remember_language(response, switched) if switched else response


def _check_action(request, form, booking, action: str, context: dict):
    """Carry out /cek/'s chosen action on the applicant's booking; a redirect when it
    leads to another page, else None with the context filled for check.html."""
    actor = Actor.applicant(Channel.WEB)
    if action == "cancel" and booking_can_cancel(booking=booking):
        context["confirm_cancel"] = True  # the second page: nothing changes yet
    elif action == "cancel_confirmed":
        try:
            booking = booking_cancel(booking=booking, actor=actor)
            context["cancelled"] = True
        except DomainError as exc:
            form.add_error(None, exc.message)
    elif action == "reschedule":
        try:
            new_date = dt.date.fromisoformat(request.POST.get("new_date", ""))
        except ValueError:
            form.add_error(None, _("Choose the new day in the date box, then press Move."))
        else:
            try:
                moved = booking_reschedule(booking=booking, date=new_date, actor=actor)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[SESSION_KEY] = [moved.code]
                return redirect("booking-confirmation", code=moved.code)
    refusal = booking_reschedule_refusal(booking=booking)
    presented = _present(booking)
    today = schedule.local_today(booking.office, timezone.now())
    context.update(
        presented,
        item=presented,
        can_cancel=booking_can_cancel(booking=booking),
        can_reschedule=refusal is None,
        # The date picker's bounds (the service checks the day itself).
        move_min=today + dt.timedelta(days=1),
        move_max=today + dt.timedelta(days=booking.office.booking_window_days),
        # Why not, said only of a booking still to be used (a cancelled one needs no reason).
        reschedule_refusal=refusal.message
        if refusal is not None and booking.status == BookingStatus.BOOKED
        else "",
    )
    return None
