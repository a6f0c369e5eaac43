"""The bookings API: applicants with code + birth date; staff and keys for their office."""

import datetime as dt
import io

import pytest
import time_machine
import zxingcpp
from django.contrib.auth.models import User
from django.core.management import call_command
from PIL import Image

from bookings.codes import display
from bookings.models import Booking
from bookings.services import booking_hold_confirm
from bookings.tests.factories import book
from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

# 30 November 2026, 09:00 WIB: Monday 7 December has been released.
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
DOOR = dt.datetime(2026, 12, 7, 0, 45, tzinfo=dt.UTC)  # 07:45 WIB on the day


def _payload(**overrides):
    body = {
        "office": "tangerang",
        "date": "2026-12-07",
        "name": "Siti Nur'aini",
        "birth_date": "1978-06-17",
        "phone": "0812-3456-7890",
    }
    body.update(overrides)
    return body


def _confirm(code: str, phone: str = "6281234567890"):
    """What `YA <code>` from the typed number does (bookings/tests/test_holds.py tests
    the WhatsApp path itself)."""
    office = Office.objects.get(code="tangerang")
    return booking_hold_confirm(office=office, phone=phone, code=code, now=NOW)


@pytest.fixture
def api(client):
    def post(path, body=None, **extra):
        return client.post(path, body or {}, content_type="application/json", **extra)

    client.post_json = post
    return client


@time_machine.travel(NOW, tick=False)
def test_booking_returns_201_with_a_hold_and_its_whatsapp_confirmation(api):
    response = api.post_json("/api/v1/bookings/", _payload())
    assert response.status_code == 201, response.json()
    [booking] = response.json()
    assert booking["status"] == "held"
    assert booking["name"] == "SITI NUR'AINI"
    assert booking["office"] == "tangerang"
    assert booking["queue_number"] is None
    assert booking["qr_url"] is None  # not valid at the door yet
    assert booking["slot_start"] == "2026-12-07T08:00:00+07:00"
    assert booking["arrive_by"] == "2026-12-07T07:30:00+07:00"
    assert booking["expires_at"] == "2026-12-07T08:30:00+07:00"
    assert booking["hold_expires_at"] == "2026-11-30T09:15:00+07:00"
    assert booking["code"][4] == "-"
    assert booking["confirm_text"] == f"YA {booking['code']}"
    office = Office.objects.get(code="tangerang")
    number = office.whatsapp_number.lstrip("+")
    assert booking["confirm_url"] == f"https://wa.me/{number}?text=YA%20{booking['code']}"


@time_machine.travel(NOW, tick=False)
def test_a_confirmed_hold_has_its_queue_number_and_qr(api):
    code = api.post_json("/api/v1/bookings/", _payload()).json()[0]["code"]
    _confirm(code)
    booking = api.post_json(f"/api/v1/bookings/{code}/lookup/", {"birth_date": "1978-06-17"})
    assert booking.json()["status"] == "booked"
    assert booking.json()["queue_number"] == "A-001"
    assert booking.json()["qr_url"] == f"/api/v1/bookings/{code.replace('-', '')}/qr.png"
    assert booking.json()["confirm_url"] is None


