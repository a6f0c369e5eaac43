"""The office desk: check-in at the door and its refusals, priority tickets, the
counter queue (`queue_call_next`, in-turn service), the passport's submission with its
fee, payment, ready and collected.

Locks taken here: the booking row (`_lock`); `queue_call_next` locks the next booking
row with SKIP LOCKED."""

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes, notices
from bookings.models import (
    Booking,
    CounterCall,
    CounterService,
    OutOfTurnReason,
    PriorityCategory,
    PriorityTicket,
)
from bookings.services.actor import Actor, S, _local_time, _lock, _minutes, _transition
from bookings.services.fees import fee_current
from immigration.errors import ConflictError, DomainError, NotFoundError
from immigration.locks import bound_lock_waits
from offices import schedule
from offices.models import Office
from offices.selectors import office_calendar


def booking_check_in(
    *, office: Office, code: str, actor: Actor, now: dt.datetime | None = None
) -> Booking:
    """Admit a booking at the door of `office`, or refuse with the reason.

    Another office's code is "no booking has this code", exactly like a code that does
    not exist: the door (and every key or officer behind it) learns nothing of other
    offices' bookings. A late booking is forfeited here and now (committed before the
    refusal is raised), whether or not the no-show sweep has run. Locks the booking row.
    """
    now = now or timezone.now()
    canonical = codes.canonical(code)
    if canonical is None:
        raise NotFoundError(code="booking_not_found", message=_("This is not a booking code."))
    with transaction.atomic():
        bound_lock_waits()
        booking = (
            Booking.objects.select_for_update()
            .select_related("slot", "office")
            .filter(code=canonical, office=office)
            .first()
        )
        if booking is None:
            raise NotFoundError(code="booking_not_found", message=_("No booking has this code."))
        refusal = _door_refusal(booking, office, now)
        if refusal is None:
            return _transition(booking, S.CHECKED_IN, actor)
        if refusal.code == "too_late":
            _transition(booking, S.EXPIRED, Actor.system(), note=gettext_noop("late at the door"))
            notices.notify_expired(booking)
    raise refusal


def _door_refusal(booking: Booking, office: Office, now: dt.datetime) -> DomainError | None:
    if booking.status == S.CANCELLED:
        return ConflictError(code="cancelled", message=_("This booking was cancelled."))
    if booking.status in (S.HELD, S.RELEASED):
        return ConflictError(
            code="not_confirmed",
            message=_(
                "This booking was never confirmed from its WhatsApp number; it is not valid."
            ),
        )
    if booking.status == S.EXPIRED:
        return ConflictError(
            code="expired",
            message=_("This booking was forfeited: the applicant did not come in time."),
        )
    if booking.status != S.BOOKED:
        return ConflictError(
            code="already_checked_in", message=_("This booking has already been checked in.")
        )
    today = schedule.local_today(office, now)
    if booking.date != today:
        return ConflictError(
            code="wrong_day",
            message=_("This booking is for %(date)s, not today.")
            % {"date": notices.day_text(booking.date)},
        )
    opens = booking.slot.starts_at - _minutes(settings.BOOKING_CHECK_IN_OPENS_MINUTES)
    if now < opens:
        return ConflictError(
            code="too_early",
            message=_("Too early: entry opens at %(time)s.") % {"time": _local_time(office, opens)},
        )
    if now > booking.expires_at:
        return ConflictError(
            code="too_late",
            message=_("Too late: the %(time)s booking was forfeited at %(expired)s.")
            % {
                "time": _local_time(office, booking.slot.starts_at),
                "expired": _local_time(office, booking.expires_at),
            },
        )
    return None


@transaction.atomic
def priority_ticket_issue(
    *, office: Office, category: str, actor: Actor, now: dt.datetime | None = None
) -> PriorityTicket:
    """A walk-in ticket of the priority lane, within the office's daily quota and
    while the office serves (from PRIORITY_TICKET_OPENS_BEFORE_MINUTES before opening
    to closing; a ticket at night would hold a place for a day that has not begun).
    Locks the office row, so two doors cannot issue the last ticket twice."""
    if category not in PriorityCategory.values:
        raise DomainError(
            code="invalid_category",
            message=_("Unknown category."),
            fields={"category": [_("Unknown.")]},
        )
    bound_lock_waits()
    now = now or timezone.now()
    office = Office.objects.select_for_update().get(pk=office.pk)
    today = schedule.local_today(office, now)
    closed = schedule.closed_reason_at(
        office_calendar(office=office, start=today, end=today),
        now,
        early=_minutes(settings.PRIORITY_TICKET_OPENS_BEFORE_MINUTES),
    )
    if closed:
        raise ConflictError(
            code="office_closed_now",
            message=_("No priority ticket now. %(reason)s") % {"reason": closed},
        )
    issued = PriorityTicket.objects.filter(office=office, date=today).count()
    if issued >= office.priority_quota:
        raise ConflictError(
            code="priority_quota_reached",
            message=_("Today's %(quota)d priority tickets have all been issued.")
            % {"quota": office.priority_quota},
        )
    return PriorityTicket.objects.create(
        office=office, date=today, seq=issued + 1, category=category, issued_by=actor.user
    )


def _check_counter(counter) -> int:
    if not isinstance(counter, int) or isinstance(counter, bool) or not 1 <= counter <= 50:
        raise DomainError(
            code="invalid_counter",
            message=_("Unknown counter."),
            fields={"counter": [_("1 to 50.")]},
        )
    return counter


def counter_latest_call(*, office: Office, counter: int, day: dt.date) -> CounterCall | None:
    """The number a counter called last on `day` (a booking or a priority ticket)."""
    return (
        CounterCall.objects.filter(office=office, date=day, counter=counter)
        .select_related("booking", "ticket")
        .order_by("-called_at", "-pk")
        .first()
    )


