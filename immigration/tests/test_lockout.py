"""Staff logins: too many failures for one account from one address lock that pair out
for a cool-off (django-axes), counted by the client's real address."""

import datetime as dt
import json

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from immigration.lockout import lockout_response
from immigration.ratelimit import client_ip

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)
PASSWORD = "kunci-rahasia-panjang-42"


@pytest.fixture(autouse=True)
def staff(settings):
    # Dozens of logins per test: a fast hash keeps them quick (the lockout does not
    # depend on how passwords are hashed).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The defaults of .env.example, whatever a developer's .env says.
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
    for name in ("budi", "sari"):
        User.objects.create_user(name, password=PASSWORD, is_staff=True)


def _login(client, username, password, **extra):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, **extra
    )


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client, times, username="budi", **extra):
    return [_login(client, username, "salah", **extra).status_code for _ in range(times)]


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client):
    with time_machine.travel(START, tick=False):
        assert _fail(client, 5) == [200, 200, 200, 200, 429]
        refused = _login(client, "budi", PASSWORD)
    assert refused.status_code == 429
    assert not _logged_in(client)
    assert refused["Retry-After"] == "1800"
    page = refused.content.decode()
    assert "Terlalu banyak percobaan masuk yang gagal" in page
    assert "30 menit" in page


def test_four_wrong_passwords_still_let_the_right_one_in(client):
    with time_machine.travel(START, tick=False):
        _fail(client, 4)
        assert _login(client, "budi", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_the_lockout_page_speaks_english_to_english_readers(client):
    client.cookies["django_language"] = "en"
    with time_machine.travel(START, tick=False):
        _fail(client, 5)
        page = _login(client, "budi", PASSWORD).content.decode()
    assert "Too many failed logins to this account" in page
    assert "30 minutes" in page


def test_another_account_from_the_same_address_is_not_locked(client):
    with time_machine.travel(START, tick=False):
        _fail(client, 5)
        assert _login(client, "sari", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_the_same_account_from_another_address_is_not_locked(client):
    with time_machine.travel(START, tick=False):
        _fail(client, 5, REMOTE_ADDR="203.0.113.9")
        assert _login(client, "budi", PASSWORD, REMOTE_ADDR="198.51.100.4").status_code == 302


def test_the_lock_ends_after_the_cool_off(client):
    with time_machine.travel(START, tick=False):
        _fail(client, 5)
    with time_machine.travel(START + dt.timedelta(minutes=29), tick=False):
        assert _login(client, "budi", PASSWORD).status_code == 429
    # A refused try during the lock starts the cool-off again from that try.
    with time_machine.travel(START + dt.timedelta(minutes=29 + 31), tick=False):
        assert _login(client, "budi", PASSWORD).status_code == 302
    assert _logged_in(client)


def test_the_limit_and_cool_off_come_from_the_settings(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=5)
    with time_machine.travel(START, tick=False):
        assert _fail(client, 2) == [200, 429]
    with time_machine.travel(START + dt.timedelta(minutes=6), tick=False):
        assert _login(client, "budi", PASSWORD).status_code == 302


def test_a_forged_forwarded_address_does_not_escape_the_lock(client):
    with time_machine.travel(START, tick=False):
        for n in range(5):
            _login(client, "budi", "salah", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        assert _login(client, "budi", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    with time_machine.travel(START, tick=False):
        # What a client writes itself stays left of what the proxy appends.
        for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"):
            _login(client, "budi", "salah", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9", **proxy)
        locked = _login(client, "budi", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
        elsewhere = _login(client, "budi", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.4", **proxy)
    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_under_the_api_the_lockout_is_the_error_shape():
    request = RequestFactory().post("/api/v1/bookings/")
    response = lockout_response(request)
    assert response.status_code == 429
    assert response["Retry-After"] == "1800"
    body = json.loads(response.content)
    assert body["error"]["code"] == "locked_out"
    assert body["error"]["fields"] == {}
    assert "30" in body["error"]["message"]


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        ([], "", "192.0.2.1"),
        ([], "203.0.113.9", "192.0.2.1"),
        (["192.0.2.1"], "", "192.0.2.1"),
        (["192.0.2.1"], "203.0.113.9", "203.0.113.9"),
        (["192.0.2.1"], "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (["192.0.2.0/24", "10.0.0.0/8"], "6.6.6.6, 203.0.113.9, 10.0.0.3", "203.0.113.9"),
        (["10.0.0.0/8"], "203.0.113.9", "192.0.2.1"),  # the peer is no proxy of ours
    ],
)
def test_pages_api_throttles_and_lockout_see_the_same_client(
    settings, proxies, forwarded, expected
):
    from offices.throttling import caller_ident

    settings.TRUSTED_PROXIES = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **extra)
    assert client_ip(request) == expected
    assert caller_ident(request) == ("anon", f"ip:{expected}")
    assert settings.AXES_CLIENT_IP_CALLABLE == "immigration.ratelimit.client_ip"
