"""Input and output shapes of the waiting list's API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.serializer_bases import AwaitingProofSerializer
from bookings.serializers import BookingCreateSerializer
from waitlist import confirm
from waitlist.models import RequestState, WaitlistRequest
from waitlist.services import waitlist_open_offer, waitlist_position


class WaitlistJoinSerializer(BookingCreateSerializer):
    """A booking's people and phone, without a service or a time: a request waits for
    whatever place frees up on its day."""

    service = None
    slot = None
    date = serializers.DateField(
        help_text="The full day whose list to join (YYYY-MM-DD), in the office's zone."
    )


class WaitlistRequestSerializer(AwaitingProofSerializer):
    ref = serializers.CharField(source="display_ref")
    people = serializers.IntegerField(source="people_count")
    position = serializers.SerializerMethodField()
    confirm_by = serializers.SerializerMethodField()
    confirm_text = serializers.SerializerMethodField(
        help_text="Pending: the WhatsApp message that confirms it, from the number typed."
    )
    confirm_url = serializers.SerializerMethodField(
        help_text="Pending: a wa.me link to the office's number with `confirm_text` prefilled."
    )
    offer_expires_at = serializers.SerializerMethodField()
    proof = confirm

    class Meta:
        model = WaitlistRequest
        fields = [
            "ref",
            "state",
            "office",
            "office_name",
            "zone",
            "date",
            "people",
            "position",
            "confirm_by",
            "confirm_text",
            "confirm_url",
            "offer_expires_at",
        ]

    def awaits_proof(self, request: WaitlistRequest) -> bool:
        return request.state == RequestState.PENDING

    def get_position(self, request: WaitlistRequest) -> int | None:
        """1 for the first waiting request of the day; None unless waiting."""
        return waitlist_position(request=request)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_confirm_by(self, request: WaitlistRequest):
        """Pending: when the request lapses unless `confirm_text` arrives. None otherwise."""
        return self.instant(request.confirm_by) if self.awaits_proof(request) else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_offer_expires_at(self, request: WaitlistRequest):
        """Offered: until when `YA` by WhatsApp books the places held for it."""
        offer = waitlist_open_offer(request=request)
        return self.instant(offer.expires_at if offer else None)


class StaffWaitlistRequestSerializer(WaitlistRequestSerializer):
    """What the office's staff see: the phone and the channel too."""

    class Meta(WaitlistRequestSerializer.Meta):
        fields = [*WaitlistRequestSerializer.Meta.fields, "phone", "channel", "joined_at"]
