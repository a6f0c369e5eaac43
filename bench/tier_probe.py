"""What the WhatsApp tier check costs a batch of the outbox (#19, session 12).

    scripts/with-services .venv/bin/python -m bench.tier_probe [SENDS] [BATCHES]

Fills the outbox with SENDS business-initiated messages sent by one office number
within the last 24 hours (to SENDS / 2 unique users, two each), then asks
`pacing.batch_facts` for BATCHES batches of 50 notices to users outside the 24-hour
window, as the sender does per claimed batch. Prints the CPU ms per batch of this
process and of its PostgreSQL backend (/proc), the wall ms, and EXPLAIN ANALYZE of the
tier statement's count.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time


def main() -> int:
    sends = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "immigration.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.cpu import _stat
    from notifications import pacing

    call_command("migrate", "--noinput", verbosity=0)
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    number = "6281100000001"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_outboundmessage")
        cursor.execute(
            """
            INSERT INTO notifications_outboundmessage (
                "to", sender, phone_number_id, kind, language, text, image_qr,
                template_name, template_params, subject, urgency, business_initiated,
                dedupe_key, status, attempts, last_error, created_at, sent_at, about_kind,
                provider_message_id)
            SELECT '6285' || lpad((i %% %(users)s)::text, 9, '0'), %(number)s, '', 'reminder',
                   'id', 'x', '', 'antrean_reminder', '[]'::jsonb, '', 1, true, NULL,
                   'sent', 1, '', %(now)s::timestamptz - interval '23 hours',
                   %(now)s::timestamptz - (i * interval '23 hours' / %(sends)s), '', 'wamid.' || i
            FROM generate_series(1, %(sends)s) AS i
            """,
            {"users": sends // 2, "number": number, "now": now, "sends": sends},
        )
        cursor.execute("ANALYZE notifications_outboundmessage")
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    pairs = [(number, f"6289{index:09d}") for index in range(50)]
    facts = pacing.batch_facts(pairs, now=now, session=pacing.DAY)  # warm
    print(f"used {facts.used[number]} of {facts.limits[number]}")
    own, pg = time.process_time(), _stat(backend)[1]
    wall = time.perf_counter()
    for _ in range(batches):
        pacing.batch_facts(pairs, now=now, session=pacing.DAY)
    wall = time.perf_counter() - wall
    own, pg = time.process_time() - own, _stat(backend)[1] - pg
    print(
        f"{sends} sends in the window, {batches} batches of 50: per batch "
        f"{own / batches * 1000:.2f} CPU ms here, {pg / batches * 1000:.2f} CPU ms "
        f"PostgreSQL, {wall / batches * 1000:.2f} ms wall"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            'EXPLAIN (ANALYZE, BUFFERS) SELECT count(DISTINCT o."to") '
            "FROM notifications_outboundmessage o WHERE o.business_initiated "
            "AND o.sender = %s AND o.sent_at >= %s",
            [number, now - pacing.DAY],
        )
        print("\n".join(row for (row,) in cursor.fetchall()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
