"""The WhatsApp Cloud API webhook: the handshake, and signed deliveries of messages
and status callbacks.

Nothing in a POST is parsed, let alone stored, before its X-Hub-Signature-256 (the
HMAC-SHA256 of the raw body with the app secret) has been checked in constant time.
"""

import datetime as dt
import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from immigration.errors import error_body
from immigration.jsonbody import InvalidJson, content_length, loads
from notifications.inbound import Inbound, clean_text, receive_inbound
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
        return JsonResponse(
            error_body("verification_failed", _("The verify token does not match.")), status=403
        )

    # By the declared length first: Django refuses to read a body over its own limit.
    if content_length(request) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return JsonResponse(
            error_body("too_large", _("The request body is too large.")), status=413
        )
    body = request.body
    if not signature_valid(body, request.headers.get("X-Hub-Signature-256", "")):
        return JsonResponse(
            error_body("bad_signature", _("The signature does not match the body.")), status=403
        )
    try:
        payload = loads(body)
    except InvalidJson:
        return JsonResponse(error_body("invalid", _("The body is not valid JSON.")), status=400)

    handled = 0
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                handled += _handle_value(value)
    return JsonResponse({"handled": handled})


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# What the Cloud API sends: a wa_id of digits, and ids that fit the columns they go in.
_SENDER = re.compile(r"[1-9][0-9]{6,14}")
_ID_MAX = 128


def _scalar(value) -> str:
    """A string or number from the payload as text; anything else as nothing."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return clean_text(str(value))


def _message_id(value) -> str | None:
    text = _scalar(value)
    return text if 0 < len(text) <= _ID_MAX and text == str(value) else None


def _handle_value(value: dict) -> int:
    """A signed payload may still be oddly shaped: whatever is not what the Cloud API
    sends is skipped, never an error (the provider would redeliver it forever)."""
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    phone_number_id = _scalar(metadata.get("phone_number_id"))[:32] or None
    handled = 0
    for message in _dicts(value.get("messages")):
        message_id, sender = _message_id(message.get("id")), _scalar(message.get("from"))
        if message_id is None or not _SENDER.fullmatch(sender):
            continue
        body = message.get("text") if isinstance(message.get("text"), dict) else {}
        text = _scalar(body.get("body")) if message.get("type") == "text" else ""
        receive_inbound(
            Inbound(
                provider_message_id=message_id,
                sender=sender,
                text=text,
                received_at=_instant(message.get("timestamp")),
                phone_number_id=phone_number_id,
            )
        )
        handled += 1
    for status in _dicts(value.get("statuses")):
        message_id, state = _message_id(status.get("id")), _scalar(status.get("status"))
        if message_id and state:
            errors = _dicts(status.get("errors"))
            error = errors[0] if errors else {}
            outbox_record_status(
                provider_message_id=message_id,
                status=state,
                at=_instant(status.get("timestamp")),
                error=_scalar(error.get("title") or error.get("message"))[:300],
            )
            handled += 1
    return handled
