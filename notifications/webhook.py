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
from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from immigration.errors import API_ERROR, error_body
from immigration.negotiation import IgnoreClientAccept
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


class WhatsAppWebhookView(APIView):
    """Meta calls this, not our clients: no session or key (the signature is the
    credential), no throttle (one provider carries every applicant), no parser (the raw
    bytes are what is signed), and the caller's Accept header is not held against it."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = []
    content_negotiation_class = IgnoreClientAccept

    @extend_schema(
        summary="Cloud API webhook handshake (hub.challenge)",
        parameters=[
            OpenApiParameter("hub.mode", str, required=False),
            OpenApiParameter("hub.verify_token", str, required=False),
            OpenApiParameter("hub.challenge", str, required=False),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The challenge."),
            403: API_ERROR,
        },
        auth=[{}],
    )
    def get(self, request):
        token = settings.WHATSAPP_VERIFY_TOKEN
        if (
            token
            and request.GET.get("hub.mode") == "subscribe"
            and constant_time_compare(request.GET.get("hub.verify_token", ""), token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return Response(
            error_body("verification_failed", _("The verify token does not match.")), status=403
        )

    @extend_schema(
        summary="Cloud API webhook delivery (signed with X-Hub-Signature-256)",
        parameters=[
            OpenApiParameter(
                "X-Hub-Signature-256",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=HMAC-SHA256 of the raw body with the app secret.",
            )
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: inline_serializer("WebhookHandled", {"handled": serializers.IntegerField()}),
            400: API_ERROR,
            403: API_ERROR,
            413: API_ERROR,
        },
        auth=[{}],
    )
    def post(self, request):
        body = request.body
        if len(body) > MAX_BODY_BYTES:
            return Response(error_body("too_large", _("The request body is too large.")), 413)
        if not signature_valid(body, request.headers.get("X-Hub-Signature-256", "")):
            return Response(
                error_body("bad_signature", _("The signature does not match the body.")), 403
            )
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return Response(error_body("parse_error", _("The body is not JSON.")), 400)

        handled = 0
        for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
            for change in entry.get("changes", []) if isinstance(entry, dict) else []:
                value = change.get("value") if isinstance(change, dict) else None
                if isinstance(value, dict):
                    handled += _handle_value(value)
        return Response({"handled": handled})


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
