"""Scenario 1, the rush: the moment a day's quota is released.

Three shapes, each 10,000 booking requests from 64 concurrent clients, every request a
different applicant (own name, birth date and WhatsApp number):

- `day`: everyone wants the same 400-place day at Tangerang (its Lebaran peak);
- `verified`: the same day booked through a gateway's key with the verified-phone
  scope: each booking is confirmed at once (a queue number) and its confirmation
  is sent by the worker, where `day`'s anonymous requests make holds (no number,
  no message until the applicant confirms by WhatsApp);
- `month`: the same 400 places spread over the month's open days (about 20 a day),
  each applicant picking one of those days at random (a fixed seed), as a calendar
  spreads people out: contention on many small days instead of one big one.

Correctness is checked in the database after every run, never assumed from the
answers: accepted answers = holding bookings = the places that existed (for the
month, the sum over days of min(requests, places): all 400, as every day is wanted by
far more people than it has places); no slot holds more bookings than
its capacity and every slot's `booked` counter equals its bookings; no queue number
is given twice in a day.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from bench.load import LoadResult, Request, percentiles, run_load
from bookings.models import ABOUT_BOOKING, HOLDING_STATUSES, Booking
from notifications.models import MessageStatus, OutboundMessage
from offices import release_window, schedule
from offices.models import ApiClient, ApiScope, CapacityOverride, Office, Slot
from offices.selectors import office_calendar
from offices.services import capacity_overrides_save, slots_ensure

OFFICE = "tangerang"
PLACES = 400
REQUESTS = 10_000
CLIENTS = 64


def open_days(office: Office, *, first: dt.date, last: dt.date) -> list[dt.date]:
    calendar = office_calendar(office=office, start=first, end=last)
    return [d for d in schedule.days(first, last) if schedule.plan_day(calendar, d).is_open]


def bookable_days(office: Office) -> list[dt.date]:
    """Open days from the day after tomorrow (no same-day cut-off in play) through the
    last released day, in the office's own zone."""
    now = timezone.now()
    today = schedule.local_today(office, now)
    return open_days(
        office,
        first=today + dt.timedelta(days=2),
        last=release_window.last_released_day(office, now),
    )


def share(places: int, days: list[dt.date]) -> dict[dt.date, int]:
    """`places` spread over `days` as evenly as whole places allow (earlier days first)."""
    base, extra = divmod(places, len(days))
    return {day: base + (i < extra) for i, day in enumerate(days)}


@transaction.atomic
def reset(office: Office, capacity: dict[dt.date, int]) -> None:
    """A clean start for the days: no bookings, fresh slots with the given capacity."""
    days = list(capacity)
    bookings = Booking.objects.filter(office=office, date__in=days)
    OutboundMessage.objects.filter(
        about_kind=ABOUT_BOOKING, about_id__in=bookings.values_list("pk", flat=True)
    ).delete()
    bookings.delete()
    Slot.objects.filter(office=office, date__in=days).delete()
    # Through the service, so the overlap rule holds for the bench's data too.
    capacity_overrides_save(
        office=office,
        save=[
            CapacityOverride(starts_on=day, ends_on=day, daily_capacity=places, reason="bench")
            for day, places in capacity.items()
        ],
        delete=list(CapacityOverride.objects.filter(office=office, reason="bench")),
    )
    for day in days:
        slots_ensure(office=office, day=day)


