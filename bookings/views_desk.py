"""The front desk: the door (check-in by scanned or typed code), today's queue with
"call next" per counter, the counter page of one officer, and the waiting-room board.

Staff pages act for the officer's own office; headquarters staff choose the office
(a picker, then `?office=`). Every time on these pages is in the office's zone. The
board is public and shows numbers only, never names.
"""

import re

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from bookings import codes
from bookings.models import (
    Booking,
    BookingStatus,
    Channel,
    CounterCall,
    CounterService,
    OutOfTurnReason,
    PriorityCategory,
    PriorityTicket,
)
from bookings.services import (
    Actor,
    booking_check_in,
    booking_record_submission,
    counter_latest_call,
    fees_in_force,
    priority_ticket_issue,
    queue_call_next,
)
from immigration.errors import DomainError, NotFoundError
from offices import schedule
from offices.localtime import render_for_office
from offices.models import Office
from offices.roles import ISSUE_TICKETS, MOVE_BOOKINGS, VIEW_BOOKINGS, may
from offices.scoping import offices_for_user
from offices.selectors import office_with_code


def _require(request, permission: str) -> None:
    """The officer's role must allow this (offices/roles.py), as in the admin and API."""
    if not may(request.user, permission):
        raise PermissionDenied(_("Your role does not allow this."))


def _desk_office(request) -> tuple[Office | None, str | None]:
    """The office a desk page acts for, or (None, why) when the officer must choose
    one: headquarters staff reach every office and name it with `?office=`. A staff
    user who reaches no office at all is refused outright."""
    offices = offices_for_user(request.user).filter(is_active=True)
    code = request.GET.get("office") or request.POST.get("office")
    if code:
        office = office_with_code(offices, code)
        if office is None:
            return None, _("You do not work for that office; choose one of yours.")
        return office, None
    mine = list(offices[:2])
    if not mine:
        raise PermissionDenied(
            _("Your account is not linked to an office. Ask an administrator to link it.")
        )
    if len(mine) == 1:
        return mine[0], None
    return None, None


def _choose_office(request, reason: str | None):
    """The office picker for staff who reach several offices (headquarters); with
    a reason (403) when the office asked for is out of the officer's reach."""
    offices = offices_for_user(request.user).filter(is_active=True).order_by("province", "name")
    return render(
        request,
        "desk/choose_office.html",
        {"offices": offices, "reason": reason, "next": request.path},
        status=403 if reason else 200,
    )


def call_message(call: CounterCall | None) -> str:
    """What the officer reads after "call next"."""
    if call is None:
        return _("Nobody is waiting.")
    return _("%(number)s: please go to counter %(counter)d") % {
        "number": call.number,
        "counter": call.counter,
    }


@never_cache
@staff_member_required
@require_http_methods(["GET", "POST"])
def door(request):
    office, reason = _desk_office(request)
    if office is None:
        return _choose_office(request, reason)
    _require(request, MOVE_BOOKINGS if request.method == "POST" else VIEW_BOOKINGS)
    context = {"office": office}
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            booking = booking_check_in(
                office=office, code=code, actor=Actor.staff(request.user, Channel.DESK)
            )
        except DomainError as exc:
            context.update(ok=False, reason=exc.message, code=code)
        else:
            context.update(ok=True, booking=booking)
    return render_for_office(request, "desk/door.html", context, office)


@never_cache
@staff_member_required
@require_http_methods(["GET", "POST"])
def queue(request):
    office, reason = _desk_office(request)
    if office is None:
        return _choose_office(request, reason)
    _require(request, VIEW_BOOKINGS)
    actor = Actor.staff(request.user, Channel.DESK)
    if request.method == "POST":
        ok = True
        ticket_wanted = request.POST.get("action") == "ticket"
        _require(request, ISSUE_TICKETS if ticket_wanted else MOVE_BOOKINGS)
        try:
            if ticket_wanted:
                ticket = priority_ticket_issue(
                    office=office, category=request.POST.get("category", ""), actor=actor
                )
                message = _("Priority ticket %(number)s issued.") % {"number": ticket.number}
            else:
                try:
                    counter = int(request.POST.get("counter", "0") or 0)
                except ValueError:
                    counter = 0
                message = call_message(queue_call_next(office=office, counter=counter, actor=actor))
        except DomainError as exc:
            ok, message = False, str(exc.message)
        request.session["desk_message"] = [str(message), ok]
        return redirect(f"{request.path}?office={office.code}")
    today = schedule.local_today(office, timezone.now())
    bookings = (
        Booking.objects.filter(office=office, date=today)
        .select_related("slot")
        .order_by("queue_seq")
    )
    counts = dict(bookings.values_list("status").annotate(n=Count("pk")))
    flash = request.session.pop("desk_message", None)
    if isinstance(flash, str):  # written before flashes carried their kind
        flash = [flash, True]
    context = {
        "office": office,
        "today": today,
        "bookings": bookings,
        "counts": [(BookingStatus(s).label, counts.get(s, 0)) for s in BookingStatus.values],
        "tickets": PriorityTicket.objects.filter(office=office, date=today).order_by("seq"),
        "categories": PriorityCategory.choices,
        "message": flash[0] if flash else None,
        "message_ok": flash[1] if flash else True,
        "counters": range(1, 7),
    }
    return render_for_office(request, "desk/queue.html", context, office)


