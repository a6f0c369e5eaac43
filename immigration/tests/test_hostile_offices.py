"""Hostile offices and hostile roles (issue 17, §2): a key or an officer of office A
aimed at office B's bookings learns nothing and changes nothing, an account without
the right role moves nothing through any door (API, desk pages, admin), and a
delivery status signed under A's number does not touch B's messages.
"""

import datetime as dt
import hashlib
import hmac
import json
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from bookings.models import Booking, PriorityTicket
from bookings.tests.factories import book
from notifications.models import OutboundMessage
from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
DOOR = dt.datetime(2026, 12, 7, 0, 45, tzinfo=dt.UTC)  # 07:45 WIB on the booked day
SECRET = "hostile-offices-secret"
# Served out of turn on purpose: the role check must come before any counter rule.
SUBMISSION = {
    "fee": "paspor-biasa-48",
    "billing_code": "820261234567890",
    "counter": 1,
    "out_of_turn_reason": "supervisor",
}


@pytest.fixture
def offices():
    return Office.objects.get(code="tangerang"), Office.objects.get(code="batam")


def _booking(office: Office) -> Booking:
    with time_machine.travel(NOW, tick=False):
        return book(office, now=NOW)


def _key_auth(office: Office, scopes: list[str]) -> dict:
    _client, key = ApiClient.objects.create_key(
        name=f"kiosk-{office.code}", office=office, scopes=scopes
    )
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _officer(username: str, office: Office | None, role: str | None) -> Client:
    user = User.objects.create_user(username, password="x", is_staff=True)
    if role:
        user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office, is_headquarters=office is None)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("step", ["check-in", "staff-cancel", "ready", "submission"])
def test_a_desk_key_of_one_office_finds_no_booking_of_another(client, offices, step):
    tangerang, batam = offices
    theirs = _booking(batam)
    auth = _key_auth(tangerang, ["desk"])
    body = SUBMISSION
    with time_machine.travel(DOOR, tick=False):
        aimed = client.post(
            f"/api/v1/bookings/{theirs.code}/{step}/", body, content_type="application/json", **auth
        )
        unknown = client.post(
            f"/api/v1/bookings/ZZZZZZZ2/{step}/", body, content_type="application/json", **auth
        )
    assert aimed.status_code == unknown.status_code == 404
    assert aimed.json() == unknown.json()
    assert batam.name not in aimed.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    assert theirs.events.count() == 1


STAFF_STEPS = [
    ("check-in", "booked", {}),
    ("staff-cancel", "booked", {}),
    ("submission", "checked_in", SUBMISSION),
    ("payment", "submitted", {}),
    ("ready", "paid", {}),
    ("collected", "ready", {}),
]


@pytest.mark.parametrize("role", [None, INSPECTOR])
@pytest.mark.parametrize(("step", "status", "body"), STAFF_STEPS)
def test_accounts_without_the_role_move_no_booking_through_the_staff_api(
    offices, role, step, status, body
):
    tangerang, _batam = offices
    booking = _booking(tangerang)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    officer = _officer("watcher", None if role == INSPECTOR else tangerang, role)
    with time_machine.travel(DOOR, tick=False):
        response = officer.post(
            f"/api/v1/bookings/{booking.code}/{step}/", body, content_type="application/json"
        )
        tickets = officer.post(
            "/api/v1/offices/tangerang/priority-tickets/",
            {"category": "elderly"},
            content_type="application/json",
        )
    assert response.status_code == 403
    assert tickets.status_code == 403
    booking.refresh_from_db()
    assert booking.status == status
    assert not PriorityTicket.objects.exists()


@pytest.mark.parametrize(("step", "status", "body"), STAFF_STEPS)
def test_a_desk_officer_moves_the_offices_bookings_through_the_staff_api(
    offices, step, status, body
):
    tangerang, _batam = offices
    booking = _booking(tangerang)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    officer = _officer("desk", tangerang, DESK)
    with time_machine.travel(DOOR, tick=False):
        response = officer.post(
            f"/api/v1/bookings/{booking.code}/{step}/", body, content_type="application/json"
        )
    assert response.status_code == 200, response.json()
    booking.refresh_from_db()
    assert booking.status != status


@pytest.mark.parametrize("role", [None, INSPECTOR])
def test_accounts_without_the_role_cannot_use_the_door_or_the_counters(offices, role):
    tangerang, _batam = offices
    booking = _booking(tangerang)
    officer = _officer("watcher", tangerang, role)
    with time_machine.travel(DOOR, tick=False):
        door = officer.post("/loket/pintu/", {"code": booking.code})
        ticket = officer.post("/loket/antrean/", {"action": "ticket", "category": "elderly"})
        call = officer.post("/loket/antrean/", {"action": "call", "counter": "1"})
    assert (door.status_code, ticket.status_code, call.status_code) == (403, 403, 403)
    booking.refresh_from_db()
    assert booking.status == "booked"
    assert not PriorityTicket.objects.exists()


def test_an_inspector_reads_bookings_in_the_admin_but_cannot_cancel_them(offices):
    tangerang, _batam = offices
    booking = _booking(tangerang)
    inspector = _officer("inspector", None, INSPECTOR)
    assert inspector.get(f"/admin/bookings/booking/{booking.pk}/change/").status_code == 200
    inspector.post(
        "/admin/bookings/booking/",
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
    )
    booking.refresh_from_db()
    assert booking.status == "booked"
    desk = _officer("desk", tangerang, DESK)
    desk.post(
        "/admin/bookings/booking/", {"action": "cancel_bookings", "_selected_action": [booking.pk]}
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def _status_callback(client, *, phone_number_id: str, provider_id: str, status: str):
    stamp = int(NOW.timestamp()) - 5
    payload = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": phone_number_id},
                            "statuses": [
                                {"id": provider_id, "status": status, "timestamp": str(stamp)}
                            ],
                        }
                    }
                ]
            }
        ]
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def test_a_delivery_status_under_another_offices_number_is_ignored(client, settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    theirs = OutboundMessage.objects.create(
        to="6281234567890",
        text="Pemesanan Anda sudah terkonfirmasi.",
        kind="booking_confirmed",
        status="sent",
        phone_number_id="222000222",
        provider_message_id="wamid.office-b.1",
    )
    with time_machine.travel(NOW, tick=False):
        for status in ("delivered", "read", "failed"):
            response = _status_callback(
                client,
                phone_number_id="111000111",
                provider_id=theirs.provider_message_id,
                status=status,
            )
            assert response.status_code == 200
        theirs.refresh_from_db()
        assert (theirs.status, theirs.delivered_at, theirs.read_at) == ("sent", None, None)
        # Under the number that sent it, the same callback counts.
        _status_callback(
            client,
            phone_number_id="222000222",
            provider_id=theirs.provider_message_id,
            status="read",
        )
    theirs.refresh_from_db()
    assert theirs.status == "read"


def test_the_door_page_answers_another_offices_code_like_an_unknown_one(offices):
    tangerang, batam = offices
    theirs = _booking(batam)
    desk = _officer("desk", tangerang, DESK)
    with time_machine.travel(DOOR, tick=False):
        aimed = desk.post("/loket/pintu/", {"code": theirs.display_code}).content.decode()
        unknown = desk.post("/loket/pintu/", {"code": "ZZZZ-ZZZ2"}).content.decode()
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')  # masked afresh each time
    assert token.sub("", aimed.replace(theirs.display_code, "<code>")) == token.sub(
        "", unknown.replace("ZZZZ-ZZZ2", "<code>")
    )
    assert batam.name not in aimed
    theirs.refresh_from_db()
    assert theirs.status == "booked"