@time_machine.travel(NOW, tick=False)
def test_a_family_is_booked_in_one_request(api):
    body = _payload(
        family=[
            {"name": "Budi", "birth_date": "2012-03-04"},
            {"name": "Ani", "birth_date": "2015-05-06"},
        ]
    )
    response = api.post_json("/api/v1/bookings/", body)
    assert response.status_code == 201
    assert [b["status"] for b in response.json()] == ["held"] * 3
    _confirm(response.json()[0]["code"])  # one message confirms the whole family
    codes = [b["code"].replace("-", "") for b in response.json()]
    numbers = Booking.objects.filter(code__in=codes).order_by("queue_seq")
    assert [b.queue_number for b in numbers] == ["A-001", "A-002", "A-003"]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"date": "2026-12-06"}, 400, "day_closed"),
        ({"date": "2026-11-27"}, 400, "date_past"),
        ({"date": "2027-01-04"}, 400, "not_released"),
        ({"date": "2026-02-30"}, 400, "invalid"),
        ({"name": "1234"}, 400, "invalid_name"),
        ({"phone": "12"}, 400, "invalid_phone"),
        ({"birth_date": "2030-01-01"}, 400, "invalid_birth_date"),
        ({"office": "atlantis"}, 404, "not_found"),
        ({"slot": 999999}, 400, "invalid_slot"),
    ],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(api, overrides, status, code):
    response = api.post_json("/api/v1/bookings/", _payload(**overrides))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert not Booking.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_missing_fields_are_listed(api):
    response = api.post_json("/api/v1/bookings/", {"office": "tangerang"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"date", "name", "birth_date", "phone"}


@time_machine.travel(NOW, tick=False)
def test_a_duplicate_is_409(api):
    api.post_json("/api/v1/bookings/", _payload())
    response = api.post_json("/api/v1/bookings/", _payload(phone="0813-0000-0000"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_booking"


@time_machine.travel(NOW, tick=False)
def test_booking_is_throttled_per_client(api, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    limit = int(rates["booking"].split("/")[0])
    statuses = [
        api.post_json(
            "/api/v1/bookings/", _payload(name=f"Orang {chr(65 + i)}", phone=f"08130000{i:04d}")
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [201] * limit
    assert statuses[limit] == 429
    assert (
        api.post_json("/api/v1/bookings/", _payload(name="Lagi")).json()["error"]["code"]
        == "throttled"
    )


@time_machine.travel(NOW, tick=False)
def test_a_booking_is_shown_only_with_the_right_birth_date(api):
    code = api.post_json("/api/v1/bookings/", _payload()).json()[0]["code"]
    ok = api.get(f"/api/v1/bookings/{code.lower()}/?birth_date=1978-06-17")
    assert ok.status_code == 200
    assert ok.json()["code"] == code
    for query in ("?birth_date=1978-06-18", "", "?birth_date=junk"):
        response = api.get(f"/api/v1/bookings/{code}/{query}")
        assert response.status_code in (400, 404)
        assert "SITI" not in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_cancel_and_reschedule_by_the_applicant(api):
    code = api.post_json("/api/v1/bookings/", _payload()).json()[0]["code"]
    _confirm(code)
    wrong = api.post_json(f"/api/v1/bookings/{code}/cancel/", {"birth_date": "1978-06-18"})
    assert wrong.status_code == 404
    moved = api.post_json(
        f"/api/v1/bookings/{code}/reschedule/", {"birth_date": "1978-06-17", "date": "2026-12-08"}
    )
    assert moved.status_code == 200
    new_code = moved.json()["code"]
    assert moved.json()["slot_start"].startswith("2026-12-08T08:00")
    cancelled = api.post_json(f"/api/v1/bookings/{new_code}/cancel/", {"birth_date": "1978-06-17"})
    assert cancelled.json()["status"] == "cancelled"


@time_machine.travel(NOW, tick=False)
def test_the_qr_code_encodes_the_booking_code_only(api):
    booking = book(Office.objects.get(code="tangerang"), now=NOW)
    png = api.get(f"/api/v1/bookings/{booking.code}/qr.png")
    assert png["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(png.content)).convert("L")
    (read,) = zxingcpp.read_barcodes(image)
    assert read.text == display(booking.code)
    svg = api.get(f"/api/v1/bookings/{booking.display_code}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert booking.name.encode() not in svg.content
    # Drawn from the code alone: the answer never tells whether a code exists.
    assert api.get("/api/v1/bookings/ZZZZZZZZ/qr.png").status_code == 200
    assert api.get("/api/v1/bookings/ZZZZ-ZZZ0/qr.png").status_code == 404


def _staff(username, office_code, role=DESK):
    user = User.objects.create_user(username, password="x", is_staff=True)
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code=office_code))
    if role:
        user.groups.add(ensure_role_groups()[role])
    return user


def test_staff_check_in_at_their_own_office_only(api):
    with time_machine.travel(NOW, tick=False):
        booking = book(Office.objects.get(code="tangerang"), now=NOW)
    with time_machine.travel(DOOR, tick=False):
        api.force_login(_staff("batam-desk", "batam"))
        refused = api.post_json(f"/api/v1/bookings/{booking.code}/check-in/")
        unknown = api.post_json("/api/v1/bookings/ZZZZZZZZ/check-in/")
        # Another office's code is answered like a code that does not exist.
        assert refused.status_code == unknown.status_code == 404
        assert refused.json() == unknown.json()
        assert refused.json()["error"]["code"] == "booking_not_found"
        api.force_login(_staff("tgr-desk", "tangerang"))
        admitted = api.post_json(f"/api/v1/bookings/{booking.display_code.lower()}/check-in/")
        assert admitted.status_code == 200
        assert admitted.json()["status"] == "checked_in"


def test_the_staff_api_is_closed_to_the_public_and_to_staff_without_an_office(api):
    with time_machine.travel(NOW, tick=False):
        booking = book(Office.objects.get(code="tangerang"), now=NOW)
    assert api.post_json(f"/api/v1/bookings/{booking.code}/check-in/").status_code == 401
    api.force_login(User.objects.create_user("nobody", is_staff=True))
    assert api.post_json(f"/api/v1/bookings/{booking.code}/check-in/").status_code == 403
    assert api.get("/api/v1/offices/tangerang/bookings/?date=2026-12-07").status_code == 403


def test_an_office_lists_its_own_bookings_and_cannot_see_anothers(api):
    with time_machine.travel(NOW, tick=False):
        book(Office.objects.get(code="tangerang"), now=NOW)
    api.force_login(_staff("tgr", "tangerang"))
    own = api.get("/api/v1/offices/tangerang/bookings/?date=2026-12-07")
    assert own.status_code == 200
    assert len(own.json()) == 1
    assert own.json()[0]["phone"].startswith("62")
    assert api.get("/api/v1/offices/batam/bookings/?date=2026-12-07").status_code == 404


def test_a_bank_key_confirms_payment_and_nothing_else(api):
    tangerang = Office.objects.get(code="tangerang")
    with time_machine.travel(NOW, tick=False):
        booking = book(tangerang, now=NOW)
    desk = _staff("tgr", "tangerang")
    with time_machine.travel(DOOR, tick=False):
        api.force_login(desk)
        api.post_json(f"/api/v1/bookings/{booking.code}/check-in/")
        submitted = api.post_json(
            f"/api/v1/bookings/{booking.code}/submission/",
            {
                "fee": "paspor-biasa-48",
                "billing_code": "820261234567890",
                "counter": 1,
                "out_of_turn_reason": "other",
                "out_of_turn_note": "no call-next at this desk",
            },
        )
        assert submitted.json()["fee_amount"] == 350_000
        api.logout()
    _client, key = ApiClient.objects.create_key(name="bank", scopes=["payments:confirm"])
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert api.post_json(f"/api/v1/bookings/{booking.code}/ready/", **auth).status_code == 403
    paid = api.post_json(f"/api/v1/bookings/{booking.code}/payment/", **auth)
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert ApiClient.objects.get(name="bank").last_used_at is not None
    event = Booking.objects.get(pk=booking.pk).events.order_by("pk").last()
    assert (event.actor_kind, event.actor_label, event.channel) == ("api_client", "bank", "api")
    assert (
        api.post_json(
            f"/api/v1/bookings/{booking.code}/payment/", HTTP_AUTHORIZATION="Api-Key wrong"
        ).status_code
        == 401
    )


def test_a_key_tied_to_one_office_cannot_reach_another(api):
    with time_machine.travel(NOW, tick=False):
        booking = book(Office.objects.get(code="tangerang"), now=NOW)
    _client, key = ApiClient.objects.create_key(
        name="batam-kiosk",
        office=Office.objects.get(code="batam"),
        scopes=["bookings:read", "desk"],
    )
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    assert api.get("/api/v1/offices/tangerang/bookings/?date=2026-12-07", **auth).status_code == 404
    assert api.post_json(f"/api/v1/bookings/{booking.code}/ready/", **auth).status_code == 404


def test_priority_tickets_from_the_desk(api):
    api.force_login(_staff("tgr", "tangerang"))
    with time_machine.travel(DOOR, tick=False):  # tickets only while the office serves
        first = api.post_json(
            "/api/v1/offices/tangerang/priority-tickets/", {"category": "elderly"}
        )
        refused = api.post_json("/api/v1/offices/tangerang/priority-tickets/", {"category": "x"})
    assert first.status_code == 201
    assert first.json()["number"] == "P-001"
    assert refused.status_code == 400


def test_priority_tickets_from_the_desk_are_refused_at_night(api):
    api.force_login(_staff("tgr", "tangerang"))
    with time_machine.travel(dt.datetime(2026, 12, 7, 16, 0, tzinfo=dt.UTC), tick=False):
        night = api.post_json("/api/v1/offices/tangerang/priority-tickets/", {"category": "child"})
    assert night.status_code == 409
    assert night.json()["error"]["code"] == "office_closed_now"


def test_operators_create_staff_and_api_clients_from_the_command_line(capsys):
    call_command("create_staff", "budi", "--office", "batam", "--role", "desk")
    out = capsys.readouterr().out
    assert "Password (shown once):" in out
    user = User.objects.get(username="budi")
    assert user.officer_profile.office.code == "batam"
    assert user.groups.get().name == "Petugas loket"
    assert user.has_perm("bookings.view_booking")
    call_command("create_api_client", "gateway", "--office", "batam", "--scope", "whatsapp:inbound")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    client = ApiClient.objects.get_from_key(key)
    assert (client.name, client.office.code, client.scopes) == (
        "gateway",
        "batam",
        ["whatsapp:inbound"],
    )
    assert key not in str(ApiClient.objects.values_list("hashed_key", flat=True))


@time_machine.travel(NOW, tick=False)
def test_a_code_is_locked_after_ten_wrong_birth_dates(api):
    code = api.post_json("/api/v1/bookings/", _payload()).json()[0]["code"]
    for day in range(1, 11):
        assert api.get(f"/api/v1/bookings/{code}/?birth_date=1978-06-{day:02d}").status_code == 404
    locked = api.get(f"/api/v1/bookings/{code}/?birth_date=1978-06-17")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_attempts"


def test_a_check_in_body_that_is_not_an_object_is_400(api):
    api.force_login(_staff("tgr", "tangerang"))
    response = api.post_json("/api/v1/bookings/ABCDEFGH/check-in/", ["x"])
    assert response.status_code == 400
