"""What a gateway-verified booking's confirmation costs, by process, without HTTP.

    scripts/with-services .venv/bin/python -m bench.confirm_probe [BOOKINGS] [THREADS]

A scratch probe beside `make bench` (#19): the same settings as the bench
(bench/servers.py), a real Celery worker (2 processes), and the booking endpoint
driven in this process through Django's test client (a few threads, as gunicorn's),
so this process's CPU stands for gunicorn's without its HTTP. Prints CPU ms per
booking of this process, the worker, PostgreSQL and Redis (bench/cpu.py), from the
first request until the worker has sent every confirmation, and the tasks the worker
ran. Run it before and after a change to the outbox; read pairs, not single runs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.servers import BIN, ROOT, configure_environment


def _cpu(pid: int) -> float:
    """CPU seconds of a process so far (a PostgreSQL backend)."""
    from bench.cpu import _stat

    stat = _stat(pid)
    return stat[1] if stat else 0.0


def main() -> int:
    bookings = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    configure_environment()
    for args in (("migrate", "--noinput", "-v", "0"),):
        subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, check=True)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench import rush
    from bench.cpu import Meter, service_roots
    from immigration import launcher
    from notifications.models import MessageStatus, OutboundMessage
    from offices.models import Office

    logdir = Path(tempfile.mkdtemp(prefix="antrean-probe-"))
    servers = launcher.Stack()
    worker = servers.add(
        launcher.celery_worker(
            hostname="probe@%h", concurrency=2, loglevel="WARNING", log=logdir / "worker.log"
        )
    )
    servers.start()
    try:
        from immigration.tasks import ping

        assert ping.delay().get(timeout=90) == "pong"
        office = Office.objects.get(code=rush.OFFICE)
        day = rush.bookable_days(office)[0]
        rush.reset(office, {day: bookings})
        key = rush.gateway_key(office)
        requests = rush.applicant_requests(
            office, [day], run=int(time.time()) % 90, headers={"Authorization": f"Api-Key {key}"}
        )[:bookings]
        clients = [
            Client(HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_HOST="127.0.0.1")
            for _ in range(threads)
        ]
        time.sleep(2)  # the worker's start-up settles
        roots = {"worker": [worker.pid], **service_roots()}
        meter = Meter(roots)
        with connection.cursor() as cursor:
            cursor.execute("SELECT sum(sessions) FROM pg_stat_database")
            sessions_before = cursor.fetchone()[0]
        since = timezone.now()
        with meter:
            started = time.monotonic()

            def post(i: int) -> int:
                if not hasattr(local, "pid"):
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_backend_pid()")
                        local.pid = cursor.fetchone()[0]
                    web_backends[local.pid] = _cpu(local.pid)
                client = clients[i % threads]
                return client.post(
                    "/api/v1/bookings/",
                    data=requests[i].body,
                    content_type="application/json",
                    REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                ).status_code

            local, web_backends = threading.local(), {}
            with ThreadPoolExecutor(threads) as pool:
                statuses = list(pool.map(post, range(len(requests))))
                web_pg = sum(_cpu(pid) - before for pid, before in web_backends.items())
            booked_at = time.monotonic()
            drained = rush.wait_outbox_drained(since)
            done_at = time.monotonic()
        accepted = statuses.count(201)
        per = meter.per(accepted)
        sent = OutboundMessage.objects.filter(created_at__gte=since, status=MessageStatus.SENT)
        from immigration.celery import app

        stats = app.control.inspect(timeout=5).stats() or {}
        tasks = {k: v for s in stats.values() for k, v in s.get("total", {}).items()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT sum(sessions) FROM pg_stat_database")
            sessions = cursor.fetchone()[0] - sessions_before
        print(
            f"accepted {accepted}/{len(statuses)}, sent {sent.count()}, drained {drained}; "
            f"booking {booked_at - started:.1f} s, drained {done_at - booked_at:.1f} s after; "
            f"PostgreSQL sessions opened {sessions}; worker tasks {tasks}"
        )
        print(
            "CPU ms per booking: "
            f"web(this process) {per['generator']:.2f} / worker {per['worker']:.2f} / "
            f"postgres {per['postgres']:.2f} (of it the web's backends "
            f"{web_pg * 1000 / max(accepted, 1):.2f}) / redis {per['redis']:.2f}; "
            f"worker+postgres+redis {per['server']:.2f}"
        )
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
