"""Drill: what the provider's at-least-once webhook, and anyone who captured a signed
delivery, can send us. Duplicates are handled once (also when they arrive at the same
moment), status callbacks only move forward whatever their order, and a delivery whose
own timestamp is stale or in the future changes nothing."""

import datetime as dt
import hashlib
import hmac
import itertools
import json
import logging
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client

from bookings.models import Booking
from notifications.inbound import inbox_process
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient
from offices.tests.factories import OfficeFactory

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
STAMP = int(NOW.timestamp())
pytestmark = pytest.mark.drill

SECRET = "app-secret-for-replays"
PHONE_ID = "109876500001"
SENDER = "6281234500001"
BOOKING_TEXT = "#JOJO#27061978#07122026#"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_WEBHOOK_MAX_AGE_SECONDS = 300
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def whatsapp_office(db):
    return OfficeFactory(whatsapp_phone_number_id=PHONE_ID, whatsapp_number="+628118100001")


def _delivery(*, messages=(), statuses=()) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID}}
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def _message(text, *, message_id="wamid.in.1", timestamp=STAMP - 5):
    return {
        "from": SENDER,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": text},
    }


def _status(status, *, timestamp, provider_id="wamid.out.1"):
    return {
        "id": provider_id,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": SENDER,
    }


def _post(client, payload):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    inbox_process()  # the worker's turn: the webhook only stored the delivery
    return response


@pytest.mark.django_db(transaction=True)
def test_the_same_message_delivered_eight_times_at_once_is_handled_once(whatsapp_office):
    deliveries = 8
    barrier = threading.Barrier(deliveries)
    answers: list = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            response = _post(Client(), _delivery(messages=[_message(BOOKING_TEXT)]))
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [(200, {"handled": 1, "ignored": 0})] * deliveries
    assert InboundMessage.objects.count() == 1
    assert Booking.objects.count() == 1
    assert OutboundMessage.objects.filter(kind="booking_confirmed").count() == 1
    assert OutboundMessage.objects.count() == 1


def _sent_message() -> OutboundMessage:
    return OutboundMessage.objects.create(
        to=SENDER,
        text="Halo",
        kind="test",
        status="sent",
        sent_at=NOW - dt.timedelta(minutes=2),
        provider_message_id="wamid.out.1",
        phone_number_id=PHONE_ID,
    )


STATUS_TIMES = {"sent": STAMP - 90, "delivered": STAMP - 60, "read": STAMP - 30}


@pytest.mark.django_db
@pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "read"])))
def test_status_callbacks_in_any_order_and_repeated_only_move_forward(client, order):
    message = _sent_message()
    rank = {"sent": 1, "delivered": 2, "read": 3}
    highest = 1
    for status in order:
        for _repeat in range(2):  # the provider delivers each callback at least once
            response = _post(
                client, _delivery(statuses=[_status(status, timestamp=STATUS_TIMES[status])])
            )
            assert response.json() == {"handled": 1, "ignored": 0}
            highest = max(highest, rank[status])
            message.refresh_from_db()
            assert rank[message.status] == highest
    assert message.status == "read"
    assert message.sent_at == NOW - dt.timedelta(minutes=2)  # ours, not the callback's
    assert message.delivered_at == dt.datetime.fromtimestamp(STATUS_TIMES["delivered"], dt.UTC)
    assert message.read_at == dt.datetime.fromtimestamp(STATUS_TIMES["read"], dt.UTC)
    _post(client, _delivery(statuses=[_status("failed", timestamp=STAMP - 10)]))
    message.refresh_from_db()
    assert message.status == "read"  # a failure reported after reading changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("offset", "fresh"),
    [(-300, True), (-301, False), (-86_400, False), (60, True), (61, False), (3600, False)],
)
def test_a_message_is_handled_only_while_its_timestamp_is_fresh(
    client, whatsapp_office, caplog, offset, fresh
):
    caplog.set_level(logging.WARNING, logger="notifications.webhook")
    response = _post(client, _delivery(messages=[_message(BOOKING_TEXT, timestamp=STAMP + offset)]))
    assert response.status_code == 200  # never a 4xx: the provider would redeliver for days
    assert response.json() == {"handled": int(fresh), "ignored": int(not fresh)}
    assert InboundMessage.objects.count() == int(fresh)
    assert Booking.objects.count() == int(fresh)
    assert OutboundMessage.objects.count() == int(fresh)
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == int(not fresh)
    assert SENDER not in caplog.text  # the log line names no one


@pytest.mark.django_db
def test_a_replay_changes_nothing_and_fresh_items_beside_it_are_still_handled(
    client, whatsapp_office
):
    message = _sent_message()
    payload = _delivery(
        messages=[
            _message(BOOKING_TEXT, message_id="wamid.old", timestamp=STAMP - 3600),
            _message("INFO", message_id="wamid.new"),
            {**_message("INFO", message_id="wamid.undated"), "timestamp": None},
        ],
        statuses=[
            _status("read", timestamp=STAMP - 3600),
            _status("delivered", timestamp=STAMP - 5),
        ],
    )
    assert _post(client, payload).json() == {"handled": 2, "ignored": 3}
    assert list(InboundMessage.objects.values_list("provider_message_id", flat=True)) == [
        "wamid.new"
    ]
    assert not Booking.objects.exists()
    message.refresh_from_db()
    assert (message.status, message.read_at) == ("delivered", None)


@pytest.fixture
def gateway_key(whatsapp_office):
    _client, key = ApiClient.objects.create_key(name="gateway", scopes=["whatsapp:inbound"])
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("timestamp", "status"),
    [
        (None, 200),
        ((NOW - dt.timedelta(seconds=30)).isoformat(), 200),
        ((NOW - dt.timedelta(minutes=10)).isoformat(), 400),
        ((NOW + dt.timedelta(minutes=5)).isoformat(), 400),
    ],
)
def test_the_rest_gateway_refuses_a_stale_or_future_message_clearly(
    client, gateway_key, timestamp, status
):
    body = {"id": "gw-1", "from": SENDER, "to": "628118100001", "text": BOOKING_TEXT}
    if timestamp:
        body["timestamp"] = timestamp
    response = client.post(
        "/api/v1/whatsapp/messages/", body, content_type="application/json", **gateway_key
    )
    assert response.status_code == status
    if status == 400:
        assert response.json()["error"]["code"] == "stale_message"
        assert "timestamp" in response.json()["error"]["fields"]
    assert Booking.objects.count() == (1 if status == 200 else 0)
    assert InboundMessage.objects.count() == (1 if status == 200 else 0)
