"""Holds' lifecycle: releasing holds (on demand, lapsed ones of a day, the expiry
sweep) and confirming them from WhatsApp (`booking_hold_confirm`). What the applicant
is shown about a hold (the confirm text, link, QR, `hold_client`) is bookings/holds.py.

Locks taken here: advisory locks on phone and persons (confirm), booking rows FOR
UPDATE (SKIP LOCKED in sweeps), then slot counters by update; the expiry sweep locks
its batch's slot rows before the held rows, in the order bookings take them."""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings import codes, notices, soldout
from bookings.applicant import Applicant
from bookings.freed import places_freed_on_commit
from bookings.models import (
    HOLDING_STATUSES,
    ActorKind,
    Booking,
    BookingEvent,
    Channel,
)
from bookings.services.actor import Actor, S, _lock_phone_and_people, _transition
from bookings.services.queue_numbers import _day_top_seq, _queue_seqs
from immigration.bulk import insert_many
from immigration.errors import ConflictError, NotFoundError
from immigration.integrity import violated_constraint
from immigration.locks import busy_error, is_lock_timeout
from offices.models import Office, Slot


def _release_locked(rows: list[tuple[int, int, int, dt.date]], *, now: dt.datetime, note: str):
    """Release holds whose rows the caller has locked: (pk, slot id, office id, date)
    each. Marks them released, lowers their slots' counters in slot order and records
    one event each. No message: a hold's number was never proven, so nothing is sent
    to it."""
    if not rows:
        return
    Booking.objects.filter(pk__in=[row[0] for row in rows]).update(
        status=S.RELEASED, updated_at=now
    )
    for slot_id, count in sorted(Counter(row[1] for row in rows).items()):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") - count)
    insert_many(
        BookingEvent,
        [
            {
                "booking_id": row[0],
                "from_status": S.HELD,
                "to_status": S.RELEASED,
                "actor_kind": ActorKind.SYSTEM,
                "channel": Channel.SYSTEM,
                "note": note,
            }
            for row in rows
        ],
    )
    codes_by_office = dict(
        Office.objects.filter(pk__in={row[2] for row in rows}).values_list("pk", "code")
    )
    for office_id, day in {(row[2], row[3]) for row in rows}:
        soldout.forget(codes_by_office[office_id], day)
        places_freed_on_commit(office_id, day)


def _lock_holds(holds, limit: int | None = None) -> list[tuple[int, int, int, dt.date]]:
    """Lock still-held rows of `holds` (at most `limit`), skipping any another
    transaction holds (it is confirming or releasing them)."""
    rows = (
        holds.filter(status=S.HELD)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "slot_id", "office_id", "date")
    )
    return list(rows[:limit] if limit else rows)


@transaction.atomic
def holds_release(*, ids: list[int], now: dt.datetime | None = None) -> int:
    """Release these holds (those still held): a confirmed booking overrode them.
    Locks the held rows (SKIP LOCKED), then their slots in order."""
    rows = _lock_holds(Booking.objects.filter(pk__in=ids))
    _release_locked(rows, now=now or timezone.now(), note="overridden")
    return len(rows)


