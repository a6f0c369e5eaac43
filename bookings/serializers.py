"""Input and output shapes of the bookings API."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings import holds
from bookings.models import (
    Booking,
    BookingStatus,
    OutOfTurnReason,
    PriorityCategory,
    PriorityTicket,
    ServiceType,
)
from bookings.priority import CLAIM_CHOICES
from bookings.serializer_bases import AwaitingProofSerializer

PRIORITY_HELP = (
    "Optional priority claim of this person (UU 25/2009): disabled or pregnant; "
    "over-60s and under-5s are known from the birth date, and a family with one "
    "priority person is a priority booking. Checked by the officer at the door."
)


class FamilyMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    birth_date = serializers.DateField()
    nik = serializers.CharField(max_length=32, required=False, allow_blank=True)
    priority = serializers.ChoiceField(
        choices=CLAIM_CHOICES, required=False, allow_blank=True, help_text=PRIORITY_HELP
    )


class BookingCreateSerializer(serializers.Serializer):
    office = serializers.SlugField(help_text="Office code, e.g. tangerang.")
    date = serializers.DateField(
        help_text="The day of the visit (YYYY-MM-DD), in the office's zone."
    )
    name = serializers.CharField(max_length=200)
    birth_date = serializers.DateField()
    phone = serializers.CharField(
        max_length=32, help_text="WhatsApp number: 0812..., +62812... or 62812..."
    )
    nik = serializers.CharField(max_length=32, required=False, allow_blank=True)
    service = serializers.ChoiceField(choices=ServiceType.choices, default=ServiceType.NEW)
    slot = serializers.IntegerField(
        required=False, help_text="A slot id from availability; default: earliest."
    )
    priority = serializers.ChoiceField(
        choices=CLAIM_CHOICES, required=False, allow_blank=True, help_text=PRIORITY_HELP
    )
    family = FamilyMemberSerializer(
        many=True,
        required=False,
        help_text="Other people booked from the same phone (all or nothing).",
    )

    def validate_family(self, members):
        if len(members) + 1 > settings.BOOKING_FAMILY_MAX:
            raise serializers.ValidationError(
                _("One request books at most %(max)d people.")
                % {"max": settings.BOOKING_FAMILY_MAX}
            )
        return members


class BirthDateSerializer(serializers.Serializer):
    birth_date = serializers.DateField(
        help_text="The applicant's birth date: proves the code is theirs."
    )


class DayQuerySerializer(serializers.Serializer):
    date = serializers.DateField()


class RescheduleSerializer(BirthDateSerializer):
    date = serializers.DateField()
    slot = serializers.IntegerField(required=False)


class BookingSerializer(AwaitingProofSerializer):
    code = serializers.CharField(source="display_code")
    queue_number = serializers.SerializerMethodField()
    slot_start = serializers.DateTimeField()
    arrive_by = serializers.DateTimeField()
    qr_url = serializers.SerializerMethodField()
    hold_expires_at = serializers.SerializerMethodField()
    confirm_text = serializers.SerializerMethodField(
        help_text="A hold: the WhatsApp message that confirms it, from the number typed."
    )
    confirm_url = serializers.SerializerMethodField(
        help_text="A hold: a wa.me link to the office's number with `confirm_text` prefilled."
    )
    proof = holds

    class Meta:
        model = Booking
        fields = [
            "code",
            "status",
            "office",
            "office_name",
            "zone",
            "date",
            "service",
            "name",
            "queue_number",
            "slot_start",
            "arrive_by",
            "expires_at",
            "qr_url",
            "hold_expires_at",
            "confirm_text",
            "confirm_url",
        ]

    def awaits_proof(self, booking: Booking) -> bool:
        return booking.status == BookingStatus.HELD

    def get_queue_number(self, booking: Booking) -> str | None:
        """None until the phone confirms the booking."""
        return booking.queue_number or None

    def get_qr_url(self, booking: Booking) -> str | None:
        """The door QR; None for a hold (not valid at the door)."""
        if booking.queue_seq is None:
            return None
        return reverse("api:booking-qr", kwargs={"code": booking.code, "fmt": "png"})

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_hold_expires_at(self, booking: Booking):
        """A hold: when its place is given back unless confirmed. None otherwise."""
        return self.instant(booking.hold_expires_at) if self.awaits_proof(booking) else None


class StaffBookingSerializer(BookingSerializer):
    """What the desk sees: the applicant's phone and the passport's path too."""

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "phone", "fee_amount", "billing_code"]


class CheckInSerializer(serializers.Serializer):
    """The code comes from the URL, as scanned or typed (XXXX-XXXX, any case)."""

    office = serializers.SlugField(
        required=False, help_text="Only for headquarters staff and keys valid at every office."
    )


class SubmissionSerializer(serializers.Serializer):
    fee = serializers.SlugField(help_text="Fee code, e.g. paspor-biasa-48.")
    billing_code = serializers.CharField(
        max_length=32, help_text="The 15-digit billing code (kode billing)."
    )
    counter = serializers.IntegerField(
        min_value=1, max_value=50, help_text="The counter that served the applicant."
    )
    out_of_turn_reason = serializers.ChoiceField(
        choices=OutOfTurnReason.choices,
        required=False,
        allow_blank=True,
        help_text=(
            "Required when the booking is not the counter's latest call by call next "
            "(error out_of_turn_reason_required); ignored when it is."
        ),
    )
    out_of_turn_note = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text='Why, in a few words; required with the reason "other".',
    )


class PriorityTicketCreateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=PriorityCategory.choices)


class PriorityTicketSerializer(serializers.ModelSerializer):
    number = serializers.CharField()
    office = serializers.CharField(source="office.code")

    class Meta:
        model = PriorityTicket
        fields = ["number", "office", "date", "category", "issued_at"]


class CounterCallSerializer(serializers.Serializer):
    """A number called to a counter; `code` only when it is a booking's."""

    number = serializers.CharField()
    counter = serializers.IntegerField()
    office = serializers.CharField(source="office.code")
    zone = serializers.CharField(source="office.zone_label")
    called_at = serializers.DateTimeField()
    code = serializers.SerializerMethodField()

    def get_code(self, call) -> str | None:
        return call.booking.display_code if call.booking_id else None


class CallNextResultSerializer(serializers.Serializer):
    called = CounterCallSerializer(allow_null=True, help_text="null when nobody is waiting.")
