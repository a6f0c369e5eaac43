"""Run the real no-show sweep once and report, as one JSON line: seconds, bookings
expired, batches (UPDATE statements on the bookings table) and resident memory
sampled every 0.2 s (start, peak, end), so the report can show memory stays flat."""

import json
import re
import threading
import time

import django

# The sweep's batch statement, whether the ORM or the sweep's own SQL wrote it.
_UPDATES_BOOKINGS = re.compile(r'\s*UPDATE\s+"?bookings_booking"?\s')


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
    start_rss = _rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with connection.execute_wrapper(count_batches):
        begin = time.perf_counter()
        expired = bookings_expire_no_shows()
        seconds = time.perf_counter() - begin
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
