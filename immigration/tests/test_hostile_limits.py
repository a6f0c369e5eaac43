"""The attacker's view of the limits: a calo with an IPv6 line holds a /64, 2^64
addresses to rotate through. Every limit keyed on the client counts the /64 as one
client, and a neighbouring /64 (another subscriber) is not punished for it.

(The birth-date lockout's attacks, a stranger locking the owner out and guessing
while Redis is down, are in test_lockout.py; /healthz's in test_health.py.)"""

import datetime as dt

import pytest
import time_machine

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


def _rotated(n: int) -> str:
    """The n-th address of one /64, its interface bits all different."""
    return f"2001:db8:ca10:1:{n:x}:{n * 7:x}:{n * 13:x}:{n * 31 + 1:x}"


def _limit(settings, scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


@time_machine.travel(NOW, tick=False)
def test_booking_from_a_new_ipv6_address_each_time_meets_the_booking_throttle(client, settings):
    limit = _limit(settings, "booking")

    def book(n: int, address: str):
        body = {
            "office": "tangerang",
            "date": "2026-12-07",
            "name": f"PEMOHON {chr(65 + n % 26)}{chr(65 + n // 26)}",
            "birth_date": "1980-01-01",
            "phone": f"0813{n:08d}",
        }
        return client.post(
            "/api/v1/bookings/", body, content_type="application/json", REMOTE_ADDR=address
        )

    statuses = [book(n, _rotated(n)).status_code for n in range(limit + 1)]
    assert 429 not in statuses[:limit], statuses
    assert statuses[limit] == 429
    # Another subscriber's /64 books as before.
    assert book(limit + 1, "2001:db8:ca10:2::1").status_code != 429


@time_machine.travel(NOW, tick=False)
def test_lookups_from_a_new_ipv6_address_each_time_meet_the_lookup_throttle(client, settings):
    limit = min(_limit(settings, "lookup"), _limit(settings, "anon"))
    statuses = [
        client.get("/api/v1/bookings/ABCD2345/qr.svg", REMOTE_ADDR=_rotated(n)).status_code
        for n in range(limit + 1)
    ]
    assert set(statuses[:limit]) == {200}
    assert statuses[limit] == 429
    neighbour = client.get("/api/v1/bookings/ABCD2345/qr.svg", REMOTE_ADDR="2001:db8:ca10:2::1")
    assert neighbour.status_code == 200


@time_machine.travel(NOW, tick=False)  # one throttle window (they are aligned on the clock)
def test_a_forwarded_ipv6_chain_from_a_trusted_proxy_is_still_one_client(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    limit = min(_limit(settings, "lookup"), _limit(settings, "anon"))
    statuses = [
        client.get(
            "/api/v1/bookings/ABCD2345/qr.svg",
            REMOTE_ADDR="10.0.0.2",
            # What the client writes itself (left) is never read; what our proxy saw is.
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 250}, {_rotated(n)}",
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses[limit] == 429
