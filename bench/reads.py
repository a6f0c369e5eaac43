"""Scenario 3, reads: what everyone loads before booking.

- the month calendar of one office: `/api/v1/offices/{code}/availability/` for 31 days;
- the booking page with a day chosen (calendar, the day's times, the form).

Requests/s and latency under 64 clients over HTTP; queries per request counted in
this process through Django's test client on the same code and database.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench.load import Request, run_load
from bench.rush import OFFICE, bookable_days
from offices import schedule
from offices.models import Office

REQUESTS = 6_000
CLIENTS = 64


def targets() -> dict[str, str]:
    office = Office.objects.get(code=OFFICE)
    start = schedule.local_today(office, timezone.now())
    end = start + dt.timedelta(days=30)
    day = bookable_days(office)[0]
    return {
        "calendar": f"/api/v1/offices/{office.code}/availability/?start={start}&end={end}",
        "booking_page": f"/pesan/?office={office.code}&date={day}",
    }


def queries_per_request(path: str) -> dict[str, int]:
    """Statements sent to PostgreSQL by one request: with an empty cache (`miss`) and
    right after (`hit`, what most of a rush's reads are)."""
    from django.core.cache import cache

    from offices import calendar_cache

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path)  # warm: first-use caches of the process are not the steady state

    def count() -> int:
        seen = []

        def record(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return len(seen)

    cache.clear()
    calendar_cache.clear()  # the web process's own memory of calendar answers too
    miss = count()
    return {"miss": miss, "hit": count()}


def run_once(base: str, name: str, path: str, meter=None) -> dict:
    if meter is not None:
        meter.start()
    result = run_load(base, [Request("GET", path)] * REQUESTS, concurrency=CLIENTS)
    cpu, web_cores = {}, None
    if meter is not None:
        meter.stop()
        cpu = meter.per(REQUESTS)
        # How many cores gunicorn kept busy: with BENCH_WEB_CPUS, what pinning allowed.
        web_cores = round(meter.spent.get("gunicorn", 0.0) / result.wall, 2)
    statuses = result.statuses()
    return {
        "read": name,
        "requests": REQUESTS,
        "ok": statuses.get(200, 0),
        "errors": REQUESTS - statuses.get(200, 0),
        "requests_per_s": round(REQUESTS / result.wall, 1),
        "latency_ms": result.latency_ms(),
        "generator_cores": round(result.cpu_share, 2),
        "cpu_steal": result.steal,
        "cpu_ms": cpu,
        "web_cores": web_cores,
    }
