"""Fixtures shared by every app's tests.

The suite runs against the real servers `make test` starts (scripts/with-services):
PostgreSQL through DATABASE_URL and Redis through REDIS_URL. It refuses to run on
anything less, so a green run always means the real parts were exercised.
"""

import time

import pytest
from django.conf import settings


def pytest_configure(config):
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


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: throttle counters must not leak between
    tests through the shared Redis,"""
    from django.core.cache import cache

    from bookings import soldout
    from offices import calendar_cache

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
    """A real `celery worker` process on the test Redis broker and the test database
    (the fault drills' launcher, immigration/tests/drills.py); `.broker_url` is its
    broker.

    Tests that rely on it see data the worker wrote only if they commit: mark them
    `django_db(transaction=True)`.
    """
    from immigration.celery import app
    from immigration.tests.drills import running_worker

    # The worker sends through the in-memory backend; tests read the outbox rows.
    locmem = {"WHATSAPP_BACKEND": "notifications.backends.locmem.LocmemBackend"}
    with running_worker(broker_url=app.conf.broker_url, env=locmem) as worker:
        yield worker


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port nothing listens on (bound, read, released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def wait_until():
    """Poll `condition` until it holds (for work a real worker does in another
    process); fail with `what` after `seconds`."""

    def wait(condition, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting until {what}")
            time.sleep(0.2)

    return wait
