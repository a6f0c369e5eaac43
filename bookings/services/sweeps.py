"""Batch sweeps: the no-show expiry (raw SQL, per batch, SKIP LOCKED) and the
reminders of tomorrow's bookings. Each batch commits on its own."""

import datetime as dt
from collections import Counter

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from bookings import notices
from bookings.models import (
    ActorKind,
    Booking,
    BookingEvent,
    Channel,
)
from bookings.services.actor import S
from immigration.bulk import insert_many
from immigration.returning import execute_returning
from offices.models import Office, Slot

# Marks one batch of due bookings expired and returns what the notice needs, in one
# statement: the batch is chosen, locked and updated by the same round trip, with no
# model load in between (the ORM's update() cannot return rows; this is the sweep's
# hot path, bench/README.md). On PostgreSQL the batch's ids are gathered into an array
# first (an InitPlan, run once): with `id IN (subquery)` the planner hash-joined the
# batch against a scan of every booked row, a whole-table read per batch of 500.
_DUE_BATCH = """
    SELECT id FROM bookings_booking
    WHERE status = %(booked)s AND expires_at <= %(now)s
    ORDER BY expires_at
    LIMIT %(limit)s"""


_FORFEIT_DUE = """
UPDATE bookings_booking SET status = %(expired)s, updated_at = %(now)s
WHERE id {in_batch}
"""


_IN_DUE_BATCH = {
    "postgresql": f"= ANY(ARRAY({_DUE_BATCH}\n    FOR UPDATE SKIP LOCKED\n))",
    # SQLite (make run): one writer at a time, so no row locks to take or skip.
    "sqlite": f"IN ({_DUE_BATCH}\n)",
}


def _forfeit_due(now: dt.datetime, limit: int) -> list[Booking]:
    """Expire up to `limit` due bookings; returns them (deferred models with the notice's
    fields, their slot and office attached by the caller)."""
    params = {
        "expired": S.EXPIRED,
        "booked": S.BOOKED,
        "now": connection.ops.adapt_datetimefield_value(now),
        "limit": limit,
    }
    sql = _FORFEIT_DUE.format(in_batch=_IN_DUE_BATCH[connection.vendor])
    columns = {"id", "slot_id", *notices.EXPIRED_NOTICE_COLUMNS}
    return execute_returning(sql, params, Booking, columns)


def bookings_expire_no_shows(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Forfeit every booking still `booked` after its expiry time, in batches.

    Idempotent, and safe with several workers at once: each batch locks its rows with
    SKIP LOCKED, so two sweeps take disjoint batches and none expires a booking twice.
    Each batch commits on its own, so it refuses to run inside a caller's transaction
    (durable: RuntimeError), which would hold every batch's locks to the end.
    Returns how many bookings were expired.
    """
    now = now or timezone.now()
    total = 0
    offices: dict[int, Office] = {}
    while True:
        with transaction.atomic(durable=True):
            expired = _forfeit_due(now, batch_size)
            if not expired:
                return total
            # Slots in id order: two sweeps never wait on each other's slots crosswise.
            counts = Counter(booking.slot_id for booking in expired)
            for slot_id, count in sorted(counts.items()):
                Slot.objects.filter(pk=slot_id).update(booked=F("booked") - count)
            insert_many(
                BookingEvent,
                [
                    {
                        "booking_id": booking.pk,
                        "from_status": S.BOOKED,
                        "to_status": S.EXPIRED,
                        "actor_kind": ActorKind.SYSTEM,
                        "channel": Channel.SYSTEM,
                        "note": gettext_noop("no-show"),
                    }
                    for booking in expired
                ],
            )
            slots = Slot.objects.only("starts_at").in_bulk(list(counts))
            for booking in expired:  # 26 offices: read once a sweep, not once a booking
                if booking.office_id not in offices:
                    offices[booking.office_id] = Office.objects.get(pk=booking.office_id)
                booking.office = offices[booking.office_id]
                booking.slot = slots[booking.slot_id]
            notices.notify_expired_many(expired)
            total += len(expired)
        if len(expired) < batch_size:
            return total


def bookings_send_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the day-before reminder of every upcoming booking that is due one (beat,
    every 15 minutes). Each reminder is queued once (the outbox dedupes by code), and
    commits on its own: refused inside a caller's transaction (durable)."""
    now = now or timezone.now()
    earliest = (now - dt.timedelta(days=1)).date()
    latest = (now + dt.timedelta(days=2)).date()
    queued = 0
    candidates = Booking.objects.filter(
        status=S.BOOKED, date__range=(earliest, latest), created_at__lte=now - dt.timedelta(hours=6)
    ).select_related("office", "slot")
    for booking in candidates.iterator():
        if notices.reminder_due(booking, now):
            with transaction.atomic(durable=True):
                if notices.notify_reminder(booking):
                    queued += 1
    return queued
