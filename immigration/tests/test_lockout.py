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


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("2001:db8:1:2::1", "2001:db8:1:2::"),
        ("2001:db8:1:3::1", "2001:db8:1:3::"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("203.0.113.9", "203.0.113.9"),
    ],
)
def test_ipv6_clients_are_keyed_by_their_64(settings, remote, expected):
    settings.TRUSTED_PROXIES = []
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=remote)) == expected


def test_behind_a_proxy_a_forwarded_ipv6_client_is_keyed_by_its_64(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="2001:db8:7:8:1:2:3:4"
    )
    assert client_ip(request) == "2001:db8:7:8::"


def test_logins_from_one_ipv6_64_share_one_lockout(client):
    with time_machine.travel(START, tick=False):
        for n in range(5):
            _login(client, "budi", "salah", REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
        rotated = _login(client, "budi", PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::9")
        elsewhere = _login(client, "budi", PASSWORD, REMOTE_ADDR="2001:db8:1:3::1")
    assert rotated.status_code == 429
    assert elsewhere.status_code == 302


# --- the birth-date lockout (bookings.services.booking_for_applicant) -------------------

DAY = dt.date(2026, 12, 7)
BOOKED_AT = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
BORN = dt.date(1978, 6, 17)
OWNER = "198.51.100.4"


@pytest.fixture
def booking(settings):
    from bookings.applicant import Applicant
    from bookings.models import Channel
    from bookings.services import Actor, booking_create
    from offices.models import Office

    settings.BIRTH_DATE_GUESSES_PER_CLIENT = 10
    settings.BIRTH_DATE_GUESSES_PER_CODE = 50
    with time_machine.travel(BOOKED_AT, tick=False):
        yield booking_create(
            office=Office.objects.get(code="tangerang"),
            date=DAY,
            applicant=Applicant("Siti Nuraini", BORN),
            phone="081234567890",
            actor=Actor.applicant(Channel.WEB),
            phone_verified=True,  # a confirmed booking (holds: bookings/tests/test_holds.py)
        )


def _lookup(client, booking, born, address):
    return client.get(
        f"/api/v1/bookings/{booking.code}/",
        {"birth_date": born.isoformat()},
        REMOTE_ADDR=address,
    )


def _guess(client, booking, address, times):
    statuses = set()
    for n in range(times):
        wrong = BORN.replace(year=1950 + n % 40, day=1 + n // 40)
        statuses.add(_lookup(client, booking, wrong, address).status_code)
    return statuses


def test_a_strangers_wrong_birth_dates_do_not_lock_the_owner_out(client, booking):
    assert _guess(client, booking, "203.0.113.9", 10) == {404}
    stranger = _lookup(client, booking, BORN, "203.0.113.9")
    owner = _lookup(client, booking, BORN, OWNER)
    assert stranger.status_code == 429
    assert stranger.json()["error"]["code"] == "too_many_attempts"
    assert stranger["Retry-After"] == "3600"  # the lock's window: an hour
    assert owner.status_code == 200
    assert owner.json()["code"] == booking.display_code


def test_a_guesser_rotating_through_an_ipv6_64_is_one_client(client, booking):
    for n in range(10):
        wrong = BORN.replace(year=1950 + n)
        _lookup(client, booking, wrong, f"2001:db8:1:2::{n + 1:x}")
    assert _lookup(client, booking, BORN, "2001:db8:1:2:9::1").status_code == 429
    assert _lookup(client, booking, BORN, "2001:db8:1:3::1").status_code == 200


def test_a_guesser_with_many_addresses_locks_the_code_at_the_higher_cap(client, booking, settings):
    settings.BIRTH_DATE_GUESSES_PER_CLIENT = 3
    settings.BIRTH_DATE_GUESSES_PER_CODE = 7
    for n in range(7):
        wrong = BORN.replace(year=1950 + n)
        assert _lookup(client, booking, wrong, f"203.0.113.{n}").status_code == 404
    # Each address is under its own cap; together they reached the code's.
    fresh = _lookup(client, booking, BORN, "192.0.2.200")
    assert fresh.status_code == 429
    assert fresh.json()["error"]["code"] == "too_many_attempts"


def test_the_web_page_and_the_api_count_one_clients_guesses_together(client, booking, settings):
    settings.BIRTH_DATE_GUESSES_PER_CLIENT = 4
    for n in range(2):
        _lookup(client, booking, BORN.replace(year=1950 + n), "203.0.113.9")
    for n in range(2):
        client.post(
            "/cek/",
            {"code": booking.code, "birth_date": f"19{60 + n}-06-17", "action": "show"},
            REMOTE_ADDR="203.0.113.9",
        )
    assert _lookup(client, booking, BORN, "203.0.113.9").status_code == 429
    assert _lookup(client, booking, BORN, OWNER).status_code == 200
    page = client.post(
        "/cek/",
        {"code": booking.code, "birth_date": BORN.isoformat(), "action": "show"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert page.status_code == 429  # the page says it too, and when to come back
    assert int(page["Retry-After"]) > 0
    assert 'class="ticket' not in page.content.decode()  # no booking shown


@pytest.fixture
def cache_down(settings, unused_tcp_port):
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{unused_tcp_port}/0",
        }
    }


def test_with_the_cache_down_the_lookup_fails_closed_with_503(client, booking, cache_down):
    right = _lookup(client, booking, BORN, OWNER)
    wrong = _lookup(client, booking, BORN.replace(year=1979), OWNER)
    unknown = client.get("/api/v1/bookings/ABCD2345/", {"birth_date": "1978-06-17"})
    # No answer tells a right birth date from a wrong one, or a real code from none.
    for response in (right, wrong, unknown):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "lockout_unavailable"
        assert response["Retry-After"] == "15"
    assert "coba lagi" in right.json()["error"]["message"]
    english = client.get(
        f"/api/v1/bookings/{booking.code}/",
        {"birth_date": BORN.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "try again in a few minutes" in english.json()["error"]["message"]


def test_with_the_cache_down_nobody_cancels_by_guessing(client, booking, cache_down):
    from bookings.models import Booking

    response = client.post(
        f"/api/v1/bookings/{booking.code}/cancel/",
        {"birth_date": BORN.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_with_the_cache_down_the_check_page_says_so_with_503(client, booking, cache_down):
    page = client.post(
        "/cek/", {"code": booking.code, "birth_date": BORN.isoformat(), "action": "cancel"}
    )
    assert page.status_code == 503
    assert "Pemeriksaan pemesanan sedang tidak tersedia" in page.content.decode()
    from bookings.models import Booking

    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_with_the_cache_down_nobody_reschedules_by_guessing(client, booking, cache_down):
    from bookings.models import Booking

    response = client.post(
        f"/api/v1/bookings/{booking.code}/reschedule/",
        {"birth_date": BORN.isoformat(), "date": (DAY + dt.timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "lockout_unavailable"
    assert list(Booking.objects.values_list("pk", "status", "date")) == [
        (booking.pk, "booked", DAY)
    ]
