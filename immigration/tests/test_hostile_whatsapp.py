"""Hostile WhatsApp messages: the booking format with hostile names and impossible
dates, commands with hostile codes, LAPOR with odd text; each through the conversation
(receive_inbound), the REST gateway and the signed Cloud API webhook. Then the
gateway's fields and raw bodies, and signed deliveries of odd shapes.

Every message gets a polite reply in the outbox: no trace, no markup echoed, short
enough for WhatsApp to deliver. Nothing is booked or filed, except the reports in
ACCEPTED_MESSAGES (a report may hold any text; it is stored as written).
"""

import hashlib
import hmac
import json

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from bookings.models import Booking
from complaints.models import Complaint
from immigration.tests.conftest import WEBHOOK_SECRET
from immigration.tests.hostile import (
    ACCEPTED_MESSAGES,
    BODIES,
    DELIVERIES,
    MESSAGES,
    SENDER,
    TEXTS,
    WRONG_TYPES,
    cloud_message,
    cloud_payload,
)
from immigration.tests.hostile_checks import (
    assert_api_refusal,
    assert_polite_reply,
    post_json,
    set_at,
)
from notifications.inbound import Inbound, inbox_process, receive_inbound
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient

pytestmark = pytest.mark.django_db

# The catalogue's lists this surface is tried with (counted in test_hostile_inputs).
CATALOGUE = [MESSAGES, TEXTS, WRONG_TYPES, BODIES, DELIVERIES]

OFFICE_NUMBER = "+628118119000"  # Tangerang's WhatsApp number (pilot data)


def _replies() -> list[str]:
    replies = OutboundMessage.objects.filter(to=SENDER, kind="reply").order_by("pk")
    return list(replies.values_list("text", flat=True))


def _answered_politely(state, name: str) -> None:
    replies = _replies()
    assert len(replies) == 1, f"{len(replies)} replies"
    assert_polite_reply(replies[0])
    if name in ACCEPTED_MESSAGES:
        state.added(complaints=1)
        assert Complaint.objects.get().tracking_code in replies[0]
    else:
        state.unchanged()


def _receive(text: str):
    return receive_inbound(
        Inbound(
            provider_message_id="wamid.hostile",
            sender=SENDER,
            text=text,
            received_at=timezone.now(),
            to=OFFICE_NUMBER,
        )
    )


@pytest.fixture
def gateway(client):
    _client, key = ApiClient.objects.create_key(name="gateway", scopes=["whatsapp:inbound"])
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}

    def post(body):
        return post_json(client, "/api/v1/whatsapp/messages/", body, **auth)

    def post_raw(data: bytes, content_type: str):
        path = "/api/v1/whatsapp/messages/"
        return client.generic("POST", path, data, content_type=content_type, **auth)

    post.raw = post_raw
    return post


def _gateway_body(text="INFO") -> dict:
    return {"id": "gw-hostile", "from": SENDER, "to": OFFICE_NUMBER, "text": text}


