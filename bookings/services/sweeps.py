"""Batch sweeps: the no-show expiry (two statements per batch, SKIP LOCKED) and the
reminders of tomorrow's bookings. Each batch commits on its own."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from bookings import notices
from bookings.freed import places_freed_on_commit
from bookings.models import (
    ActorKind,
    Booking,
    BookingEvent,
    Channel,
)
from bookings.services.actor import S
from immigration.bulk import binding_cursor, insert_select_sql
from offices.models import Office, Slot

# One batch of the no-show sweep, in one statement: choose the due bookings and lock
# them (SKIP LOCKED: two sweeps take disjoint batches), mark them expired, give their
# places back to their slots (the slot rows locked in id order first, so two sweeps
# never wait on each other's slots crosswise) and write an event per booking. Returns
# a row per slot and language with the ids of the batch's bookings there, which is
# what the notices are worded by: nothing per booking comes back to Python.
# The batch's ids are gathered into an array first (an InitPlan, run once): with
# `id IN (subquery)` the planner hash-joined the batch against a scan of every booked
# row, a whole-table read per batch of 500 (bench/README.md).
_EXPIRE_BATCH = """
WITH due AS (
    UPDATE bookings_booking SET status = %b, updated_at = %b
     WHERE id = ANY(ARRAY(
           SELECT id FROM bookings_booking
            WHERE status = %b AND expires_at <= %b
            ORDER BY expires_at
            LIMIT %b
              FOR UPDATE SKIP LOCKED))
    RETURNING id, slot_id, language
), freed AS (
    UPDATE offices_slot AS s SET booked = s.booked - c.n
      FROM (SELECT slot_id, count(*)::integer AS n FROM due GROUP BY slot_id) AS c,
           (SELECT id FROM offices_slot WHERE id IN (SELECT slot_id FROM due)
             ORDER BY id FOR UPDATE) AS locked
     WHERE s.id = c.slot_id AND locked.id = c.slot_id
    RETURNING s.id, s.office_id, s.date, s.starts_at
), events AS (
    {events}
)
SELECT d.slot_id, f.office_id, f.date, f.starts_at, d.language, array_agg(d.id ORDER BY d.id)
  FROM due AS d JOIN freed AS f ON f.id = d.slot_id
 GROUP BY d.slot_id, f.office_id, f.date, f.starts_at, d.language
"""

# The event of each expired booking, as `insert_select_sql` writes it (its defaults
# first, then the fields below from the batch).
_EXPIRED_EVENTS = """
SELECT id, %b::varchar, %b::varchar, %b::varchar, %b::varchar, %b::varchar FROM due
"""
_EXPIRED_EVENT_FIELDS = ["booking_id", "from_status", "to_status", "actor_kind", "channel", "note"]


def _expire_batch(now: dt.datetime, limit: int) -> list[tuple]:
    """Expire up to `limit` due bookings (one statement, `_EXPIRE_BATCH`); returns a row
    per slot and language: (slot id, office id, date, slot start, language, ids)."""
    events, defaults = insert_select_sql(BookingEvent, _EXPIRED_EVENT_FIELDS, _EXPIRED_EVENTS)
    sql = _EXPIRE_BATCH.format(events=events)
    params = [
        *(S.EXPIRED, now, S.BOOKED, now, limit),
        *defaults,
        *(S.BOOKED, S.EXPIRED, ActorKind.SYSTEM, Channel.SYSTEM, gettext_noop("no-show")),
    ]
    with binding_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def bookings_expire_no_shows(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Forfeit every booking still `booked` after its expiry time, in batches.

    Idempotent, and safe with several workers at once: each batch locks its rows with
    SKIP LOCKED, so two sweeps take disjoint batches and none expires a booking twice;
    then the batch's slot rows, in id order. Each batch commits on its own with its
    events and notices (a sweep stopped midway leaves whole batches, and the next one
    takes the rest), so it refuses to run inside a caller's transaction (durable:
    RuntimeError), which would hold every batch's locks to the end.

    A batch is two statements whatever its size (bench/README.md): the expiry with its
    places and events (`_EXPIRE_BATCH`), and the notices, worded once per slot and
    language and filled in by PostgreSQL (`notices.notify_expired_batch`).
    Returns how many bookings were expired.
    """
    now = now or timezone.now()
    total = 0
    offices: dict[int, Office] = {}
    while True:
        with transaction.atomic(durable=True):
            groups = _expire_batch(now, batch_size)
            missing = {office_id for _, office_id, *_ in groups} - offices.keys()
            offices.update(Office.objects.in_bulk(list(missing)))
            notices.notify_expired_batch(
                [
                    (
                        Booking(
                            office=offices[office_id],
                            slot=Slot(pk=slot_id, office_id=office_id, date=day, starts_at=start),
                            language=language,
                        ),
                        ids,
                    )
                    for slot_id, office_id, day, start, language, ids in groups
                ]
            )
            # Only a slot yet to start has a place the waiting list can offer
            # (`day_places_left`); a no-show's slot has usually begun.
            for office_id, day in sorted({(g[1], g[2]) for g in groups if g[3] > now}):
                places_freed_on_commit(office_id, day)
            expired = sum(len(ids) for *_, ids in groups)
            total += expired
        if expired < batch_size:
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
