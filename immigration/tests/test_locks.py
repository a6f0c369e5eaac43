"""Locks say how long they wait: a transaction stuck holding a lock costs the requests
behind it a quick 503 `busy`, never a hung worker; a lock outside a transaction is a
programming error said at once."""

import datetime as dt
import time

import psycopg
import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction

from bookings.models import Booking, PriorityTicket
from immigration import locks
from offices.models import Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
PHONE = "6281234567890"


@pytest.fixture
def short_timeout(settings):
    settings.LOCK_TIMEOUT_SECONDS = 0.5


@pytest.fixture
def other_session(test_database_url):
    """A second connection to the test database, in a transaction of its own: the
    stuck transaction that holds what a request needs."""
    with psycopg.connect(test_database_url) as conn:
        yield conn
        conn.rollback()


def _booking_body():
    return {
        "office": "tangerang",
        "date": "2026-12-07",
        "name": "Siti Nuraini",
        "birth_date": "1978-06-17",
        "phone": "0812-3456-7890",
    }


def test_a_booking_behind_a_stuck_lock_is_a_quick_503_busy_and_books_nothing(
    client, short_timeout, other_session
):
    other_session.execute("SELECT pg_advisory_xact_lock(%s)", [locks._lock_id(f"phone:{PHONE}")])
    started = time.monotonic()
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/api/v1/bookings/", _booking_body(), content_type="application/json"
        )
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert "coba lagi" in response.json()["error"]["message"]
    assert response["Retry-After"] == "15"
    assert 0.4 < waited < 3
    assert not Booking.objects.exists()


def test_once_the_lock_is_free_the_same_booking_goes_through(client, short_timeout, other_session):
    other_session.execute("SELECT pg_advisory_xact_lock(%s)", [locks._lock_id(f"phone:{PHONE}")])
    with time_machine.travel(NOW, tick=False):
        body = _booking_body()
        busy = client.post("/api/v1/bookings/", body, content_type="application/json")
        other_session.rollback()
        booked = client.post("/api/v1/bookings/", body, content_type="application/json")
    assert busy.status_code == 503
    assert booked.status_code == 201, booked.content


def test_the_booking_page_behind_a_stuck_lock_answers_503_busy_with_retry_after(
    client, short_timeout, other_session
):
    """The page shows the refusal on its form, and its status says it is the moment,
    not the input: a browser, a proxy and the monitoring all see a 503."""
    other_session.execute("SELECT pg_advisory_xact_lock(%s)", [locks._lock_id(f"phone:{PHONE}")])
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/pesan/",
            {
                "office": "tangerang",
                "date": "2026-12-07",
                "slot": "",
                "service": "new",
                "name": "Siti Nuraini",
                "birth_date": "1978-06-17",
                "phone": "0812-3456-7890",
                "nik": "",
            },
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert "coba lagi" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_row_lock_behind_a_stuck_transaction_is_503_busy_in_english_too(
    client, short_timeout, other_session
):
    office = Office.objects.get(code="tangerang")
    user = User.objects.create_user("pintu", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])  # the role that may issue tickets
    OfficerProfile.objects.create(user=user, office=office)
    client.force_login(user)
    other_session.execute("SELECT 1 FROM offices_office WHERE id = %s FOR UPDATE", [office.pk])
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            "/api/v1/offices/tangerang/priority-tickets/",
            {"category": "elderly"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert "Please try again" in response.json()["error"]["message"]
    assert not PriorityTicket.objects.exists()


def test_taking_advisory_locks_sets_the_transactions_lock_timeout(settings):
    from django.db import connection

    settings.LOCK_TIMEOUT_SECONDS = 2
    with transaction.atomic():
        locks.advisory_xact_locks(exclusive=["test:a"])
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "2s"


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_raises_at_once():
    with pytest.raises(RuntimeError, match="inside a transaction"):
        locks.advisory_xact_locks(exclusive=["test:a"])
    with pytest.raises(RuntimeError, match="inside a transaction"):
        locks.bound_lock_waits()
