"""`POST /api/v1/whatsapp/messages/`: the REST gateway of integrators who run their own
WhatsApp connection. Same handler as the Cloud API webhook; the reply is returned and
also queued in the outbox."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.api import BookingSerializer, _render
from bookings.applicant import normalise_phone
from bookings.conversation.handler import find_office
from bookings.models import Booking
from immigration.errors import API_ERROR, DomainError
from immigration.sensitive import sensitive_api_view
from notifications.inbound import Inbound, is_fresh, receive_inbound
from offices.access import key_with
from offices.models import ApiClient, ApiScope
from offices.throttling import ScopeRateThrottle


def gateway_message_id(client: ApiClient, message_id: str) -> str:
    """Gateways number their messages themselves: each key's ids are kept apart by the
    key's own unique prefix, never its name (a name can be given to another key, which
    must not inherit the first one's answers). The prefix is the public part of the key
    (its primary key would carry the key's hash into the message log)."""
    return f"gw:{client.prefix}:{message_id}"[:128]


class GatewayMessageSerializer(serializers.Serializer):
    id = serializers.CharField(
        max_length=128, help_text="The provider's message id (deduplicates)."
    )
    to = serializers.CharField(max_length=20, help_text="The office's WhatsApp number.")
    text = serializers.CharField(max_length=4096, allow_blank=True, trim_whitespace=False)
    timestamp = serializers.DateTimeField(
        required=False,
        help_text=(
            "When the applicant sent it. A message older than "
            "WHATSAPP_WEBHOOK_MAX_AGE_SECONDS (or ahead of our clock) is refused as a "
            "replay: 400 stale_message, nothing handled."
        ),
    )

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword, so the field is added by name.
        fields["from"] = serializers.CharField(max_length=20, help_text="The sender: 62812...")
        return fields


class GatewayReplySerializer(serializers.Serializer):
    reply = serializers.CharField()
    booking = BookingSerializer(allow_null=True)
    duplicate = serializers.BooleanField()


@sensitive_api_view
class GatewayMessageView(APIView):
    permission_classes = [key_with(ApiScope.WHATSAPP_INBOUND)]
    # Only the gateway's own rate, per key: one key carries a whole office's applicants,
    # and each sender is limited by the conversation itself.
    throttle_classes = [ScopeRateThrottle]
    throttle_scope = "whatsapp"

    @extend_schema(
        summary="Deliver an inbound WhatsApp message (REST gateway)",
        request=GatewayMessageSerializer,
        responses={200: GatewayReplySerializer, 400: API_ERROR, 409: API_ERROR},
    )
    def post(self, request):
        data = GatewayMessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "timestamp" in values and not is_fresh(values["timestamp"], now=timezone.now()):
            # 4xx, unlike the Cloud API webhook's 200: an integrator reads the code and
            # does not retry; the provider's webhook would redeliver for days.
            raise DomainError(
                code="stale_message",
                message=_("This message is too old (or dated in the future) to be handled."),
                fields={"timestamp": [_("Outside the accepted window.")]},
            )
        sender = normalise_phone(
            values["from"] if values["from"].startswith(("0", "+")) else f"+{values['from']}"
        )
        message = Inbound(
            provider_message_id=gateway_message_id(request.caller.client, values["id"]),
            sender=sender,
            text=values["text"],
            received_at=values.get("timestamp") or timezone.now(),
            to=values["to"],
        )
        office = find_office(message)
        if office is None or not request.caller.may_act_for(office):
            raise DomainError(
                code="unknown_office",
                message=_("No office of yours has this WhatsApp number."),
                fields={"to": [_("Unknown office number.")]},
            )
        result = receive_inbound(message)
        codes = result.result.get("bookings") or []
        booking = (
            Booking.objects.select_related("office", "slot")
            .filter(code=codes[0], phone=sender, office=office)
            .first()
            if codes
            else None
        )
        return Response(
            {
                "reply": result.reply,
                "booking": _render(BookingSerializer, booking) if booking else None,
                "duplicate": result.duplicate,
            }
        )
