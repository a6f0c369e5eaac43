"""Where a 20,000-request draw's time goes, step by step: not collected with the suite
(the file name is not test_*), run on its own when measuring (bench/README.md, "The
draw beside the rush"):

    DJANGO_DEBUG=true scripts/with-services .venv/bin/pytest -q -s -p no:xdist \
        --drills=without release/tests/draw_steps.py

Prints, for each step of `draw_run` (and some of their parts) on the 20,000-request
test's shape (one 400-place day, families of 1, 1, 1, 1, 2, 2, 3, 4, 5 people), the
wall seconds, the CPU seconds of this process (Python) and of its PostgreSQL backend
(from /proc: the figures that do not swing with the shared VM's neighbours).
DRAW_STEPS_PROFILE=<file> also writes a cProfile of `draw_run` timed by CPU
(time.process_time), not by the wall."""

import cProfile
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from bench.cpu import TICK
from release import algorithm, services
from release.models import DrawState
from release.tests.factories import CLOSES, FIRST, OPENS, bulk_entries, draw_office

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = {
    "_draw_locked": "order and results stored",
    "_place_winners": "winners booked",
    "_waitlist_losers": "losers onto the waiting lists",
    "_notify_results": "20,000 results queued",
}
# Inside the steps, summed over their calls.
PARTS = {
    services: [
        "_store_outcomes",
        "_place_batch",
        "booking_create_family",
        "waitlist_append",
        "waitlist_positions_of_sources",
        "outbox_enqueue_many",
    ],
    algorithm: ["allocate"],
}


def _backend_cpu() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / TICK


@contextmanager
def _measured(figures: dict, label: str):
    wall, python, database = time.perf_counter(), time.process_time(), _backend_cpu()
    yield
    calls, *sums = figures.get(label, (0, 0.0, 0.0, 0.0))
    figures[label] = (
        calls + 1,
        sums[0] + time.perf_counter() - wall,
        sums[1] + time.process_time() - python,
        sums[2] + _backend_cpu() - database,
    )


def _measure(monkeypatch, figures: dict, module, name: str, label: str) -> None:
    original = getattr(module, name)

    def measured(*args, **kwargs):
        with _measured(figures, label):
            return original(*args, **kwargs)

    monkeypatch.setattr(module, name, measured)


def test_where_the_draws_time_goes(monkeypatch):
    office = draw_office(daily_capacity=400, days_per_release=1)
    draw = services.draw_commit(office=office, first_day=FIRST, now=OPENS)
    sizes = [1, 1, 1, 1, 2, 2, 3, 4, 5]
    bulk_entries(draw, [(sizes[n % len(sizes)], [FIRST]) for n in range(20_000)])
    figures: dict = {}
    for name, label in STEPS.items():
        _measure(monkeypatch, figures, services, name, label)
    for module, names in PARTS.items():
        for name in names:
            if hasattr(module, name):
                _measure(monkeypatch, figures, module, name, f"  {name}")
    profile = os.environ.get("DRAW_STEPS_PROFILE")
    profiler = cProfile.Profile(time.process_time) if profile else None
    with _measured(figures, "draw_run, in all"):
        if profiler:
            profiler.enable()
        draw = services.draw_run(draw=draw, now=CLOSES)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
    assert draw.state == DrawState.DONE
    print("\nstep (calls): wall s, CPU s of Python / of PostgreSQL")
    for label, (calls, wall, python, database) in figures.items():
        print(f"{label} ({calls}): {wall:.2f} s, {python:.2f} / {database:.2f}")
