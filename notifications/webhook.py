"""The WhatsApp Cloud API webhook: the handshake, and signed deliveries of messages
and status callbacks.

Nothing in a POST is parsed, let alone stored, before its X-Hub-Signature-256 (the
HMAC-SHA256 of the raw body with the app secret) has been checked in constant time.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from immigration.sensitive import sensitive_view
from notifications.inbound import Inbound, receive_inbound
from notifications.services import outbox_record_status

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


def signature_valid(body: bytes, header: str) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # Bytes, so a header with non-ASCII characters is a mismatch, not an exception.
    return hmac.compare_digest(
        expected.encode(), header.removeprefix("sha256=").encode("utf-8", "replace")
    )


def _instant(timestamp) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime.now(tz=dt.UTC)


@csrf_exempt
@sensitive_view
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request):
    if request.method == "GET":
        token = settings.WHATSAPP_VERIFY_TOKEN
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and constant_time_compare(request.GET.get("hub.verify_token", ""), token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verification failed")

    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse(
            {"error": {"code": "too_large", "message": "Body too large."}}, status=413
        )
    if not signature_valid(body, request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponseForbidden("bad signature")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"error": {"code": "invalid", "message": "Body is not JSON."}}, status=400
        )

    handled = 0
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                handled += _handle_value(value)
    return JsonResponse({"handled": handled})


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _handle_value(value: dict) -> int:
    """A signed payload may still be oddly shaped: whatever is not what the Cloud API
    sends is skipped, never an error (the provider would redeliver it forever)."""
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    phone_number_id = str(metadata.get("phone_number_id", "") or "") or None
    handled = 0
    for message in _dicts(value.get("messages")):
        if not message.get("id") or not message.get("from"):
            continue
        body = message.get("text") if isinstance(message.get("text"), dict) else {}
        text = str(body.get("body", "")) if message.get("type") == "text" else ""
        receive_inbound(
            Inbound(
                provider_message_id=str(message["id"]),
                sender=str(message["from"]),
                text=text,
                received_at=_instant(message.get("timestamp")),
                phone_number_id=phone_number_id,
            )
        )
        handled += 1
    for status in _dicts(value.get("statuses")):
        if status.get("id") and status.get("status"):
            errors = _dicts(status.get("errors"))
            error = errors[0] if errors else {}
            outbox_record_status(
                provider_message_id=str(status["id"]),
                status=str(status["status"]),
                at=_instant(status.get("timestamp")),
                error=str(error.get("title") or error.get("message") or ""),
            )
            handled += 1
    return handled
