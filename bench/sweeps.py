"""Scenario 5, the background work: the no-show sweep and the outbox.

- Expiry: 100,000 bookings past their expiry time (1,000 a day over 100 past days of
  one office, written with one INSERT ... SELECT), forfeited by the real sweep in a
  separate process (`bench.expiry_probe`) that reports its time, how many batches it
  ran (counted from the UPDATE statements it sent), and its memory every few tenths
  of a second: flat memory means the sweep never holds more than a batch.
- Outbox: 10,000 queued notices handed to the running Celery worker (2 processes, the
  in-memory backend) 100 ids per task message, as the no-show sweep hands its notices
  (a booking's own publish is the web process's cost, measured in the rush);
  messages/s from the first dispatch to the last `sent`.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

from django.db import connection, transaction
from django.utils import timezone

from bench.servers import ROOT
from bookings.models import Booking, BookingStatus
from immigration.celery import app
from notifications.models import MessageStatus, OutboundMessage
from notifications.services import _dispatch_many
from offices.models import Office, Slot

EXPIRY_OFFICE = "jakarta-pusat"
DAYS = 100
PER_DAY = 1_000
OUTBOX = 10_000
EXPIRY_PHONE_PREFIX = "62815"
OUTBOX_PHONE_PREFIX = "62816"

INSERT_DUE = """
INSERT INTO bookings_booking (office_id, slot_id, date, code, queue_seq, status, service,
    name, birth_date, nik, phone, language, channel, group_code, expires_at,
    billing_code, priority, hold_client, created_at, updated_at)
SELECT s.office_id, s.id, s.date, 'E' || lpad(to_hex(s.n * 1000 + g), 7, '0'), g,
    'booked', 'new', 'EXPIRY BENCH ' || s.n || ' ' || g, date '1970-01-01' + g,
    '', %s || lpad((s.n * 1000 + g)::text, 7, '0'), 'id', 'web', '',
    s.starts_at + interval '30 minutes', '', false, '', now(), now()
FROM (SELECT id, office_id, date, starts_at, row_number() OVER (ORDER BY id) AS n
      FROM offices_slot WHERE id = ANY(%s)) s, generate_series(1, %s) g
"""


def _purge_worker_queue() -> None:
    """The sweep queues a notice per no-show; the next scenario must not compete with
    100,000 sends still in the worker's queue."""
    app.control.purge()


def clean_expiry() -> None:
    office = Office.objects.get(code=EXPIRY_OFFICE)
    today = timezone.localdate()
    with transaction.atomic():
        OutboundMessage.objects.filter(to__startswith=EXPIRY_PHONE_PREFIX).delete()
        past = Booking.objects.filter(office=office, date__lt=today, name__startswith="EXPIRY")
        past.delete()
        Slot.objects.filter(office=office, date__lt=today, capacity=PER_DAY).delete()
    _purge_worker_queue()


def prepare_expiry() -> int:
    clean_expiry()
    office = Office.objects.get(code=EXPIRY_OFFICE)
    today = timezone.localdate()
    with transaction.atomic():
        slots = Slot.objects.bulk_create(
            Slot(
                office=office,
                date=today - dt.timedelta(days=d),
                starts_at=timezone.make_aware(
                    dt.datetime.combine(today - dt.timedelta(days=d), dt.time(8, 0))
                ),
                ends_at=timezone.make_aware(
                    dt.datetime.combine(today - dt.timedelta(days=d), dt.time(9, 0))
                ),
                capacity=PER_DAY,
                booked=PER_DAY,
                queue_base=0,
            )
            for d in range(1, DAYS + 1)
        )
        with connection.cursor() as cursor:
            cursor.execute(INSERT_DUE, [EXPIRY_PHONE_PREFIX, [s.pk for s in slots], PER_DAY])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE bookings_booking")
    return Booking.objects.filter(
        status=BookingStatus.BOOKED, expires_at__lte=timezone.now()
    ).count()


def run_expiry_once() -> dict:
    due = prepare_expiry()
    out = subprocess.run(
        [sys.executable, "-m", "bench.expiry_probe"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    probe = json.loads(out.strip().splitlines()[-1])
    office = Office.objects.get(code=EXPIRY_OFFICE)
    left = Booking.objects.filter(
        office=office, status=BookingStatus.BOOKED, name__startswith="EXPIRY"
    ).count()
    expired = Booking.objects.filter(
        office=office, status=BookingStatus.EXPIRED, name__startswith="EXPIRY"
    )
    events = expired.filter(events__to_status=BookingStatus.EXPIRED).count()
    # Each no-show told exactly once (the worker may have sent some already: count the
    # rows, whatever their state).
    notices = OutboundMessage.objects.filter(
        kind="booking_expired", to__startswith=EXPIRY_PHONE_PREFIX
    )
    notices_told = notices.values("about_id").distinct().count()
    notices_total = notices.count()
    slots_not_zero = (
        Slot.objects.filter(office=office, capacity=PER_DAY, date__lt=timezone.localdate())
        .exclude(booked=0)
        .count()
    )
    result = {
        "due": due,
        **probe,
        "left_booked": left,
        "expiry_events": events,
        "slots_not_freed": slots_not_zero,
        "notices": notices_total,
        "notices_distinct": notices_told,
        "correct": probe["expired"] == due
        and left == 0
        and events == due
        and not slots_not_zero
        and notices_total == notices_told == due,
    }
    clean_expiry()
    return result


def run_outbox_once() -> dict:
    # The earlier scenarios leave thousands of notices in the worker's queue: measure
    # our 10,000 on an empty queue, not the backlog (the first full run timed out so).
    _purge_worker_queue()
    OutboundMessage.objects.filter(status=MessageStatus.QUEUED).delete()
    OutboundMessage.objects.filter(to__startswith=OUTBOX_PHONE_PREFIX).delete()
    messages = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to=f"{OUTBOX_PHONE_PREFIX}{i:07d}",
            text=f"Pemberitahuan uji {i}",
            kind="bench",
            language="id",
        )
        for i in range(OUTBOX)
    )
    mine = OutboundMessage.objects.filter(to__startswith=OUTBOX_PHONE_PREFIX)
    begin = time.perf_counter()
    _dispatch_many([message.pk for message in messages])
    dispatched = time.perf_counter() - begin
    deadline = begin + 600
    while mine.filter(status=MessageStatus.SENT).count() < OUTBOX:
        if time.perf_counter() > deadline:
            break
        time.sleep(0.1)
    wall = time.perf_counter() - begin
    sent = mine.filter(status=MessageStatus.SENT).count()
    attempts = sum(mine.values_list("attempts", flat=True))
    mine.delete()
    return {
        "messages": OUTBOX,
        "sent": sent,
        "attempts": attempts,
        "dispatch_s": round(dispatched, 2),
        "wall_s": round(wall, 2),
        "messages_per_s": round(sent / wall, 1),
        "correct": sent == OUTBOX and attempts == OUTBOX,
    }
