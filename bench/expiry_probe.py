"""Run the real no-show sweep once and report, as one JSON line: seconds, bookings
expired, batches (statements that update the bookings table), the CPU it cost per
expired booking (this process, and its PostgreSQL backend read from /proc: steadier
than seconds on a shared VM) and resident memory sampled every 0.2 s (start, peak,
end), so the report can show memory stays flat."""

import json
import re
import threading
import time

import django

# The sweep's batch statement, whether the ORM or the sweep's own SQL wrote it.
_UPDATES_BOOKINGS = re.compile(r'\s*(WITH\s+\w+\s+AS\s+\(\s*)?UPDATE\s+"?bookings_booking"?\s')


def _backend_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of the PostgreSQL backend `pid` so far."""
    from bench.cpu import TICK

    with open(f"/proc/{pid}/stat") as stat:
        raw = stat.read()
    utime, stime = raw[raw.rindex(")") + 2 :].split()[11:13]
    return (int(utime) + int(stime)) / TICK


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def main() -> None:
    django.setup()
    from django.db import connection

    from bookings.services import bookings_expire_no_shows

    batches = 0

    def count_batches(execute, sql, params, many, context):
        nonlocal batches
        if _UPDATES_BOOKINGS.match(sql):
            batches += 1
        return execute(sql, params, many, context)

    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(_rss_mb())
            done.wait(0.2)

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    start_rss = _rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with connection.execute_wrapper(count_batches):
        begin, cpu, pg = time.perf_counter(), time.process_time(), _backend_cpu_s(backend)
        expired = bookings_expire_no_shows()
        seconds = time.perf_counter() - begin
        cpu, pg = time.process_time() - cpu, _backend_cpu_s(backend) - pg
    done.set()
    sampler.join()
    samples.append(_rss_mb())
    third = max(1, len(samples) // 3)
    print(
        json.dumps(
            {
                "expired": expired,
                "seconds": round(seconds, 2),
                "batches": batches,
                "cpu_ms_per_booking_python": round(cpu * 1000 / max(expired, 1), 3),
                "cpu_ms_per_booking_postgres": round(pg * 1000 / max(expired, 1), 3),
                "rss_start_mb": round(start_rss, 1),
                "rss_peak_mb": round(max(samples), 1),
                # Flat memory: the last third of the run holds no more than the first.
                "rss_first_third_peak_mb": round(max(samples[:third]), 1),
                "rss_last_third_peak_mb": round(max(samples[-third:]), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
