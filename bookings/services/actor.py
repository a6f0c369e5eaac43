"""Who moves a booking and how every move is made: `Actor`, the transition table,
`_transition` (frees the slot place when a booking stops holding one and forgets a
sold-out day), the BookingEvent it writes, and the row and advisory locks the other
modules share. Lock order for the whole package:
advisory locks on the phone and the persons (immigration.locks), then slot rows in
start order, then booking rows. Paths that change an existing booking (cancel,
confirm a hold, the sweeps) lock its row first and then its slot; a path that holds
slot rows and meets existing booking rows locks them with SKIP LOCKED, never waiting.

Locks taken here: `_lock` (the booking row and its slot's, with the office's for the
desk, FOR NO KEY UPDATE, bounded wait: a timeout is `busy`);
`_lock_phone_and_people` (advisory locks on phone and persons).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import OperationalError
from django.db.models import F
from django.utils.translation import gettext as _

from bookings import soldout
from bookings.applicant import Applicant
from bookings.freed import places_freed_on_commit
from bookings.models import (
    HOLDING_STATUSES,
    ActorKind,
    Booking,
    BookingEvent,
    BookingStatus,
    Channel,
)
from immigration.errors import ConflictError
from immigration.locks import advisory_xact_locks, bound_lock_waits, busy_error, is_lock_timeout
from offices import localtime
from offices.models import Office, Slot

S = BookingStatus


TRANSITIONS: dict[str, set[str]] = {
    S.HELD: {S.BOOKED, S.RELEASED, S.CANCELLED},
    S.BOOKED: {S.CHECKED_IN, S.CANCELLED, S.EXPIRED},
    S.CHECKED_IN: {S.SUBMITTED, S.CANCELLED},
    S.SUBMITTED: {S.PAID, S.CANCELLED},
    S.PAID: {S.READY},
    S.READY: {S.COLLECTED},
}


@dataclass(frozen=True)
class Actor:
    """Who moves a booking, and through which channel; recorded on every event. `user`
    is the staff member's account (staff, and API keys acting for one), else None."""

    kind: ActorKind
    channel: Channel
    user: AbstractBaseUser | None = None
    label: str = ""
    client: object = None  # offices.ApiClient, when an integrator's key acts

    @classmethod
    def applicant(cls, channel: Channel) -> "Actor":
        return cls(ActorKind.APPLICANT, channel)

    @classmethod
    def staff(cls, user: AbstractBaseUser, channel: Channel = Channel.DESK) -> "Actor":
        return cls(ActorKind.STAFF, channel, user=user, label=user.get_username())

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM, Channel.SYSTEM)

    @classmethod
    def api_client(cls, label: str, client=None) -> "Actor":
        return cls(ActorKind.API_CLIENT, Channel.API, label=label, client=client)


def _minutes(value: int) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _local_time(office: Office, instant: dt.datetime) -> str:
    return localtime.local_text(instant, office)


def _record(booking: Booking, from_status: str, actor: Actor, note: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking,
        from_status=from_status,
        to_status=booking.status,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_client=actor.client,
        actor_label=actor.label[:100],
        channel=actor.channel,
        note=note[:200],
    )


def _lock(booking: Booking, *, office_row: bool = True) -> Booking:
    """Lock the booking with its slot row and, unless `office_row` is False, its office
    row. FOR NO KEY UPDATE: it excludes the other paths that lock these rows (a
    cancellation, "call next"), but not the foreign-key checks (FOR KEY SHARE) of
    transactions inserting bookings, offers or events that point at the office or
    slot; FOR UPDATE blocked those at their commit while the cancellation waited for a
    slot they held: a deadlock of every cancellation with concurrent bookings of the
    day (waitlist/tests/test_concurrency).

    The office row serialises the desk's judgement of a turn with "call next"
    (`booking_counter_service`); a cancellation or a reschedule needs only its own
    booking and slot (`office_row=False`): locking the office made every cancellation
    of the office wait for every other, and for their hand-off to the waiting list, a
    lock timeout under load.

    A lock not granted within LOCK_TIMEOUT_SECONDS is the clean `busy` refusal
    (BusyError, 503), nothing changed."""
    bound_lock_waits()
    rows = ("self", "slot", "office") if office_row else ("self", "slot")
    try:
        return (
            Booking.objects.select_for_update(no_key=True, of=rows)
            .select_related("slot", "office")
            .get(pk=booking.pk)
        )
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise busy_error() from exc
        raise


def _transition(booking: Booking, to: str, actor: Actor, note: str = "", **fields) -> Booking:
    """Move a locked booking to `to`, or refuse. Frees its place when it stops holding one."""
    if to not in TRANSITIONS.get(booking.status, set()):
        raise ConflictError(
            code="invalid_transition",
            message=_("A booking that is %(status)s cannot become %(to)s.")
            % {"status": S(booking.status).label.lower(), "to": S(to).label.lower()},
        )
    from_status = booking.status
    if from_status in HOLDING_STATUSES and to not in HOLDING_STATUSES:
        Slot.objects.filter(pk=booking.slot_id).update(booked=F("booked") - 1)
        soldout.forget(booking.office.code, booking.date)
        places_freed_on_commit(booking.office_id, booking.date)
    booking.status = to
    for name, value in fields.items():
        setattr(booking, name, value)
    booking.save(update_fields=["status", "updated_at", *fields])
    _record(booking, from_status, actor, note)
    return booking


def _lock_phone_and_people(phone: str, people: list[Applicant]) -> None:
    advisory_xact_locks(
        exclusive=[f"phone:{phone}", *(key for person in people for key in person.lock_keys)]
    )