def holds_release_expired(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Release every hold past its expiry (beat, every minute), in batches that commit
    one by one. Safe with several workers: rows are locked with SKIP LOCKED, so two
    sweeps take disjoint batches. Only tidies up: a lapsed hold already counts nowhere.
    Returns how many holds were released. Commits per batch: refused inside a
    caller's transaction (durable).

    Locks the batch's slot rows first (by office, day and start: the order a booking
    takes a day's slots), then the held rows with SKIP LOCKED. A booking on such a day
    then waits for the sweep's commit and finds the places free, or the sweep waits for
    the booking, which released the lapsed holds itself; were the held rows locked
    first, a booking could skip them while the sweep waited for its slots, and be told
    the day is full while its places were being freed."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic(durable=True):
            due = Booking.objects.filter(status=S.HELD, hold_expires_at__lte=now)
            slots = set(due.order_by("pk").values_list("slot_id", flat=True)[:batch_size])
            list(
                Slot.objects.select_for_update()
                .filter(pk__in=slots)
                .order_by("office_id", "date", "starts_at")
                .values_list("pk", flat=True)
            )
            rows = _lock_holds(due, batch_size)
            _release_locked(rows, now=now, note="not confirmed in time")
        total += len(rows)
        if len(rows) < batch_size:
            return total


def phone_limit_error() -> ConflictError:
    """The refusal of the per-phone limit (`booking_phone_limit`), for a new booking
    and for a confirmation alike."""
    return ConflictError(
        code="limit_reached",
        message=_("One WhatsApp number may hold at most %(max)d upcoming bookings.")
        % {"max": settings.BOOKING_PHONE_MAX_ACTIVE},
    )


def _hold_not_found(raw_code: str) -> NotFoundError:
    """One answer for an unknown code, another office's, another number's, so the reply
    tells a stranger nothing; in both languages, since the writer may not be the one
    who booked."""
    parts = []
    for language in ("id", "en"):
        with translation.override(language):
            parts.append(
                _(
                    "No booking waiting for confirmation from this WhatsApp number has the "
                    "code %(code)s. Send the message from the number you typed when booking."
                )
                % {"code": raw_code or "-"}
            )
    return NotFoundError(code="hold_not_found", message="\n".join(parts))


def booking_hold_confirm(
    *, office: Office, phone: str, code: str, now: dt.datetime | None = None
) -> list[Booking]:
    """The phone confirms its hold: `YA <code>` arrived by WhatsApp from `phone` for
    `office`. Every hold of the code's family group becomes a booking with a queue
    number, and its confirmation (code, queue number, QR) is queued as a free-form
    message: the applicant has just written, so WhatsApp's 24-hour window is open.

    Refused, changing nothing, when the code is not a hold of this phone at this office
    (one answer for all three). A hold that has lapsed is released here and now
    (committed before the refusal is raised). Confirming again is refused with
    `already_confirmed`.
    The phone's limit is checked again with confirmed bookings only; its holds beyond
    the limit are released.

    Locks: advisory locks on the phone and the people, then the held rows, then their
    slots in start order (for the queue numbers), each bounded by LOCK_TIMEOUT_SECONDS:
    a lock not granted in time is the `busy` refusal (BusyError, 503), nothing changed."""
    now = now or timezone.now()
    canonical = codes.canonical(code)
    raw = codes.display(canonical) if canonical else ""
    first = (
        Booking.objects.filter(code=canonical, office=office, phone=phone).first()
        if canonical
        else None
    )
    if first is None:
        raise _hold_not_found(raw)
    group = (
        Booking.objects.filter(
            office=office, phone=phone, group_code=first.group_code or first.code
        )
        if first.group_code
        else Booking.objects.filter(pk=first.pk)
    )
    try:
        confirmed, refusal = _confirm_group(group, first, phone=phone, now=now)
    except OperationalError as exc:
        # The held rows or their slots not granted within LOCK_TIMEOUT_SECONDS (the
        # advisory locks' own timeout is already `busy`): rolled back, try again.
        if is_lock_timeout(exc):
            raise busy_error() from exc
        raise
    if refusal is not None:
        raise refusal
    return confirmed


def _confirm_group(group, first: Booking, *, phone: str, now: dt.datetime):
    """`booking_hold_confirm`'s transaction: (the bookings, None) or (None, the
    refusal), a lapsed hold's release committed before its refusal."""
    confirmed, refusal = None, None
    with transaction.atomic():
        people = [Applicant(b.name, b.birth_date, b.nik or None) for b in group if b.birth_date]
        _lock_phone_and_people(phone, people)
        held = list(
            group.filter(status=S.HELD)
            .select_for_update(of=("self",))
            .select_related("slot", "office")
            .order_by("slot__starts_at", "pk")
        )
        if not held:
            if group.filter(status__in=HOLDING_STATUSES).exists():
                refusal = ConflictError(
                    code="already_confirmed", message=_("This booking is already confirmed.")
                )
            else:
                refusal = _hold_gone(first)
        elif held[0].hold_expires_at <= now:
            _release_locked(
                [(b.pk, b.slot_id, b.office_id, b.date) for b in held], now=now, note="too late"
            )
            refusal = _hold_gone(first)
        else:
            confirmed = _confirm_locked(held, phone=phone, now=now)
    return confirmed, refusal


def _hold_gone(booking: Booking) -> ConflictError:
    if booking.status == S.CANCELLED:
        return ConflictError(code="hold_cancelled", message=_("This booking was cancelled."))
    return ConflictError(
        code="hold_expired",
        message=_(
            "This booking was not confirmed within %(minutes)d minutes and its place was "
            "given back. Please book again."
        )
        % {"minutes": settings.BOOKING_HOLD_MINUTES},
    )


def _confirm_locked(held: list[Booking], *, phone: str, now: dt.datetime) -> list[Booking]:
    """Turn locked, live holds into bookings. The caller holds the phone and people
    locks and the held rows; this locks their slots in start order."""
    with connection.cursor() as cursor:
        # The per-phone limit's one implementation (bookings/sql/booking_place.sql):
        # confirmed bookings only; the phone's other holds beyond it give way.
        cursor.execute(
            "SELECT booking_phone_limit(%s, %s, %s, true, %s, %s::bigint[])",
            [phone, now, len(held), settings.BOOKING_PHONE_MAX_ACTIVE, [b.pk for b in held]],
        )
        overridden = cursor.fetchone()[0]
    if overridden is None:
        raise phone_limit_error()
    slots = {
        slot.pk: slot
        for slot in Slot.objects.select_for_update()
        .filter(pk__in={b.slot_id for b in held})
        .order_by("starts_at")
    }
    per_slot = Counter(b.slot_id for b in held)
    seqs = {
        slot_id: _queue_seqs(held[0].office, held[0].date, slots[slot_id], count)
        for slot_id, count in per_slot.items()
    }
    actor = Actor.applicant(Channel.WHATSAPP)
    for booking in held:
        booking.queue_seq = seqs[booking.slot_id].pop(0)
        _confirm_one(booking, actor)
    if overridden:
        transaction.on_commit(lambda: holds_release(ids=list(overridden), now=now))
    return held


def _confirm_one(booking: Booking, actor: Actor) -> None:
    """A locked hold with its queue number set becomes a booking. A queue number taken
    meanwhile by a booking in another slot (only after a re-plan moved the ranges)
    gives way to the day's next free one."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                _transition(
                    booking,
                    S.BOOKED,
                    actor,
                    note="confirmed by WhatsApp",
                    queue_seq=booking.queue_seq,
                )
            break
        except IntegrityError as exc:
            if violated_constraint(exc, Booking).constraint != "booking_unique_queue_number":
                raise
            booking.status = S.HELD
            booking.queue_seq = _day_top_seq(booking.office, booking.date) + 1
    else:
        raise RuntimeError("could not number the confirmed booking after 10 attempts")
    notices.notify_booked(booking)
