"""With the cache (Redis) unreachable, rate limits and throttles fail open with a log
line: a booking is still taken (the database enforces the rules that matter)."""

import datetime as dt
import logging

import pytest
import time_machine

from bookings.models import Booking
from immigration import ratelimit

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture
def cache_down(settings, unused_tcp_port):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{unused_tcp_port}/0",
        }
    }


def test_page_rate_limits_allow_and_count_nothing_while_the_cache_is_down(cache_down, caplog):
    caplog.set_level(logging.WARNING, logger="immigration.ratelimit")
    assert all(ratelimit.allow("booking-page:10.0.0.1", limit=1, window_seconds=60) for _ in "ab")
    assert ratelimit.count("lookup-failures:ABCD2345") == 0
    assert ratelimit.hit("wa-sender:6281234567890", window_seconds=60) == 0
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert all("the cache is unavailable" in line for line in lines)
    assert "6281234567890" not in caplog.text


@time_machine.travel(NOW, tick=False)
def test_the_booking_api_takes_bookings_past_the_throttle_while_the_cache_is_down(
    client, cache_down, settings, caplog
):
    # With the cache up the request after `limit` is 429 (bookings/tests/test_api.py).
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["booking"].split("/")[0])
    # The per-client limit on holds is kept in the database, not the cache: raised here,
    # so only the throttle is under test (the next test keeps it).
    settings.BOOKING_HOLD_CLIENT_MAX = limit + 2
    caplog.set_level(logging.WARNING, logger="immigration.throttling")
    for n in range(limit + 2):
        body = {
            "office": "tangerang",
            "date": "2026-12-07",
            "name": f"PEMOHON {chr(65 + n)}",
            "birth_date": "1978-06-17",
            "phone": f"0812345678{n:02d}",
        }
        response = client.post("/api/v1/bookings/", body, content_type="application/json")
        assert response.status_code == 201, response.content
    assert Booking.objects.count() == limit + 2
    assert any("not applied" in r.getMessage() for r in caplog.records)


@time_machine.travel(NOW, tick=False)
def test_with_the_cache_down_one_client_still_holds_only_a_handful(client, cache_down, settings):
    """Throttles open while Redis is down; the per-client limit on holds does not."""
    answers = []
    for n in range(settings.BOOKING_HOLD_CLIENT_MAX + 3):
        body = {
            "office": "tangerang",
            "date": "2026-12-07",
            "name": f"PEMOHON {chr(65 + n)}",
            "birth_date": "1978-06-17",
            "phone": f"0857345678{n:02d}",
        }
        answers.append(client.post("/api/v1/bookings/", body, content_type="application/json"))
    assert [a.status_code for a in answers].count(201) == settings.BOOKING_HOLD_CLIENT_MAX
    assert answers[-1].json()["error"]["code"] == "hold_limit_reached"
    assert Booking.objects.filter(status="held").count() == settings.BOOKING_HOLD_CLIENT_MAX
