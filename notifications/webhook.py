"""The WhatsApp Cloud API webhook: the handshake, and signed deliveries of messages
and status callbacks.

Nothing in a POST is parsed, let alone stored, before its X-Hub-Signature-256 (the
HMAC-SHA256 of the raw body with the app secret) has been checked in constant time.

A delivery's messages are stored (the durable inbox, notifications/inbound.py) in one
INSERT, and the provider answered as soon as that commits; the worker processes them.
Status callbacks are applied here and now: an indexed read and at most one UPDATE, no
cheaper stored than done.

A signature proves who sent a delivery, not when: each message and status is acted on
only while its own timestamp is fresh (`is_fresh`). A stale or future one is dropped
with a log line and the delivery still answered 200: the provider redelivers anything
else for days, and a replay does not get better by being retried. Duplicates (the
provider's at-least-once delivery) are answered once by the inbound message id, and
status callbacks only ever move a message forward.
"""

import datetime as dt
import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
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
from immigration.jsonbody import InvalidJson, content_length, loads
from immigration.negotiation import IgnoreClientAccept
from immigration.sensitive import sensitive_api_view
from notifications.inbound import Inbound, clean_text, inbox_store, is_fresh
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


def _instant(timestamp) -> dt.datetime | None:
    """The Cloud API's `timestamp` (seconds since the epoch, as a string); None when
    missing or unreadable, which is never fresh."""
    try:
        return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@sensitive_api_view
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
            200: inline_serializer(
                "WebhookHandled",
                {"handled": serializers.IntegerField(), "ignored": serializers.IntegerField()},
            ),
            400: API_ERROR,
            403: API_ERROR,
            413: API_ERROR,
        },
        auth=[{}],
    )
    def post(self, request):
        # WhatsAppWebhookMiddleware answers this before the view is reached; this is the
        # same answer where that middleware is not installed, and the schema's anchor.
        return webhook_respond(request, webhook_receive(request))


# A refused delivery: (status, message), by the code the answer carries.
_REFUSALS = {
    "too_large": (413, _("The request body is too large.")),
    "bad_signature": (403, _("The signature does not match the body.")),
    "parse_error": (400, _("The body is not valid JSON.")),
}


def webhook_receive(request) -> dict | str:
    """A signed delivery, received through Django (the middleware, the view): the
    answer's body, or the code of its refusal (`_REFUSALS`), by `webhook_accept`."""
    # By the declared length first: Django refuses to read a body over its own limit.
    if content_length(request) > MAX_BODY_BYTES:
        return "too_large"
    return webhook_accept(request.body, request.headers.get("X-Hub-Signature-256", ""))


# Its frames and every frame below (the inbox, the status callbacks) keep their local
# variables, the delivery's personal data, out of error reports.
@sensitive_variables()
def webhook_accept(body: bytes, signature: str) -> dict | str:
    """A signed delivery's raw body and its X-Hub-Signature-256 header, received: the
    answer's body, or the code of its refusal (`_REFUSALS`). The one implementation,
    whichever way the delivery came in (Django's middleware and view, or the WSGI fast
    path, notifications/webhook_wsgi.py). Checks the size, then the signature of the
    raw bytes, then parses; stores the fresh messages in the inbox (one INSERT,
    committed before the answer: an acknowledged message is never lost) and applies
    the status callbacks. Nothing else happens in the request. A database that does
    not answer raises (the caller answers 503, so the provider retries)."""
    if len(body) > MAX_BODY_BYTES:
        return "too_large"
    if not signature_valid(body, signature):
        return "bad_signature"
    try:
        payload = loads(body)
    except InvalidJson:
        return "parse_error"

    handled = ignored = 0
    now = timezone.now()
    inbox: list[Inbound] = []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if isinstance(value, dict):
                done, dropped = _handle_value(value, now, inbox)
                handled, ignored = handled + done, ignored + dropped
    # Committed before the 200: an acknowledged message is never lost.
    inbox_store(inbox, now=now)
    return {"handled": handled, "ignored": ignored}


def webhook_respond(request, answer: dict | str) -> JsonResponse:
    """The answer to a delivery, whichever way it came in: 200 with the counts, or the
    refusal in the caller's language (Accept-Language, as the API's other errors)."""
    if isinstance(answer, dict):
        return JsonResponse(answer)
    status, message = _REFUSALS[answer]
    with translation.override(translation.get_language_from_request(request)):
        return JsonResponse(error_body(answer, message), status=status)


class WhatsAppWebhookMiddleware:
    """The webhook's deliveries, answered before sessions, CSRF, authentication,
    messages, URL resolution and DRF (as bookings/soldout.py refuses a sold-out day):
    at a release thousands arrive at once, the provider retries a slow answer, and a
    py-spy profile under 64 concurrent deliveries had two thirds of the web process's
    CPU in that machinery, none of which the signed POST uses (bench/README.md).
    Placed after the request id (access line), the database outage answer (503), the
    security headers and the API's error shape, which it keeps. Only POST to the
    webhook's own path; everything else (the GET handshake) goes on to the view."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path: str | None = None

    def __call__(self, request):
        if request.method == "POST":
            if self.path is None:
                self.path = reverse("api:whatsapp-webhook")
            if request.path == self.path:
                return webhook_respond(request, webhook_receive(request))
        return self.get_response(request)


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


def _stale(kind: str, item: dict, now: dt.datetime) -> dt.datetime | None:
    """The item's instant when fresh; None (and a log line) when it is to be dropped."""
    instant = _instant(item.get("timestamp"))
    if is_fresh(instant, now=now):
        return instant
    age = "missing" if instant is None else f"{(now - instant).total_seconds():.0f} s old"
    logger.warning("webhook %s dropped: timestamp %s (replay or late redelivery)", kind, age)
    return None


def _handle_value(value: dict, now: dt.datetime, inbox: list[Inbound]) -> tuple[int, int]:
    """A signed payload may still be oddly shaped: whatever is not what the Cloud API
    sends is skipped, never an error (the provider would redeliver it forever).
    Fresh messages are added to `inbox` (stored by the caller); statuses are applied.
    Returns how many items were handled and how many were dropped as stale."""
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    phone_number_id = _scalar(metadata.get("phone_number_id"))[:32] or None
    handled = ignored = 0
    for message in _dicts(value.get("messages")):
        message_id, sender = _message_id(message.get("id")), _scalar(message.get("from"))
        if message_id is None or not _SENDER.fullmatch(sender):
            continue
        received_at = _stale("message", message, now)
        if received_at is None:
            ignored += 1
            continue
        body = message.get("text") if isinstance(message.get("text"), dict) else {}
        text = _scalar(body.get("body")) if message.get("type") == "text" else ""
        inbox.append(
            Inbound(
                provider_message_id=message_id,
                sender=sender,
                text=text,
                received_at=received_at,
                phone_number_id=phone_number_id,
            )
        )
        handled += 1
    for status in _dicts(value.get("statuses")):
        message_id, state = _message_id(status.get("id")), _scalar(status.get("status"))
        if message_id and state:
            at = _stale("status", status, now)
            if at is None:
                ignored += 1
                continue
            errors = _dicts(status.get("errors"))
            error = errors[0] if errors else {}
            outbox_record_status(
                provider_message_id=message_id,
                phone_number_id=phone_number_id,
                status=state,
                at=at,
                error=_scalar(error.get("title") or error.get("message"))[:300],
            )
            handled += 1
    return handled, ignored
