"""Questions the screens ask about a booking, answered by the rules the services enforce.

"May this booking still be cancelled / moved?" has one answer, here: the services
(`booking_cancel`, `booking_reschedule`) raise the refusal these functions return, and
the pages ask the same functions what to offer, so a page never offers what the
service would refuse. Reads only; no locks. A service calls them on the row it has
locked, a page on the row it has read (the service checks again under its lock).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import ActorKind, Booking, BookingStatus
from immigration.errors import ConflictError
from offices import schedule

S = BookingStatus

# The states an applicant or staff member may cancel from (a hold too: its place goes
# back at once).
CANCELLABLE_STATUSES = (S.HELD, S.BOOKED, S.CHECKED_IN, S.SUBMITTED)
# A guard on walking a chain of moves; the real limit is BOOKING_RESCHEDULE_MAX.
MAX_CHAIN = 20


def booking_cancel_refusal(
    *, booking: Booking, actor_kind: str, now: dt.datetime | None = None
) -> ConflictError | None:
    """Why `booking` cannot be cancelled by this kind of actor now, or None.

    An applicant may cancel until the slot starts; after that a missed booking is a
    no-show, which counts against the person (staff can still cancel)."""
    if booking.status not in CANCELLABLE_STATUSES:
        return ConflictError(
            code="not_cancellable",
            message=_("A booking that is %(status)s cannot be cancelled.")
            % {"status": S(booking.status).label.lower()},
        )
    if actor_kind == ActorKind.APPLICANT and (now or timezone.now()) >= booking.slot.starts_at:
        return ConflictError(
            code="cancel_too_late",
            message=_("The booked time has begun; the booking can no longer be cancelled."),
        )
    return None


def booking_can_cancel(
    *, booking: Booking, actor_kind: str = ActorKind.APPLICANT, now: dt.datetime | None = None
) -> bool:
    return booking_cancel_refusal(booking=booking, actor_kind=actor_kind, now=now) is None


def booking_moves(booking: Booking) -> int:
    """How many times this booking's person has moved it (the length of its chain of
    earlier bookings). One query per move; the limit is small (BOOKING_RESCHEDULE_MAX)."""
    moves, previous = 0, booking
    while previous.rescheduled_from_id:
        moves += 1
        previous = previous.rescheduled_from
    return moves


def booking_reschedule_refusal(
    *, booking: Booking, now: dt.datetime | None = None
) -> ConflictError | None:
    """Why `booking` cannot be moved to another day now, or None: only a booking not
    yet used, up to the day before the visit (office time), BOOKING_RESCHEDULE_MAX
    times in all."""
    now = now or timezone.now()
    if booking.status != S.BOOKED:
        return ConflictError(
            code="not_reschedulable", message=_("Only a booking not yet used can be moved.")
        )
    if schedule.local_today(booking.office, now) >= booking.date:
        return ConflictError(
            code="reschedule_too_late",
            message=_("A booking can be moved up to the day before the visit."),
        )
    moves = booking_moves(booking)
    if moves >= settings.BOOKING_RESCHEDULE_MAX:
        return ConflictError(
            code="reschedule_limit",
            message=_(
                "This booking has already been moved %(count)d time(s); cancel it and book again."
            )
            % {"count": moves},
        )
    return None


def booking_can_reschedule(*, booking: Booking, now: dt.datetime | None = None) -> bool:
    return booking_reschedule_refusal(booking=booking, now=now) is None


def booking_replacement(booking: Booking) -> Booking | None:
    """The booking that replaced `booking` when it was moved (the latest, if it was
    moved again), or None. Callers show it only to the booking's owner, after the
    birth-date check: both bookings are the same person's."""
    latest = None
    current = booking
    for _move in range(MAX_CHAIN):
        following = (
            Booking.objects.select_related("office", "slot", "rescheduled_from")
            .filter(rescheduled_from=current)
            .first()
        )
        if following is None:
            return latest
        latest = current = following
    return latest
