"""The webhook's deliveries are answered by WhatsAppWebhookMiddleware, before sessions,
DRF and URL resolution (notifications/webhook.py): the same answers as the view's,
refusals in the caller's language, and the GET handshake still reaches the view."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.test import RequestFactory

from notifications.models import InboundMessage
from notifications.webhook import WhatsAppWebhookView

SECRET = "app-secret-for-the-middleware"
PATH = "/api/v1/whatsapp/webhook/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"


def _body(message_id: str) -> bytes:
    stamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    message = {"from": "6281234500011", "id": message_id, "timestamp": stamp, "type": "text"}
    value = {"metadata": {"phone_number_id": "1098765"}, "messages": [message]}
    return json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()


def _signed(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_a_delivery_is_stored_and_answered_without_a_session_or_csrf_cookie(client):
    body = _body("wamid.mw.1")
    response = client.post(
        PATH, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_signed(body)
    )
    assert (response.status_code, response.json()) == (200, {"handled": 1, "ignored": 0})
    assert not response.cookies
    assert response["X-Request-ID"]  # the request id middleware still runs around it
    assert InboundMessage.objects.get().provider_message_id == "wamid.mw.1"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The signature does not match the body."),
        ("id", "Tanda tangan tidak cocok dengan isi permintaan."),
    ],
)
def test_a_refused_delivery_is_answered_in_the_callers_language(client, language, expected):
    body = _body("wamid.mw.bad")
    response = client.post(
        PATH,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=" + "0" * 64,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 403
    assert response.json()["error"] == {"code": "bad_signature", "message": expected, "fields": {}}
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("body", "signature", "status"),
    [
        (b"{not json", None, 400),
        (b"{}", "sha256=" + "1" * 64, 403),
        (b"{}", None, 200),
    ],
)
def test_the_middleware_and_the_view_give_the_same_answer(client, body, signature, status):
    signature = signature or _signed(body)
    through_middleware = client.post(
        PATH, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )
    request = RequestFactory().post(
        PATH, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )
    by_the_view = WhatsAppWebhookView.as_view()(request)
    assert through_middleware.status_code == by_the_view.status_code == status
    assert through_middleware.json() == json.loads(by_the_view.content)


def test_the_handshake_still_reaches_the_view(client):
    response = client.get(
        PATH, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    )
    assert (response.status_code, response.content) == (200, b"42")
