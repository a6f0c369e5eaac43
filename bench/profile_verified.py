"""What a gateway-verified booking costs the web process and its PostgreSQL backend.

    scripts/with-services .venv/bin/python -m bench.profile_verified [MODE] [N] [ROUNDS]

A scratch probe beside `make bench-profile` (#19, session 12): the bench's settings
(bench/servers.py), the booking endpoint driven in this process through Django's test
client (every middleware, the plain view, the service, the call, the outbox hand-off),
one request after another, each with the gateway's key (`bookings:verified-phone`) and
an applicant of its own, N places of a N-place day, ROUNDS times.

- `cpu` (default): per round, CPU ms per booking of this process (`time.process_time`),
  of its PostgreSQL backend (/proc/<pid>/stat), of the whole PostgreSQL tree (the WAL
  writer and the other background processes a commit wakes) and of Redis.
- `profile`: pyinstrument over one round (this process only, wall time).
- `cprofile`: cProfile with `time.process_time` as its clock (this process's CPU).
- `parts`: each step of the view run alone 2,000 times (CPU us), then the service
  alone and whole requests.
- `pgss`: pg_stat_statements per booking (calls, plans, planning and execution ms of
  every statement, nested ones too), after restarting PostgreSQL to load it.
- `sql`: the statements of one booking, the functions' times (`track_functions`) and
  the nested plans of one booking call (auto_explain, into the PostgreSQL log).

PROBE_SQL=file.sql runs a file of function definitions first; PROBE_VARIANTS=a.sql,b.sql
alternates such files between `cpu` rounds; PROBE_DROP_MIDDLEWARE=Name,... an ablation.
No worker runs: the confirmations stay queued (their delivery is bench/confirm_probe.py's).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path


def _cpu(pid: int) -> float:
    from bench.cpu import _stat

    stat = _stat(pid)
    return stat[1] if stat else 0.0


def _restart_with_pg_stat_statements(connection) -> None:
    """pg_stat_statements (with planning times and nested statements) needs a restart."""
    with open(os.path.join(os.environ["SERVICES_PGDATA"], "postgresql.conf"), "a") as conf:
        conf.write(
            "shared_preload_libraries = 'pg_stat_statements'\n"
            "pg_stat_statements.track = 'all'\npg_stat_statements.track_planning = on\n"
        )
    connection.close()
    user = os.environ.get("SERVICES_PG_USER")
    subprocess.run(
        [
            *(["runuser", "-u", user, "--"] if user else []),
            f"{os.environ['PG_BIN']}/pg_ctl",
            "-D",
            os.environ["SERVICES_PGDATA"],
            "-l",
            os.environ["SERVICES_PG_LOG"],
            "-w",
            "restart",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    places = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    from bench.servers import BIN, ROOT, configure_environment

    configure_environment()
    os.environ["LOG_LEVEL"] = os.environ.get("PROBE_LOG_LEVEL", "WARNING")
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    import django

    django.setup()
    if drop := os.environ.get("PROBE_DROP_MIDDLEWARE"):  # an ablation: what they cost
        from django.conf import settings

        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m.rsplit(".", 1)[1] not in drop]
    from django.db import connection
    from django.test import Client

    from bench import rush
    from bench.cpu import Meter, service_roots
    from offices.models import Office

    office = Office.objects.get(code=rush.OFFICE)
    day = rush.bookable_days(office)[0]
    if mode == "pgss":
        _restart_with_pg_stat_statements(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        if trial := os.environ.get("PROBE_SQL"):  # a variant of the functions, to compare
            cursor.execute(Path(trial).read_text())

    def round_of(run: int):
        rush.reset(office, {day: places})
        key = rush.gateway_key(office)
        requests = rush.applicant_requests(office, [day], run=run)[:places]
        client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}", HTTP_HOST="127.0.0.1")

        def post(i: int) -> int:
            return client.post(
                "/api/v1/bookings/",
                data=requests[i].body,
                content_type="application/json",
                REMOTE_ADDR="127.0.0.1",
                HTTP_X_FORWARDED_FOR=f"10.{run}.{i // 256 % 256}.{i % 256}",
            ).status_code

        return post

    def measure(run: int) -> str:
        post = round_of(run)
        assert post(0) == 201  # warm: the key's and the office's lookups compiled
        meter = Meter(service_roots())
        pg0, own0, wall0 = _cpu(backend), time.process_time(), time.perf_counter()
        with meter:
            statuses = [post(i) for i in range(1, places)]
        own, pg = time.process_time() - own0, _cpu(backend) - pg0
        wall = time.perf_counter() - wall0
        n = statuses.count(201)
        assert n == places - 1, statuses
        per = meter.per(n)
        return (
            f"web {own * 1000 / n:.2f} / backend {pg * 1000 / n:.2f} "
            f"(postgres tree {per['postgres']:.2f}, redis {per['redis']:.2f}); "
            f"wall {wall * 1000 / n:.2f} ms per booking"
        )

    base = int(time.time()) % 50
    if mode == "cpu":
        os_load = os.getloadavg()
        # PROBE_VARIANTS=a.sql,b.sql: each round first runs the next file (function
        # definitions to compare), so variants alternate in one process and server.
        variants = [v for v in os.environ.get("PROBE_VARIANTS", "").split(",") if v]
        for r in range(rounds):
            label = ""
            if variants:
                label = variants[r % len(variants)]
                with connection.cursor() as cursor:
                    cursor.execute(Path(label).read_text())
            print(f"round {r} {label}: {measure(base + r)}", flush=True)
        print(f"load average before: {os_load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    elif mode == "profile":
        from pyinstrument import Profiler

        post = round_of(base)
        assert post(0) == 201
        profiler = Profiler(interval=0.0002)
        with profiler:
            for i in range(1, places):
                assert post(i) == 201
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    elif mode == "cprofile":
        import cProfile
        import pstats

        post = round_of(base)
        assert post(0) == 201
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in range(1, places):
            assert post(i) == 201
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(90)
        stats.sort_stats("tottime").print_stats(60)
    elif mode == "parts":
        # What each step of the view costs this process, each run many times alone.
        import json

        from django.test import RequestFactory

        from bookings import api
        from bookings.models import Booking
        from offices.access import usable_key
        from offices.selectors import active_office
        from offices.throttling import request_wait

        post = round_of(base)
        for i in range(0, 50):
            assert post(i) == 201
        key = rush.gateway_key(office)
        booking = Booking.objects.select_related("office", "slot").filter(office=office).last()
        body = rush.applicant_requests(office, [day], run=base)[60].body
        data, body = body, json.dumps(body)
        request = RequestFactory().post(
            "/api/v1/bookings/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
            REMOTE_ADDR="127.0.0.1",
        )
        from bookings.api_booking import _authenticate

        _authenticate(request)
        steps = {
            "validate": lambda: api._validated(api.BookingCreateSerializer, data),
            "office": lambda: active_office(office.code),
            "key": lambda: usable_key(key),
            "throttle": lambda: request_wait(request, "booking"),
            "render": lambda: api._render(api.BookingSerializer, [booking], many=True),
            "json": lambda: api_booking_render([booking]),
        }
        from bookings.api_booking import _RENDERER

        def api_booking_render(rows):
            return _RENDERER.render(api._render(api.BookingSerializer, rows, many=True))

        from django.core.cache import cache

        steps["redis add"] = lambda: cache.add("probe-flag", 1, timeout=10)
        for name, step in steps.items():
            t0 = time.process_time()
            for _ in range(2000):
                step()
            print(f"{name}: {(time.process_time() - t0) * 1000 / 2000 * 1000:.0f} us")
        # The service alone, then whole requests, on a fresh day of many places.
        from bookings.api import booking_authority
        from bookings.applicant import Applicant
        from bookings.services import booking_create_family

        rush.reset(office, {day: 2000})
        requests = rush.applicant_requests(office, [day], run=base + 1)
        actor, _verified, _client = booking_authority(request, office)
        import cProfile
        import pstats

        prof = cProfile.Profile(time.process_time)
        if os.environ.get("PROBE_PROFILE_SERVICE"):
            prof.enable()
        t0 = time.process_time()
        for r in requests[:300]:
            v = r.body
            booking_create_family(
                office=office,
                date=day,
                applicants=[Applicant(v["name"], dt.date.fromisoformat(v["birth_date"]), None)],
                phone=v["phone"],
                actor=actor,
                service="new",
                phone_verified=True,
            )
        print(f"service: {(time.process_time() - t0) * 1000 / 300 * 1000:.0f} us")
        prof.disable()
        if os.environ.get("PROBE_PROFILE_SERVICE"):
            pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        post = round_of(base + 2)
        rush.reset(office, {day: 2000})
        t0 = time.process_time()
        for i in range(300):
            assert post(i) == 201
        print(f"request: {(time.process_time() - t0) * 1000 / 300 * 1000:.0f} us")
    elif mode == "pgss":
        post = round_of(base)
        for i in range(0, 20):
            assert post(i) == 201
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_statements_reset()")
        for i in range(20, places):
            assert post(i) == 201
        n = places - 20
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT calls, plans, round((total_plan_time / %s)::numeric, 4),"
                " round((total_exec_time / %s)::numeric, 4),"
                " left(regexp_replace(query, '\\s+', ' ', 'g'), 110)"
                " FROM pg_stat_statements ORDER BY total_plan_time + total_exec_time DESC LIMIT 40",
                [n, n],
            )
            print("=== per booking: calls, plans, plan ms, exec ms, statement")
            for row in cursor.fetchall():
                print("  ", row)
    elif mode == "sql":
        post = round_of(base)
        assert post(0) == 201
        seen = []

        def record(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            assert post(1) == 201
        print(f"=== {len(seen)} statements of one booking")
        for sql in seen:
            print("  ", sql[:200])
        with connection.cursor() as cursor:
            cursor.execute("SET track_functions = 'all'")
            cursor.execute("SELECT pg_stat_reset()")
        for i in range(2, 200):
            assert post(i) == 201
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1)  # the statistics collector catches up
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT funcname, calls, round(total_time::numeric / calls, 3),"
                " round(self_time::numeric / calls, 3) FROM pg_stat_user_functions"
                " ORDER BY total_time DESC"
            )
            print("=== functions: calls, total ms per call, self ms per call")
            for row in cursor.fetchall():
                print("  ", row)
            cursor.execute("LOAD 'auto_explain'")
            cursor.execute("SET auto_explain.log_min_duration = 0")
            cursor.execute("SET auto_explain.log_analyze = on")
            cursor.execute("SET auto_explain.log_nested_statements = on")
            cursor.execute("SET auto_explain.log_timing = on")
            cursor.execute("SET log_statement = 'all'")
        assert post(200) == 201
        with connection.cursor() as cursor:
            cursor.execute("SET auto_explain.log_min_duration = -1")
            cursor.execute("SET log_statement = 'none'")
        print(f"=== auto_explain of one booking: {os.environ.get('SERVICES_PG_LOG')}")
        log = os.environ.get("SERVICES_PG_LOG")
        if log:
            print(Path(log).read_text()[-60000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
