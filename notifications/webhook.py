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

from notifications.inbound import Inbound, receive_inbound
from notifications.services import outbox_record_status

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


def signature_valid(body: bytes, header: str) -> bool:
    secret = settings.WHATSAPP_APP_SECRET
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _instant(timestamp) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime.now(tz=dt.UTC)


@csrf_exempt
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


def _handle_value(value: dict) -> int:
    phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", "")) or None
    handled = 0
    for message in value.get("messages") or []:
        if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
            continue
        text = (message.get("text") or {}).get("body", "") if message.get("type") == "text" else ""
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
    for status in value.get("statuses") or []:
        if isinstance(status, dict) and status.get("id") and status.get("status"):
            errors = status.get("errors") or [{}]
            error = (
                errors[0]
                if isinstance(errors, list) and errors and isinstance(errors[0], dict)
                else {}
            )
            outbox_record_status(
                provider_message_id=str(status["id"]),
                status=str(status["status"]),
                at=_instant(status.get("timestamp")),
                error=str(error.get("title") or error.get("message") or ""),
            )
            handled += 1
    return handled