def _signed(client, data: bytes, content_type="application/json"):
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), data, hashlib.sha256).hexdigest()
    response = client.generic(
        "POST",
        "/api/v1/whatsapp/webhook/",
        data,
        content_type=content_type,
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    inbox_process()  # the worker's turn: the webhook only stored the delivery
    return response


# The gateway is an API: what no WhatsApp message can hold (a NUL, a lone surrogate,
# more than 4096 characters) it refuses with a 400; the rest it answers politely.
GATEWAY_REFUSES = {
    "nul_bytes",
    "book_name_lone_surrogate",
    "book_name_too_long",
    "book_only_hashes_10k",
    "book_many_lines",
    "status_long_code",
    "lapor_huge_text",
    "lapor_nul_only",
}


@pytest.mark.parametrize("message", MESSAGES, ids=str)
def test_every_channel_answers_a_hostile_message_politely(client, gateway, world, message):
    with world.attempt("conversation") as state:
        assert_polite_reply(_receive(message.value).reply)
        _answered_politely(state, message.name)
    with world.attempt("gateway") as state:
        response = gateway(_gateway_body(message.value))
        if message.name in GATEWAY_REFUSES:
            assert_api_refusal(response)
            state.unchanged()
        else:
            assert response.status_code == 200, response.content[:300]
            assert_polite_reply(response.json()["reply"])
            _answered_politely(state, message.name)
    with world.attempt("webhook") as state:
        payload = cloud_payload(messages=[cloud_message(text={"body": message.value})])
        response = _signed(client, json.dumps(payload).encode())
        assert response.status_code == 200, response.content[:300]
        _answered_politely(state, message.name)
    world.verdict()


@pytest.mark.parametrize("hostile", TEXTS, ids=str)
def test_the_conversation_refuses_a_hostile_name_in_the_booking_format(world, hostile):
    with world.attempt("conversation") as state:
        name = hostile.value.replace("#", "").replace("\n", " ").replace("\r", " ")
        _receive(f"#{name}#17061978#07122026#")
        _answered_politely(state, hostile.name)
    world.verdict()


def test_a_report_with_html_is_stored_as_written_and_escaped_in_the_admin(client, world):
    _receive("LAPOR CALO <script>alert(1)</script> di parkiran")
    complaint = Complaint.objects.get()
    assert complaint.description == "<script>alert(1)</script> di parkiran"
    client.force_login(User.objects.create_superuser("inspektur", password="x"))
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; di parkiran" in page


def test_markup_an_applicant_sent_is_escaped_in_the_booking_admin(client, world):
    # A line beside the booking line is kept with the message, which the booking it
    # made shows (a message tied to no booking is shown on none).
    made = _receive("#BUDI SANTOSO#01021980#07122026#\n<script>alert(1)</script>")
    booking = Booking.objects.get(code=made.result["bookings"][0])
    client.force_login(User.objects.create_superuser("inspektur", password="x"))
    page = client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


# --- the gateway's fields and bodies ----------------------------------------------------

# Legitimate: a message id is the gateway's own opaque text, markup and emoji included
# (it is only compared, never shown); a number is read as its digits.
OPAQUE = {
    "rtl_override",
    "zero_width_joiners",
    "homoglyph_cyrillic",
    "homoglyph_small_capitals",
    "homoglyph_fullwidth",
    "homoglyph_dotted_i",
    "sql_or_1_eq_1",
    "sql_drop_table",
    "html_script",
    "html_attribute_break",
    "template_injection",
    "emoji",
    "control_characters",
    "crlf_injection",
    "format_string",
    "zalgo_combining",
    "mixed_scripts",
    "path_traversal",
    "noncharacters",
    "int",
    "negative_int",
    "float",
    "huge_int",
}
GATEWAY_ACCEPTS = {
    "id": OPAQUE,
    "text": {"int", "negative_int", "float", "huge_int"},
    "timestamp": set(),
}


@pytest.mark.parametrize("hostile", TEXTS + WRONG_TYPES, ids=str)
def test_the_gateway_refuses_a_hostile_value_in_every_field(gateway, world, hostile):
    fields = ["id", "from", "to", "timestamp"]
    if not isinstance(hostile.value, str):
        fields.append("text")  # hostile texts are the messages above
    for field in fields:
        with world.attempt(field) as state:
            response = gateway(set_at(_gateway_body(), field, hostile.value))
            if hostile.name in GATEWAY_ACCEPTS.get(field, set()):
                assert response.status_code == 200, response.content[:300]
                assert_polite_reply(response.json()["reply"])
            else:
                assert_api_refusal(response)
            state.unchanged()
    world.verdict()


@pytest.mark.parametrize("body", BODIES, ids=str)
def test_the_gateway_and_the_webhook_refuse_a_hostile_body(client, gateway, world, body):
    with world.attempt("gateway") as state:
        response = gateway.raw(body.data, body.content_type)
        assert_api_refusal(response)
        assert response.status_code == body.status, response.status_code
        state.unchanged()
    with world.attempt("webhook") as state:
        response = _signed(client, body.data, body.content_type)
        if response.status_code == 200:
            # Signed JSON that is no delivery is skipped (a 4xx would be redelivered).
            assert response.json() == {"handled": 0, "ignored": 0}
        else:
            assert_api_refusal(response)
        assert not InboundMessage.objects.exists()
        state.unchanged()
    world.verdict()


@pytest.mark.parametrize("delivery", DELIVERIES, ids=str)
def test_the_webhook_survives_a_signed_delivery_of_odd_shape(client, world, delivery):
    with world.attempt("webhook") as state:
        response = _signed(client, json.dumps(delivery.payload).encode())
        assert response.status_code == 200, response.content[:300]
        if delivery.replied:
            _answered_politely(state, delivery.name)
        else:
            assert not InboundMessage.objects.exists()
            assert not _replies()
            state.unchanged()
    world.verdict()
