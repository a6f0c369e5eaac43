"""Review of #19 (h27-review): the booking rules live in SQL files that migrations run.

bookings/sql/booking_place.sql (and offices/sql/release_window.sql,
release/sql/release_gate.sql) is "the one readable source": migrations read the file
as it stands when they run. A fresh database (every test run, CI) therefore always
gets the file's latest text, whichever migration ran it, while a database that has
applied those migrations keeps the functions of the day it applied them. A change to
the file without a new migration passes every test and never reaches production: the
rules there are not the rules tested. Each file's latest migration records the file's
SHA-256 (`SQL_SHA256`), so such a change fails here until a migration that runs the
file again is added (recording the new digest).
"""

import datetime as dt
import hashlib
import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from bookings import soldout

ROOT = Path(settings.BASE_DIR)
SQL_FILES = [
    "bookings/sql/booking_place.sql",
    "offices/sql/release_window.sql",
    "release/sql/release_gate.sql",
]


def _latest_migration_running(path: str):
    """The last migration (in file-name order) of the file's app that reads it."""
    app, _sql, name = path.split("/")
    readers = sorted(
        migration
        for migration in (ROOT / app / "migrations").glob("[0-9]*.py")
        if f'"{name}"' in migration.read_text()
    )
    assert readers, f"no migration of {app} runs {path}"
    return importlib.import_module(f"{app}.migrations.{readers[-1].stem}")


def test_each_sql_file_is_the_text_its_latest_migration_ran():
    stale = {}
    for path in SQL_FILES:
        digest = hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
        migration = _latest_migration_running(path)
        if getattr(migration, "SQL_SHA256", None) != digest:
            stale[path] = (
                f"{migration.__name__} (add a migration running it: SQL_SHA256 = {digest!r})"
            )
    assert stale == {}


# --- the sold-out shortcut reads the body before the API's strict parser ---------------

DEEP = "[" * 100_000 + "]" * 100_000  # what the strict parser refuses as too deep


@pytest.fixture
def sold_out_moment(settings):
    settings.BOOKING_SOLD_OUT_SECONDS = 60
    soldout.remember("kanim-review", "Kantor Imigrasi Uji", dt.date(2026, 12, 7))
    yield
    soldout.clear()


@pytest.mark.django_db
def test_a_deeply_nested_body_is_refused_400_without_a_sold_out_day():
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/bookings/", DEEP, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_a_deeply_nested_body_during_a_sold_out_moment_is_a_400_not_a_500(sold_out_moment):
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/bookings/", DEEP, content_type="application/json")
    assert response.status_code == 400
