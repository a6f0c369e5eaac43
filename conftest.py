"""Fixtures shared by every app's tests, and how the suite runs in parallel.

The suite runs against the real servers `make test` starts (scripts/with-services):
PostgreSQL through DATABASE_URL and Redis through REDIS_URL. It refuses to run on
anything less, so a green run always means the real parts were exercised.

`make test` runs it in two passes (scripts/pytest-passes): everything but the fault
drills on pytest-xdist workers, then the drills (marked `drill`) one at a time, since
they stop and start the servers every test shares. Each xdist worker has its own test
database (pytest-django names it test_<name>_gw0, _gw1, ...), its own Redis database
(the cache, the Celery broker and the real worker it may start), so no worker's
`cache.clear()` or queue reaches another's.
"""

import importlib
import time

import pytest
from celery.signals import after_task_publish
from django.conf import settings
from hypothesis import settings as hypothesis_settings

# Redis databases of the fault drills (immigration/tests/drills.py) start here; xdist
# workers take 1, 2, ... below it, and the serial pass keeps REDIS_URL's own.
FIRST_DRILL_REDIS_DB = 11

# Property tests run Hypothesis's 100 examples (all of the pure ones together take about
# a second; the database-backed ones state their own smaller budget), with no deadline:
# beside other xdist workers on 2 cores a slow example says nothing about the code. A
# failure prints the blob that reproduces it. `HYPOTHESIS_PROFILE=thorough` for a deep run.
hypothesis_settings.register_profile("suite", max_examples=100, deadline=None, print_blob=True)
hypothesis_settings.register_profile("thorough", max_examples=2000, deadline=None, print_blob=True)


def pytest_addoption(parser):
    parser.addoption(
        "--drills",
        choices=("with", "without", "only"),
        default="with",
        help="run the fault drills (tests marked `drill`) with the rest (default), "
        "leave them out, or run only them. They stop and start the shared servers, so "
        "they cannot run beside other tests on xdist workers.",
    )


def pytest_configure(config):
    import os

    from django.test.signals import setting_changed

    hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must point at a Redis server")
    # Tests serve static files from the finders, as `make run` does; a collected tree
    # (STATIC_ROOT) exists only in deployments.
    settings.STATIC_ROOT = None
    if problems:
        pytest.exit(
            "The suite needs real servers ("
            + "; ".join(problems)
            + "). Run it with `make test`, or `scripts/with-services .venv/bin/pytest`.",
            returncode=4,
        )
    if config.getoption("drills") != "without" and _parallel(config):
        pytest.exit(
            "The fault drills stop the servers every xdist worker uses: run them "
            "serially (--drills=only, no -n) and the rest with -n --drills=without, as "
            "scripts/pytest-passes does.",
            returncode=4,
        )

    # One round of PBKDF2 instead of a million (immigration/tests/hashers.py): same
    # algorithm and hash format, a tenth of the suite's CPU less.
    settings.PASSWORD_HASHERS = [
        "immigration.tests.hashers.OneRoundPBKDF2PasswordHasher",
        *(h for h in settings.PASSWORD_HASHERS if not h.endswith(".PBKDF2PasswordHasher")),
    ]
    setting_changed.send(
        sender=None, setting="PASSWORD_HASHERS", value=settings.PASSWORD_HASHERS, enter=True
    )

    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        _use_own_redis_database(int(worker.removeprefix("gw")))


def _parallel(config) -> bool:
    """This is an xdist worker, or the controller of some."""
    return hasattr(config, "workerinput") or bool(getattr(config.option, "numprocesses", 0))


def _use_own_redis_database(index: int) -> None:
    """Point the cache, the Celery broker and result backend, and the environment
    (what a worker or gunicorn started by a test inherits) at Redis database
    1 + `index` of the same server."""
    import os

    from django.test.signals import setting_changed

    from immigration.celery import app

    db = 1 + index
    if db >= FIRST_DRILL_REDIS_DB:
        pytest.exit(f"at most {FIRST_DRILL_REDIS_DB - 1} xdist workers", returncode=4)
    url = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{db}"
    os.environ["REDIS_URL"] = url
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    app.conf.broker_url = app.conf.result_backend = url
    app._pool = None
    app.amqp._producer_pool = None
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    # Django's own hook for a changed CACHES: drops any client made with the old one.
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)


# A drill is marked in its own module (`pytest.mark.drill`, on a test or in
# `pytestmark`), so `--drills=only` need not import the others: their collection (the
# API schema built for schemathesis, among others) is most of that pass's start-up.
# `--drills=without` checks that no drill was marked any other way.
DRILL_MARK = "mark.drill"


def _may_hold_drills(path) -> bool:
    return DRILL_MARK in path.read_text(encoding="utf-8")


