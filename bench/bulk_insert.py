"""`immigration.bulk.insert_many` against Django's own `bulk_create` on PostgreSQL.

Issue #20 item 7: Django 5.2's `bulk_create` already sends many rows as arrays
(`INSERT ... SELECT * FROM UNNEST(...)`, django/db/backends/postgresql/compiler.py), so
is our own still worth its code? This measures the sweep's two batch INSERTs, 500 rows
each, as the no-show sweep writes them: the expiry notices (OutboundMessage, 24
columns, JSON and binary among them) and the events (BookingEvent). Each way runs the same rows in
its own transaction, rolled back, alternating, after a warm-up.

    scripts/with-services .venv/bin/python -m bench.bulk_insert [REPEATS]

Prints per way and table: rows/s (wall), CPU ms per batch of this process (Django and
psycopg) and of the PostgreSQL backend serving it (from /proc, same machine), median of
the repeats (PostgreSQL's: the mean, its clock ticks in 10 ms).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import django

BATCH = 500


def _backend_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immigration.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from bookings.models import BookingEvent
    from bookings.tests.factories import book, office
    from immigration.bulk import insert_many
    from notifications.models import OutboundMessage

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        booking = book(office())
    notices = [
        {
            "to": f"62815{i:07d}",
            "text": f"Pemesanan ABCD{i:04d} untuk NAMA {i} pada Senin, 7 Desember 2026 hangus: "
            "tidak ada yang datang sampai 30 menit setelah 08:00 WIB. Anda dapat memesan lagi.",
            "kind": "booking_expired",
            "language": "id",
            "sender": "6281100000001",
            "phone_number_id": "",
            "image_qr": "",
            "template_name": "antrean_booking_expired",
            "template_params": [f"ABCD-{i:04d}", f"NAMA {i}", "Senin, 7 Desember 2026"],
            "subject": f"booking:ABCD{i:04d}",
        }
        for i in range(BATCH)
    ]
    events = [
        {
            "booking_id": booking.pk,
            "from_status": "booked",
            "to_status": "expired",
            "actor_kind": "system",
            "channel": "system",
            "note": "no-show",
        }
        for _ in range(BATCH)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()

    def ours(model, rows):
        return insert_many(model, rows)

    def djangos(model, rows):
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows])]

    ways = {"insert_many": ours, "bulk_create": djangos}
    tables = {"OutboundMessage": (OutboundMessage, notices), "BookingEvent": (BookingEvent, events)}
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for round_ in range(repeats + 3):  # 3 warm-up rounds, not counted
        for table, (model, rows) in tables.items():
            for way, insert in ways.items():
                with transaction.atomic():
                    wall, cpu = time.perf_counter(), time.process_time()
                    server = _backend_cpu_seconds(backend)
                    ids = insert(model, rows)
                    wall = time.perf_counter() - wall
                    cpu = time.process_time() - cpu
                    server = _backend_cpu_seconds(backend) - server
                    if len(ids) != BATCH or not all(ids):
                        raise RuntimeError(f"{way} returned {len(ids)} ids")
                    transaction.set_rollback(True)
                if round_ >= 3:
                    results.setdefault((table, way), []).append((wall, cpu, server))
    version = connection.pg_version
    print(f"{repeats} batches of {BATCH} rows per figure (median), PostgreSQL {version}")
    print("| table | way | rows/s | wall ms | CPU ms (Python) | CPU ms (PostgreSQL) |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (table, way), samples in results.items():
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        server = statistics.fmean(s[2] for s in samples)  # /proc counts in 10 ms ticks
        print(
            f"| {table} | {way} | {BATCH / wall:,.0f} | {wall * 1000:.1f} | "
            f"{cpu * 1000:.1f} | {server * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
