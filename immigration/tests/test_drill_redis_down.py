"""Drill: the Redis server the suite runs on is stopped while bookings arrive through
the API, with a real worker attached, then started again (empty, as after a crash).

What must hold: every booking is accepted (rate limits fail open, the broker publish
fails fast and the outbox row waits), nothing accepted is lost, and once Redis is back
the sweep gets every confirmation to the provider exactly once.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bookings.models import Booking
from immigration.tests.drills import (
    DRILL_DB_REDIS,
    booking_request,
    broker,
    open_day,
    redis_url,
    running_worker,
    verified_phone_key,
    wait_for,
)
from notifications.models import OutboundMessage
from notifications.services import outbox_requeue
from offices.tests.factories import OfficeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]


def _confirmations():
    return OutboundMessage.objects.filter(kind="booking_confirmed")


def test_bookings_taken_while_redis_is_down_are_kept_and_confirmed_once_after(servers, provider):
    office = OfficeFactory(whatsapp_phone_number_id="109876500011")
    day = open_day(office, places=12)
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=f"Api-Key {verified_phone_key(office)}",
    )
    answers: dict[str, list[int]] = {"before": [], "during": [], "after": []}
    codes = []

    def book(phase: str, n: int) -> None:
        response = client.post(
            "/api/v1/bookings/", booking_request(office, day, n), content_type="application/json"
        )
        answers[phase].append(response.status_code)
        if response.status_code == 201:
            codes.append(response.json()[0]["code"])

    queue = redis_url(DRILL_DB_REDIS)
    with broker(queue), running_worker(broker_url=queue, env=provider.worker_env) as worker:
        for n in range(3):
            book("before", n)
        wait_for(lambda: len(provider.sends) == 3, "the first three confirmations went out")

        with servers.redis_stopped():
            for n in range(3, 9):
                book("during", n)
            found = client.get(f"/api/v1/bookings/{codes[-1]}/?birth_date=1990-05-17")
            # The birth-date lockout cannot count guesses without Redis: it fails
            # closed (#17 §3), with a clear 503 rather than letting guesses through.
            assert found.status_code == 503
            assert found.json()["error"]["code"] == "lockout_unavailable"
            waiting = _confirmations().exclude(status="sent")
            assert waiting.count() == 6
            assert set(waiting.values_list("status", flat=True)) == {"queued"}
            assert len(provider.sends) == 3

        wait_for(worker.answers, "the worker reconnected to Redis")
        for n in range(9, 11):
            book("after", n)
        # The beat's sweep a minute later: what was never dispatched goes now.
        outbox_requeue(now=timezone.now() + dt.timedelta(minutes=2))
        wait_for(
            lambda: not _confirmations().exclude(status="sent").exists(),
            "every confirmation was sent",
        )

    assert answers == {"before": [201] * 3, "during": [201] * 6, "after": [201] * 2}
    bookings = list(Booking.objects.filter(office=office))
    assert len(bookings) == 11  # every booking accepted is kept
    assert sorted(b.display_code for b in bookings) == sorted(codes)
    assert _confirmations().count() == 11
    assert {booking.phone for booking in bookings} == set(
        _confirmations().values_list("to", flat=True)
    )
    duplicates = {
        b.phone: provider.sends_to(b.phone) for b in bookings if provider.sends_to(b.phone) != 1
    }
    assert duplicates == {}  # each confirmation reached the provider exactly once
    assert len(provider.sends) == 11