def pytest_ignore_collect(collection_path, config):
    if (
        config.getoption("drills") == "only"
        and collection_path.suffix == ".py"
        and collection_path.name.startswith("test_")
        and not _may_hold_drills(collection_path)
    ):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    mode = config.getoption("drills")
    if mode == "with":
        return
    drills = {item for item in items if item.get_closest_marker("drill") is not None}
    hidden = sorted({str(item.path) for item in drills if not _may_hold_drills(item.path)})
    if hidden:
        raise pytest.UsageError(
            f"drills marked outside their own module ({', '.join(hidden)}): write "
            f"`pytest.{DRILL_MARK}` in it, or --drills=only will not find them"
        )
    keep = [item for item in items if (item in drills) == (mode == "only")]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters must not leak between
    tests through the shared Redis, nor Celery tasks (the broker's queues are in the
    same Redis database) run in another test than the one that published them."""
    from django.core.cache import cache

    from bookings import soldout
    from offices import calendar_cache

    cache.clear()
    # The broker's queues went with it; the session's real worker may still hold tasks
    # of earlier tests, or be running one, which may publish more.
    if _settle_session_worker():
        cache.clear()
    # Nor the web process's own memory of sold-out days and calendar answers.
    soldout.clear()
    calendar_cache.clear()


@pytest.fixture(autouse=True)
def _locmem_whatsapp(settings):
    """No test talks to a real WhatsApp provider; messages land in locmem.outbox."""
    from notifications.backends import locmem

    settings.WHATSAPP_BACKEND = "notifications.backends.locmem.LocmemBackend"
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture
def test_database_url(db) -> str:
    """DATABASE_URL of the test database, for another process that must share it."""
    from immigration.tests.drills import current_database_url

    return current_database_url()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process (immigration/launcher.py) on this test process's
    Redis broker and test database, started once per session (per xdist worker);
    `.broker_url` is its broker.

    Tests that rely on it see data the worker wrote only if they commit: mark them
    `django_db(transaction=True)`.
    """
    from immigration.celery import app
    from immigration.tests.drills import running_worker

    # The worker sends through the in-memory backend; tests read the outbox rows.
    locmem = {"WHATSAPP_BACKEND": "notifications.backends.locmem.LocmemBackend"}
    with running_worker(broker_url=app.conf.broker_url, env=locmem) as worker:
        _session_worker.update(worker=worker, tasks_published=True)
        after_task_publish.connect(_task_published, weak=False)
        try:
            yield worker
        finally:
            after_task_publish.disconnect(_task_published)
            _session_worker.update(worker=None, tasks_published=False)


# The session's real worker once a test of this process started it: it lives on beside
# every later test of the process. `tasks_published`: this process published a task
# since the worker was last found holding none (only then may it hold one: it runs
# what it is sent, and what those tasks publish in turn).
_session_worker = {"worker": None, "tasks_published": False}


def _task_published(**kwargs):
    _session_worker["tasks_published"] = True


def _settle_session_worker() -> bool:
    """Let the session's worker finish the task it is running and revoke those it holds
    for later (a countdown) or reserved, all published by earlier tests: such a task
    once ran in the next test and sent that test's committed notices from the worker
    (the inbox drain test's flake in CI). Returns whether the worker was asked."""
    worker = _session_worker["worker"]
    if worker is None or not _session_worker["tasks_published"]:
        return False
    if not worker.forget_earlier_tasks():
        _session_worker["tasks_published"] = False
    return True


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    from immigration.launcher import free_port

    return free_port()


@pytest.fixture
def wait_until():
    """Poll `condition` until it holds (for work a real worker does in another
    process); fail with `what` after `seconds`."""

    def wait(condition, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting until {what}")
            time.sleep(0.05)

    return wait


class MonotonicClock:
    """time.monotonic for the process-local memories (bookings.soldout: sold-out days;
    offices.calendar_cache: calendar answers), moved only by `advance`, so a test of
    their expiry waits for nothing. Every other name reads the real `time` module."""

    def __init__(self, start: float):
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def monotonic_clock(monkeypatch) -> MonotonicClock:
    """A MonotonicClock that soldout and calendar_cache read instead of the real one."""
    from bookings import soldout
    from offices import calendar_cache

    clock = MonotonicClock(time.monotonic())
    for module in (soldout, calendar_cache):
        monkeypatch.setattr(module, "time", clock)
    return clock


# The demo office the web and API booking tests book at. Its WhatsApp number is a
# placeholder in the demo data, and an office without a published number takes no hold
# (offices.contacts.office_takes_holds): these tests give it a real-looking one.
WEB_BOOKING_OFFICE = "belakang-padang"


@pytest.fixture
def web_booking_office_published(db):
    """WEB_BOOKING_OFFICE with a published WhatsApp number, for tests that book on the
    web page or the public API there."""
    from offices.tests.factories import publish_whatsapp_numbers

    publish_whatsapp_numbers(WEB_BOOKING_OFFICE)


@pytest.fixture
def pilot_offices(transactional_db):
    """The 26 offices and the fee table, as `migrate` leaves them. Transactional tests
    empty the database between tests, so they are loaded again by the migrations' own
    functions when missing. WEB_BOOKING_OFFICE publishes its WhatsApp number, as the
    browser tests book there; the other 19 placeholder offices take no web holds."""
    from django.apps import apps

    from offices.models import Office
    from offices.tests.factories import publish_whatsapp_numbers

    if not Office.objects.exists():
        importlib.import_module("offices.migrations.0002_pilot_offices").load_offices(apps, None)
        importlib.import_module("bookings.migrations.0002_fees").load_fees(apps, None)
    publish_whatsapp_numbers(WEB_BOOKING_OFFICE)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request's LocaleMiddleware
    activates the language it asked for on the test's thread and leaves it there, so
    an English request made `local_text` print "Dec" in the next test on that worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
