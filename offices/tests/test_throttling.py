"""API rate limits per caller (key, staff user, client address) and per kind of work,
with rates from settings; the client address is trusted from X-Forwarded-For only
behind a configured proxy."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User

from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

OFFICES = "/api/v1/offices/"
LOOKUP = "/api/v1/complaints/ABCD2345/"
STAFF_LIST = "/api/v1/offices/tangerang/bookings/?date=2026-12-07"
# Half way through a minute. The throttles count in windows aligned on the clock
# (offices/throttling.py): on the real clock a test's requests could straddle a
# window's edge and the last one be let through (seen in CI).
NOW = dt.datetime(2026, 11, 30, 2, 0, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def rates(settings):
    """Low rates for one test: set the ones it needs."""

    def set_rates(**overrides):
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **overrides},
        }

    return set_rates


def _statuses(client, path, n, **extra) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(n)]


def _key(name, scopes=("bookings:read",)) -> dict:
    _client, key = ApiClient.objects.create_key(name=name, scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def test_a_throttled_answer_is_429_in_the_shape_with_retry_after(client, rates):
    rates(anon="2/min")
    assert _statuses(client, OFFICES, 2) == [200, 200]
    response = client.get(OFFICES)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert response["Retry-After"] == "30"  # the rest of the minute


def test_each_scope_limits_separately_for_the_same_address(client, rates):
    rates(lookup="2/min", booking="1/min")
    assert _statuses(client, LOOKUP, 3) == [404, 404, 429]
    booking = client.post("/api/v1/bookings/", {}, content_type="application/json")
    assert booking.status_code == 400
    again = client.post("/api/v1/bookings/", {}, content_type="application/json")
    assert again.status_code == 429
    assert client.get(OFFICES).status_code == 200


def test_anonymous_callers_are_counted_per_address(client, rates):
    rates(anon="2/min")
    assert _statuses(client, OFFICES, 3, REMOTE_ADDR="198.51.100.1") == [200, 200, 429]
    assert client.get(OFFICES, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(client, rates, settings):
    rates(anon="2/min")
    settings.TRUSTED_PROXIES = []
    spoofed = [
        client.get(OFFICES, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(3)
    ]
    assert spoofed == [200, 200, 429]


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, rates, settings):
    rates(anon="2/min")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    # The client wrote the first entry; the proxy appended the address it saw.
    first = {"HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7", **proxy}
    forged = {"HTTP_X_FORWARDED_FOR": "9.9.9.9, 203.0.113.7", **proxy}
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.8", **proxy}
    assert _statuses(client, OFFICES, 2, **first) == [200, 200]
    assert client.get(OFFICES, **forged).status_code == 429
    assert client.get(OFFICES, **other).status_code == 200


def test_two_keys_are_limited_independently_at_the_client_rate(client, rates):
    rates(client="2/min", anon="100/min")
    first, second = _key("bank-1"), _key("bank-2")
    assert _statuses(client, STAFF_LIST, 3, **first) == [200, 200, 429]
    assert _statuses(client, STAFF_LIST, 2, **second) == [200, 200]
    # A key's own limit is not the anonymous one of its address, and the reverse.
    assert client.get(OFFICES).status_code == 200


def test_the_whatsapp_scope_is_a_gateway_keys_rate_instead_of_the_client_rate(client, rates):
    rates(client="1/min", whatsapp="3/min")
    gateway = _key("gateway", scopes=["whatsapp:inbound"])
    other = _key("gateway-2", scopes=["whatsapp:inbound"])
    body = {"id": "x", "from": "6281234567890", "to": "+6200000000", "text": "INFO"}

    def send(auth):
        return client.post(
            "/api/v1/whatsapp/messages/", body, content_type="application/json", **auth
        ).status_code

    # Unknown office number: 400 each time, but each one counts.
    assert [send(gateway) for _ in range(4)] == [400, 400, 400, 429]
    assert send(other) == 400


def test_staff_users_are_limited_per_user(client, rates):
    rates(user="2/min")
    tangerang = Office.objects.get(code="tangerang")
    users = []
    for name in ("desk-1", "desk-2"):
        user = User.objects.create_user(name, is_staff=True)
        OfficerProfile.objects.create(user=user, office=tangerang)
        user.groups.add(ensure_role_groups()[DESK])
        users.append(user)
    client.force_login(users[0])
    assert _statuses(client, STAFF_LIST, 3) == [200, 200, 429]
    client.force_login(users[1])
    assert _statuses(client, STAFF_LIST, 2) == [200, 200]