def letters(number: int) -> str:
    """A number written in letters (0 -> A, 26 -> BA): names take no digits."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out = chr(ord("A") + digit) + out
        if not number:
            return out


GATEWAY = "bench-verified-gateway"


def gateway_key(office: Office) -> str:
    """A gateway's key with the verified-phone scope, bound to the office: its bookings
    are confirmed at once and each sends its confirmation (QR and all) by the worker,
    the path a booking takes from WhatsApp or a verifying gateway."""
    ApiClient.objects.filter(name=GATEWAY).delete()
    _client, key = ApiClient.objects.create_key(
        name=GATEWAY, scopes=[ApiScope.BOOKINGS_VERIFIED_PHONE], office=office
    )
    return key


def applicant_requests(
    office: Office, days: list[dt.date], run: int, headers: dict | None = None
) -> list[Request]:
    chooser = random.Random(1000 + run)
    requests = []
    for i in range(REQUESTS):
        day = days[0] if len(days) == 1 else chooser.choice(days)
        requests.append(
            Request(
                "POST",
                "/api/v1/bookings/",
                {
                    "office": office.code,
                    "date": day.isoformat(),
                    "name": f"Pemohon Bench {letters(run)} {letters(i)}",
                    "birth_date": (dt.date(1970, 1, 1) + dt.timedelta(days=i % 15000)).isoformat(),
                    "phone": f"0813{run:02d}{i:06d}",
                    "service": "new",
                },
                headers=headers,
                tag=day.isoformat(),
            )
        )
    return requests


def check_database(office: Office, days: list[dt.date]) -> dict:
    holding = Booking.objects.filter(office=office, date__in=days, status__in=HOLDING_STATUSES)
    per_slot = dict(holding.values_list("slot").annotate(n=Count("pk")).values_list("slot", "n"))
    overbooked = 0
    counter_drift = 0
    for slot_id, capacity, booked in Slot.objects.filter(office=office, date__in=days).values_list(
        "pk", "capacity", "booked"
    ):
        held = per_slot.get(slot_id, 0)
        overbooked += held > capacity or booked > capacity
        counter_drift += held != booked
    # Holds have no queue number until the phone confirms them (#17): only numbered
    # bookings can share one.
    duplicates = (
        holding.exclude(queue_seq=None)
        .values("date", "queue_seq")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    places = sum(
        Slot.objects.filter(office=office, date__in=days).values_list("capacity", flat=True)
    )
    return {
        "bookings_in_db": holding.count(),
        "places": places,
        "overbooked_slots": overbooked,
        "counter_drift_slots": counter_drift,
        "duplicate_queue_numbers": duplicates,
    }


def wait_outbox_drained(since, timeout: float = 120.0) -> bool:
    """Until the worker has sent (or given up on) every notice queued since `since`:
    a booking's CPU includes its confirmation's delivery."""
    deadline = time.monotonic() + timeout
    pending = OutboundMessage.objects.filter(
        created_at__gte=since, status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
    )
    while pending.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def run_once(base: str, shape: str, run: int, meter=None) -> dict:
    """One rush. With a `meter` (bench/cpu.py) the one-day shape runs in two phases,
    so each answer's CPU can be told apart: first as many requests as there are
    places (every one accepted, 64 at a time), measured until the worker has delivered
    their notices; then the rest, every one a refusal of the full day. The month shape
    is measured whole (its refusals and bookings interleave)."""
    office = Office.objects.get(code=OFFICE)
    days = bookable_days(office)
    capacity = share(PLACES, days) if shape == "month" else {days[0]: PLACES}
    reset(office, capacity)
    days = list(capacity)
    headers = None
    if shape == "verified":
        headers = {"Authorization": f"Api-Key {gateway_key(office)}"}
    requests = applicant_requests(office, days, run, headers)
    wanted = Counter(r.tag for r in requests)
    offered = dict(
        Slot.objects.filter(office=office, date__in=days)
        .values_list("date")
        .annotate(n=Sum("capacity"))
        .values_list("date", "n")
    )
    expected = sum(min(wanted[d.isoformat()], offered.get(d, 0)) for d in days)

    cpu: dict = {}
    if meter is not None and shape != "month":
        since = timezone.now()
        with meter:
            first = run_load(base, requests[:PLACES], concurrency=CLIENTS)
            drained = wait_outbox_drained(since)
        cpu["accepted"] = meter.per(sum(a.status == 201 for a in first.answers))
        cpu["notices_drained"] = drained
        with meter:
            rest = run_load(base, requests[PLACES:], concurrency=CLIENTS)
        cpu["refused"] = meter.per(sum(400 <= a.status < 500 for a in rest.answers))
        sold_out_at = max((a.ended for a in first.answers if a.status == 201), default=0.0)
        for answer in rest.answers:  # one timeline: the second phase follows the first
            answer.started += first.wall
            answer.ended += first.wall
        result = LoadResult(
            answers=first.answers + rest.answers,
            wall=first.wall + rest.wall,
            cpu=first.cpu + rest.cpu,
            concurrency=CLIENTS,
            steal=max(first.steal, rest.steal),
        )
    else:
        if meter is not None:
            meter.start()
        result = run_load(base, requests, concurrency=CLIENTS)
        if meter is not None:
            meter.stop()
            cpu["all"] = meter.per(len(requests))
        sold_out_at = max((a.ended for a in result.answers if a.status == 201), default=0.0)

    statuses = result.statuses()
    accepted = [a for a in result.answers if a.status == 201]
    refused = [a for a in result.answers if 400 <= a.status < 500]
    db = check_database(office, days)
    return {
        "shape": shape,
        "days": len(days),
        "requests": len(requests),
        "expected_accepted": expected,
        "accepted": len(accepted),
        **db,
        "refusals": dict(Counter(a.error_code or str(a.status) for a in refused)),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "connection_errors": statuses.get(0, 0),
        "wall_s": round(result.wall, 3),
        "requests_per_s": round(len(requests) / result.wall, 1),
        "accepted_per_s": round(len(accepted) / sold_out_at, 1) if sold_out_at else 0.0,
        "sold_out_s": round(sold_out_at, 3),
        "latency_ms": result.latency_ms(),
        "latency_accepted_ms": percentiles([a.latency for a in accepted]),
        "latency_refused_ms": percentiles([a.latency for a in refused]),
        "generator_cores": round(result.cpu_share, 2),
        "cpu_steal": result.steal,
        "cpu_ms": cpu,
        "correct": (
            len(accepted) == expected == db["bookings_in_db"]
            and db["overbooked_slots"] == 0
            and db["counter_drift_slots"] == 0
            and db["duplicate_queue_numbers"] == 0
            and statuses.get(0, 0) == 0
            and not any(s >= 500 for s in statuses)
        ),
    }


def vacuum() -> None:
    """Between runs: the deleted rows of the last run must not slow the next."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
