"""Booking by WhatsApp, through the signed Cloud API webhook and the REST gateway."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine

from bookings.models import Booking
from bookings.tests.factories import book
from bookings.tests.webhook import NOW, PHONE_ID, SECRET, SENDER, STAMP, payload, post, replies
from immigration.tests.drills import open_day
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient, Office
from offices.tests.factories import OfficeFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("whatsapp_webhook", "whatsapp_clock"),
]


def test_the_webhook_handshake(client):
    ok = client.get(
        "/api/v1/whatsapp/webhook/",
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )
    assert (ok.status_code, ok.content) == (200, b"1158201444")
    bad = client.get(
        "/api/v1/whatsapp/webhook/",
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "x"},
    )
    assert bad.status_code == 403


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha1=abc"])
def test_an_unsigned_or_badly_signed_delivery_is_403_and_stores_nothing(client, signature):
    body = json.dumps(payload("#JOJO#27061978#07122026#")).encode()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    assert not Booking.objects.exists()


def test_a_delivery_signed_with_another_secret_is_refused(client):
    assert post(client, payload("INFO"), secret="not-the-secret").status_code == 403
    assert not InboundMessage.objects.exists()


def test_a_booking_message_books_and_the_confirmation_is_the_reply(client):
    response = post(client, payload("  #jojo # 27-06-1978 # 07/12/2026  "))
    assert response.status_code == 200
    booking = Booking.objects.get()
    assert (booking.name, booking.phone, booking.channel, booking.office.code) == (
        "JOJO",
        SENDER,
        "whatsapp",
        "tangerang",
    )
    [(kind, text)] = replies()
    assert kind == "booking_confirmed"
    assert booking.display_code in text
    assert "WIB" in text
    inbound = InboundMessage.objects.get()
    assert inbound.reply == text
    assert inbound.result["bookings"] == [booking.code]


def test_a_second_delivery_of_the_same_message_creates_nothing(client):
    post(client, payload("#JOJO#27061978#07122026#"))
    post(client, payload("#JOJO#27061978#07122026#"))
    assert Booking.objects.count() == 1
    assert InboundMessage.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_a_family_books_with_several_lines(client):
    post(
        client,
        payload("#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#\n#ANAK#03032012#07122026"),
    )
    assert sorted(Booking.objects.values_list("name", flat=True)) == ["ANAK", "BAPAK", "IBU"]
    assert [kind for kind, _ in replies()] == ["booking_confirmed"] * 3


@pytest.mark.parametrize(
    ("text", "expected", "lecture"),
    [
        ("#JOJO#270678#07122026#", "four digits", True),
        ("#JOJO#31042017#07122026#", "does not exist", True),
        ("#JOJO#27061978#27112026#", "passed", False),
        ("#JOJO#27061978#06122026#", "closed", False),  # a Sunday
        ("#JOJO#27061978#25122026#", "Christmas", False),
        ("#JOJO#27061978#04012027#", "opens on", False),
        ("#JOJO#27062030#07122026#", "future", False),
        ("#12345#27061978#07122026#", "letters", False),
    ],
)
def test_what_cannot_be_booked_gets_the_reason_and_the_format_only_when_it_was_the_problem(
    client, text, expected, lecture
):
    post(client, payload("EN", message_id="wamid.lang"))
    post(client, payload(text))
    assert not Booking.objects.exists()
    kind, reply = replies()[-1]
    assert kind == "reply"
    assert expected in reply
    assert ("#NAME#DDMMYYYY#DDMMYYYY#" in reply) is lecture
    assert ("The right format" in reply) is lecture


def test_a_full_day_names_the_next_days_with_room(client):
    tangerang = Office.objects.get(code="tangerang")
    tangerang.opening_hours.update(daily_capacity=1)
    book(tangerang, now=NOW, day=dt.date(2026, 12, 7))
    post(client, payload("#JOJO#27061978#07122026#"))
    reply = replies()[-1][1]
    assert "penuh" in reply
    assert "Selasa, 8 Desember 2026" in reply


def test_status_and_cancel_work_only_from_the_booking_number(client):
    post(client, payload("#JOJO#27061978#07122026#"))
    code = Booking.objects.get().display_code
    # A number new to us writing STATUS is answered in English (issue #21 §4).
    post(client, payload(f"STATUS {code}", message_id="wamid.2", sender="6289999999999"))
    assert "No booking of this WhatsApp number" in replies()[-1][1]
    post(client, payload(f"status {code.lower()}", message_id="wamid.3"))
    assert "dipesan" in replies()[-1][1]
    post(client, payload(f"BATAL {code}", message_id="wamid.4"))
    assert Booking.objects.get().status == "cancelled"
    assert replies()[-1][0] == "booking_cancelled"


def test_english_is_remembered_once_asked_for(client):
    post(client, payload("ENGLISH", message_id="wamid.1"))
    assert "We will write to you in English." in replies()[-1][1]
    post(client, payload("hello?", message_id="wamid.2"))
    assert "one message per person" in replies()[-1][1]
    post(client, payload("#JOJO#27061978#07122026#", message_id="wamid.3"))
    assert "Your booking is confirmed." in replies()[-1][1]


def test_a_flooding_sender_is_answered_once_then_ignored(client, settings):
    settings.WHATSAPP_SENDER_LIMIT = 3
    for n in range(6):
        post(client, payload("INFO", message_id=f"wamid.{n}"))
    texts = [text for _kind, text in replies()]
    assert len(texts) == 4
    assert "many messages" in texts[-1] or "banyak pesan" in texts[-1]
    assert InboundMessage.objects.count() == 6


def test_status_callbacks_update_the_outbound_message(client):
    post(client, payload("INFO"))
    message = OutboundMessage.objects.get()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status="sent", provider_message_id="wamid.out"
    )
    statuses = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": PHONE_ID},
                            "statuses": [
                                {
                                    "id": "wamid.out",
                                    "status": "read",
                                    "timestamp": str(STAMP - 20),
                                    "recipient_id": SENDER,
                                },
                                {
                                    "id": "wamid.out",
                                    "status": "delivered",
                                    "timestamp": str(STAMP - 40),
                                    "recipient_id": SENDER,
                                },
                            ],
                        }
                    }
                ]
            }
        ],
    }
    assert post(client, statuses).status_code == 200
    message.refresh_from_db()
    assert message.status == "read"
    assert message.delivered_at is not None


def test_junk_json_in_a_signed_delivery_is_400_or_ignored(client):
    body = b"not json"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert response.status_code == 400
    assert (
        post(
            client, {"entry": [{"changes": ["x", {"value": {"messages": [{"id": 1}]}}]}]}
        ).status_code
        == 200
    )


@pytest.fixture
def gateway_key():
    _client, key = ApiClient.objects.create_key(name="gateway", scopes=["whatsapp:inbound"])
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _gateway(client, body, auth):
    return client.post("/api/v1/whatsapp/messages/", body, content_type="application/json", **auth)


def test_the_gateway_books_and_returns_the_reply_and_the_booking(client, gateway_key):
    body = {
        "id": "gw-1",
        "from": "081234567890",
        "to": "+628118119000",
        "text": "#JOJO#27061978#07122026#",
    }
    response = _gateway(client, body, gateway_key)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["booking"]["name"] == "JOJO"
    assert data["booking"]["code"] in data["reply"]
    assert data["duplicate"] is False
    again = _gateway(client, body, gateway_key).json()
    assert again["duplicate"] is True
    assert again["reply"] == data["reply"]
    assert Booking.objects.count() == 1


def test_the_gateway_needs_a_key_with_the_scope_and_a_known_office(client, gateway_key):
    body = {"id": "gw-2", "from": "6281234567890", "to": "628118119000", "text": "INFO"}
    assert _gateway(client, body, {}).status_code == 401
    _c, reader = ApiClient.objects.create_key(name="reader", scopes=["bookings:read"])
    assert _gateway(client, body, {"HTTP_AUTHORIZATION": f"Api-Key {reader}"}).status_code == 403
    unknown = _gateway(client, {**body, "to": "+6200000000"}, gateway_key)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_office"
    assert _gateway(client, {**body, "from": "abc"}, gateway_key).status_code == 400


class real_clock(time_machine.travel):
    """The real clock inside a test on the deliveries' frozen one: the session's real
    worker books on today's date, so a test it serves must ask for a day open by that
    clock (a fixed date would turn into the past one day)."""

    def __init__(self):
        super().__init__(time_machine.escape_hatch.time.time(), tick=True)

    def __enter__(self):
        super().__enter__()
        return dt.datetime.now(tz=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_end_to_end_a_signed_message_is_booked_and_the_worker_sends_the_confirmation(
    client, celery_worker_process, wait_until
):
    # Transactional tests may start from an empty database: bring an office of our own.
    Office.objects.filter(whatsapp_phone_number_id=PHONE_ID).update(whatsapp_phone_number_id=None)
    office = OfficeFactory(whatsapp_phone_number_id=PHONE_ID)
    with real_clock() as now:
        delivery = payload(f"#JOJO#27061978#{open_day(office):%d%m%Y}#")
        delivery["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(
            int(now.timestamp()) - 60
        )
        assert post(client, delivery).status_code == 200
    # The real worker may have taken the stored delivery before this test's own turn:
    # whoever processed it, the booking's confirmation is sent, once.
    wait_until(
        lambda: OutboundMessage.objects.filter(kind="booking_confirmed", status="sent").exists(),
        "the delivery was processed and the worker sent the confirmation",
    )
    assert OutboundMessage.objects.filter(kind="booking_confirmed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_gateway_with_a_real_worker(
    client, celery_worker_process, wait_until
):
    Office.objects.filter(whatsapp_number="+628111222333").delete()
    office = OfficeFactory(whatsapp_number="+628111222333")
    _c, key = ApiClient.objects.create_key(name="gateway", scopes=["whatsapp:inbound"])
    with real_clock():
        body = {
            "id": "gw-e2e",
            "from": "6281234567890",
            "to": "628111222333",
            "text": f"#JOJO#27061978#{open_day(office):%d%m%Y}#",
        }
        response = client.post(
            "/api/v1/whatsapp/messages/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )
    assert response.status_code == 200
    message = OutboundMessage.objects.get(kind="booking_confirmed")
    assert response.json()["reply"] == message.text
    wait_until(
        lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent",
        "the worker sent the confirmation",
    )


def test_info_gives_format_hours_address_and_fee(client):
    post(client, payload("INFO"))
    reply = replies()[-1][1]
    assert "#NAMA#DDMMYYYY#DDMMYYYY#" in reply
    assert "08:00-16:00 WIB" in reply
    assert "Jl. Taman Makam Pahlawan" in reply
    assert "Paspor biasa 48 halaman: Rp350.000" in reply


def test_a_message_id_reused_by_another_sender_gets_no_earlier_answer(client, gateway_key):
    first = {
        "id": "gw-x",
        "from": "6281234567890",
        "to": "+628118119000",
        "text": "#JOJO#27061978#07122026#",
    }
    assert _gateway(client, first, gateway_key).status_code == 200
    thief = _gateway(client, {**first, "from": "6289999999999", "text": "INFO"}, gateway_key)
    assert thief.status_code == 409
    assert "JOJO" not in thief.content.decode()


def test_a_header_that_is_not_ascii_is_a_bad_signature_not_an_error(client):
    body = json.dumps(payload("INFO")).encode()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=\u00e9\u00e9",
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "value",
    [
        {"metadata": "x", "messages": 5},
        {"messages": [{"id": "w1", "from": SENDER, "type": "text", "text": "not a dict"}]},
        {"statuses": [{"id": "w", "status": "read", "errors": "x"}], "messages": [None, 3]},
    ],
)
def test_oddly_shaped_signed_payloads_are_skipped_not_errors(client, value):
    assert post(client, {"entry": [{"changes": [{"value": value}]}]}).status_code == 200
