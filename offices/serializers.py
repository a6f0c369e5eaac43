"""Input and output shapes of the offices API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from offices import schedule
from offices.models import Office, OpeningHours
from offices.selectors import DAY_STATES


def normal_daily_capacity(office: Office) -> int:
    """The capacity of the office's busiest regular weekday (uses prefetched hours)."""
    return max((h.daily_capacity for h in office.opening_hours.all()), default=0)


class OfficeSerializer(serializers.ModelSerializer):
    daily_capacity = serializers.SerializerMethodField()
    zone = serializers.CharField(source="zone_label", help_text="WIB, WITA or WIT")

    class Meta:
        model = Office
        fields = [
            "code",
            "name",
            "city",
            "province",
            "timezone",
            "zone",
            "whatsapp_number",
            "whatsapp_number_is_placeholder",
            "daily_capacity",
        ]

    def get_daily_capacity(self, office: Office) -> int:
        return normal_daily_capacity(office)


class PlannedSlotSerializer(serializers.Serializer):
    starts = serializers.TimeField(format="%H:%M")
    ends = serializers.TimeField(format="%H:%M")
    capacity = serializers.IntegerField()


class OpeningHoursSerializer(serializers.ModelSerializer):
    weekday_name = serializers.CharField(source="get_weekday_display")
    slots = serializers.SerializerMethodField()

    class Meta:
        model = OpeningHours
        fields = [
            "weekday",
            "weekday_name",
            "opens_at",
            "closes_at",
            "break_starts_at",
            "break_ends_at",
            "daily_capacity",
            "slots",
        ]

    @extend_schema_field(PlannedSlotSerializer(many=True))
    def get_slots(self, hours: OpeningHours) -> list[dict]:
        """The slot plan of a regular day (overrides may change the capacities)."""
        times = schedule.slot_times(hours, hours.office.slot_minutes)
        parts = schedule.spread(hours.daily_capacity, len(times))
        return PlannedSlotSerializer(
            [
                {"starts": start, "ends": end, "capacity": part}
                for (start, end), part in zip(times, parts, strict=True)
                if part > 0
            ],
            many=True,
        ).data


class OfficeDetailSerializer(OfficeSerializer):
    office_class = serializers.CharField(source="get_office_class_display")
    hours = OpeningHoursSerializer(source="opening_hours", many=True)

    class Meta(OfficeSerializer.Meta):
        fields = [
            *OfficeSerializer.Meta.fields,
            "office_class",
            "address",
            "phone",
            "slot_minutes",
            "priority_quota",
            "booking_window_days",
            "release_time",
            "same_day_cutoff",
            "hours",
        ]


class AvailabilityQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="One day (YYYY-MM-DD).")
    start = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD).")
    end = serializers.DateField(required=False, help_text="Last day, inclusive; at most 62 days.")

    def validate(self, attrs):
        if "date" in attrs:
            if "start" in attrs or "end" in attrs:
                raise serializers.ValidationError(_("Give either date, or start and end."))
            attrs["start"] = attrs["end"] = attrs.pop("date")
        elif "start" not in attrs or "end" not in attrs:
            raise serializers.ValidationError(_("Give date, or both start and end."))
        return attrs


class SlotAvailabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="slot_id", allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()


class DayAvailabilitySerializer(serializers.Serializer):
    date = serializers.DateField()
    state = serializers.ChoiceField(choices=DAY_STATES)
    reason = serializers.CharField(allow_null=True)
    release_at = serializers.DateTimeField(allow_null=True)
    draw_closes_at = serializers.DateTimeField(allow_null=True)
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()
    slots = SlotAvailabilitySerializer(many=True)


class AvailabilitySerializer(serializers.Serializer):
    office = serializers.CharField()
    timezone = serializers.CharField()
    zone = serializers.CharField()
    days = DayAvailabilitySerializer(many=True)