def counter_service_in_turn(
    *, booking: Booking, counter: int, now: dt.datetime | None = None
) -> bool:
    """Whether serving `booking` at `counter` now is in turn: "call next" called it to
    this counter today and nobody has been called to this counter since. Anything else
    (never called, called to another counter, called earlier and passed over) is out of
    turn and needs the officer's reason. The one definition: the desk page asks it to
    decide which form to show, `booking_record_submission` to decide what to record."""
    day = schedule.local_today(booking.office, now or timezone.now())
    latest = counter_latest_call(office=booking.office, counter=counter, day=day)
    return latest is not None and latest.booking_id == booking.pk


def _out_of_turn_reason(reason: str | None, note: str) -> tuple[str, str]:
    """The officer's reason, checked: one of OutOfTurnReason, "other" with a note."""
    reason, note = (reason or "").strip(), " ".join((note or "").split())
    if not reason:
        raise DomainError(
            code="out_of_turn_reason_required",
            message=_(
                "This person was not called to this counter in turn: choose the reason "
                "for serving them now."
            ),
            fields={"out_of_turn_reason": [_("Required when serving out of turn.")]},
        )
    if reason not in OutOfTurnReason.values:
        raise DomainError(
            code="invalid_out_of_turn_reason",
            message=_("Unknown reason."),
            fields={"out_of_turn_reason": [_("Unknown.")]},
        )
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in note):
        raise DomainError(
            code="invalid_out_of_turn_note",
            message=_("The note holds characters that cannot be stored."),
            fields={"out_of_turn_note": [_("Plain text only.")]},
        )
    if len(note) > 200:
        raise DomainError(
            code="out_of_turn_note_too_long",
            message=_("The note is too long (at most 200 characters)."),
            fields={"out_of_turn_note": [_("At most 200 characters.")]},
        )
    if reason == OutOfTurnReason.OTHER and not note:
        raise DomainError(
            code="out_of_turn_note_required",
            message=_("Say in a few words why this person is served out of turn."),
            fields={"out_of_turn_note": [_('Required for "other".')]},
        )
    return reason, note


@transaction.atomic
def booking_record_submission(
    *,
    booking: Booking,
    fee_code: str,
    billing_code: str,
    counter: int,
    actor: Actor,
    out_of_turn_reason: str | None = None,
    out_of_turn_note: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Documents, photo and interview done at `counter`: record the fee in force and the
    15-digit billing code the applicant pays at a bank or post office (never at the
    counter), and the service itself (CounterService): who served, where, when, and
    whether in turn (`counter_service_in_turn`). Out of turn is allowed, never silent:
    without a reason it is refused and nothing changes.

    Locks the booking row with its slot and office rows (`_lock` joins them); "call
    next" locks the same office row, so the counter's latest call cannot change while
    the turn is judged."""
    now = now or timezone.now()
    booking = _lock(booking)
    billing_code = (billing_code or "").replace(" ", "")
    if not re.fullmatch(r"[0-9]{15}", billing_code):
        raise DomainError(
            code="invalid_billing_code",
            message=_("A billing code has 15 digits."),
            fields={"billing_code": [_("15 digits.")]},
        )
    counter = _check_counter(counter)
    day = schedule.local_today(booking.office, now)
    fee = fee_current(code=fee_code, on=day)
    in_turn = counter_service_in_turn(booking=booking, counter=counter, now=now)
    reason, note = "", ""
    if not in_turn:
        reason, note = _out_of_turn_reason(out_of_turn_reason, out_of_turn_note)
    _transition(
        booking,
        S.SUBMITTED,
        actor,
        note="" if in_turn else f"out of turn: {reason}",
        fee=fee,
        fee_amount=fee.amount,
        billing_code=billing_code,
    )
    CounterService.objects.create(
        office=booking.office,
        date=day,
        counter=counter,
        booking=booking,
        call=CounterCall.objects.filter(booking=booking).first(),
        officer=actor.user,
        actor_label=actor.label[:100],
        served_at=now,
        in_turn=in_turn,
        out_of_turn_reason=reason,
        out_of_turn_note=note,
    )
    notices.notify_fee(booking)
    return booking


@transaction.atomic
def booking_confirm_payment(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.PAID, actor)
    notices.notify_paid(booking)
    return booking


@transaction.atomic
def booking_mark_ready(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.READY, actor)
    notices.notify_ready(booking)
    return booking


@transaction.atomic
def booking_mark_collected(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.COLLECTED, actor)
    notices.notify_collected(booking)
    return booking


@transaction.atomic
def queue_call_next(
    *, office: Office, counter: int, actor: Actor, now: dt.datetime | None = None
) -> CounterCall | None:
    """Call the next person to `counter`: priority tickets first (the elderly, disabled
    people, small children), then checked-in bookings in queue order. Locks the office
    row, so two counters never call the same person. None when nobody is waiting."""
    _check_counter(counter)
    bound_lock_waits()
    office = Office.objects.select_for_update().get(pk=office.pk)
    today = schedule.local_today(office, now or timezone.now())
    ticket = (
        PriorityTicket.objects.filter(office=office, date=today, call__isnull=True)
        .order_by("seq")
        .first()
    )
    if ticket is not None:
        return CounterCall.objects.create(
            office=office, date=today, counter=counter, ticket=ticket, called_by=actor.user
        )
    booking = (
        Booking.objects.filter(office=office, date=today, status=S.CHECKED_IN, call__isnull=True)
        .order_by("queue_seq")
        .first()
    )
    if booking is None:
        return None
    return CounterCall.objects.create(
        office=office, date=today, counter=counter, booking=booking, called_by=actor.user
    )