@never_cache
def board(request, code: str):
    """For a TV in the hall: what each counter called last and who is next. Refreshes
    itself every 5 seconds (no JavaScript needed)."""
    office = get_object_or_404(Office, code=code, is_active=True)
    today = schedule.local_today(office, timezone.now())
    calls = CounterCall.objects.filter(office=office, date=today).select_related(
        "booking", "ticket"
    )
    latest: dict[int, CounterCall] = {}
    for call in calls.order_by("-called_at")[:200]:
        latest.setdefault(call.counter, call)
    waiting_tickets = PriorityTicket.objects.filter(
        office=office, date=today, call__isnull=True
    ).order_by("seq")[:3]
    waiting = Booking.objects.filter(
        office=office, date=today, status=BookingStatus.CHECKED_IN, call__isnull=True
    ).order_by("queue_seq")[:5]
    context = {
        "office": office,
        "counters": sorted(latest.items()),
        "next_numbers": [t.number for t in waiting_tickets] + [b.queue_number for b in waiting],
    }
    return render_for_office(request, "desk/board.html", context, office)


# --- the counter: serve in turn, or out of turn with a reason ----------------------------


def _counter_number(request) -> int | None:
    raw = request.POST.get("counter") or request.GET.get("counter") or ""
    return int(raw) if re.fullmatch(r"[0-9]{1,2}", raw) and 1 <= int(raw) <= 50 else None


def _booking_at(office: Office, code: str) -> Booking:
    """A booking of this office by its code; any other office's code is unknown here."""
    canonical = codes.canonical(code)
    found = Booking.objects.select_related("office", "slot").filter(office=office)
    booking = found.filter(code=canonical).first() if canonical else None
    if booking is None:
        raise NotFoundError(
            code="booking_not_found", message=_("No booking of this office has this code.")
        )
    return booking


def _counter_post(request, office: Office, counter: int) -> tuple[str, bool]:
    """Run the officer's action; (message, ok)."""
    actor = Actor.staff(request.user, Channel.DESK)
    try:
        if request.POST.get("action") == "call":
            call = queue_call_next(office=office, counter=counter, actor=actor)
            if call is None:
                return _("Nobody is waiting."), True
            return _("Called %(number)s to counter %(counter)d.") % {
                "number": call.number,
                "counter": counter,
            }, True
        booking = booking_record_submission(
            booking=_booking_at(office, request.POST.get("code", "")),
            fee_code=request.POST.get("fee", ""),
            billing_code=request.POST.get("billing_code", ""),
            counter=counter,
            out_of_turn_reason=request.POST.get("out_of_turn_reason", ""),
            out_of_turn_note=request.POST.get("out_of_turn_note", ""),
            actor=actor,
        )
    except DomainError as exc:
        return str(exc.message), False
    return _("%(number)s served: documents submitted.") % {"number": booking.queue_number}, True


@never_cache
@staff_member_required
@require_http_methods(["GET", "POST"])
def counter(request):
    """The page of the officer at one counter: who is called here, "call next", the
    submission in turn, the out-of-turn form that needs a reason, the fees in force and
    what this counter served today. Times in the office's zone, with its label."""
    office, reason = _desk_office(request)
    if office is None:
        return _choose_office(request, reason)
    _require(request, VIEW_BOOKINGS)
    number = _counter_number(request)
    base = f"{request.path}?office={office.code}"
    error = None
    if request.method == "POST":
        _require(request, MOVE_BOOKINGS)
        if number is None:
            error = str(_("Unknown counter."))
        else:
            message, ok = _counter_post(request, office, number)
            if ok:
                request.session["desk_message"] = message
                return redirect(f"{base}&counter={number}")
            error = message
    now = timezone.now()
    today = schedule.local_today(office, now)
    context = {
        "office": office,
        "today": today,
        "counter": number,
        "counters": range(1, 11),
        "message": request.session.pop("desk_message", None),
        "error": error,
        "posted": request.POST if error else {},
        "fees": fees_in_force(office=office, now=now),
        "reasons": OutOfTurnReason.choices,
        "zone": office.zone_label,
    }
    if number is not None:
        call = counter_latest_call(office=office, counter=number, day=today)
        # The counter's latest call, still to be served: offered as the in-turn
        # submission. The service judges the turn again when it is recorded.
        serving = None
        if call is not None and call.booking_id and call.booking.status == BookingStatus.CHECKED_IN:
            serving = call.booking
        context.update(
            call=call,
            serving=serving,
            waiting=Booking.objects.filter(
                office=office, date=today, status=BookingStatus.CHECKED_IN, call__isnull=True
            )
            .select_related("slot")
            .order_by("queue_seq")[:10],
            waiting_tickets=PriorityTicket.objects.filter(
                office=office, date=today, call__isnull=True
            ).order_by("seq")[:5],
            served=CounterService.objects.filter(office=office, date=today, counter=number)
            .select_related("booking")
            .order_by("-served_at")[:30],
        )
    return render_for_office(
        request, "desk/counter.html", context, office, status=400 if error else 200
    )
