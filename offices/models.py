"""Offices, their weekly hours, capacity overrides, closures, and the slots of a day.

Capacity is kept per day, as offices and the public speak of it ("250 a day"); a day's
capacity is spread over its slots so the slots always add up to it exactly (see
`offices.schedule`). Slots become rows only when a day is released, and each row's
`booked` counter is what bookings count against: the database, not Python, refuses
`booked > capacity`.
"""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class DateRangeOf(models.Func):
    """daterange(start, end, '[]'): both ends included, as overrides are entered."""

    function = "DATERANGE"
    output_field = DateRangeField()


e164_validator = RegexValidator(
    r"^\+[1-9]\d{7,14}$",
    _("Enter an E.164 number with a leading +, e.g. +6281234567890."),
)


class OfficeClass(models.TextChoices):
    I_KHUSUS_TPI = "I_KHUSUS_TPI", _("Class I Special (TPI)")
    I_KHUSUS_NON_TPI = "I_KHUSUS_NON_TPI", _("Class I Special (non-TPI)")
    I_TPI = "I_TPI", _("Class I (TPI)")
    I_NON_TPI = "I_NON_TPI", _("Class I (non-TPI)")
    II_TPI = "II_TPI", _("Class II (TPI)")
    II_NON_TPI = "II_NON_TPI", _("Class II (non-TPI)")
    III = "III", _("Class III")


class OfficeTimeZone(models.TextChoices):
    WIB = "Asia/Jakarta", "WIB (UTC+7)"
    WITA = "Asia/Makassar", "WITA (UTC+8)"
    WIT = "Asia/Jayapura", "WIT (UTC+9)"


ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


class Office(models.Model):
    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Stable; used in URLs and the API.")
    )
    name = models.CharField(_("official name"), max_length=200)
    office_class = models.CharField(_("class"), max_length=20, choices=OfficeClass.choices)
    city = models.CharField(_("city"), max_length=100)
    province = models.CharField(_("province"), max_length=100)
    address = models.TextField(_("address"))
    timezone = models.CharField(_("time zone"), max_length=32, choices=OfficeTimeZone.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    whatsapp_number = models.CharField(
        _("WhatsApp number"), max_length=16, unique=True, validators=[e164_validator]
    )
    whatsapp_number_is_placeholder = models.BooleanField(
        _("WhatsApp number is a placeholder"),
        default=False,
        help_text=_("The real number is not public yet; do not publish this one."),
    )
    # NULL, not "", when unset: several offices may have none, and unique ignores NULL.
    whatsapp_phone_number_id = models.CharField(
        _("WhatsApp Cloud API phone-number id"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Routes inbound WhatsApp messages (metadata.phone_number_id) here."),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=30,
        choices=[(15, "15"), (20, "20"), (30, "30"), (60, "60")],
    )
    priority_quota = models.PositiveIntegerField(
        _("priority walk-in quota per day"),
        default=0,
        help_text=_(
            "Elderly, disabled people and small children served without booking; "
            "never bookable online."
        ),
    )
    booking_window_days = models.PositiveSmallIntegerField(
        _("booking window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("How many days ahead a day opens for booking."),
    )
    release_time = models.TimeField(
        _("release time"),
        default=dt.time(8, 0),
        help_text=_("Local time at which the next day opens for booking."),
    )
    same_day_cutoff = models.TimeField(
        _("same-day booking cut-off"),
        null=True,
        blank=True,
        default=dt.time(12, 0),
        help_text=_(
            "Local time after which today can no longer be booked; empty: today is never bookable."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["province", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone_label(self) -> str:
        """WIB, WITA or WIT, as Indonesians write times."""
        return ZONE_LABELS[self.timezone]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Service hours of one weekday; a weekday without a row is closed."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("office")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    # The midday break (ISHOMA) and Friday prayers: no slot starts or runs inside it.
    break_starts_at = models.TimeField(_("break starts at"), null=True, blank=True)
    break_ends_at = models.TimeField(_("break ends at"), null=True, blank=True)
    daily_capacity = models.PositiveIntegerField(
        _("daily capacity"), help_text=_("Applicants bookable online on this weekday.")
    )

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["office", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["office", "weekday"], name="hours_one_row_per_weekday"),
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")), name="hours_open_before_close"
            ),
            models.CheckConstraint(
                condition=Q(break_starts_at__isnull=True, break_ends_at__isnull=True)
                | Q(
                    break_starts_at__isnull=False,
                    break_ends_at__isnull=False,
                    break_starts_at__gt=F("opens_at"),
                    break_ends_at__gt=F("break_starts_at"),
                    break_ends_at__lt=F("closes_at"),
                ),
                name="hours_break_inside_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class CapacityOverride(models.Model):
    """A different daily capacity for a date range, e.g. 400 a day before Lebaran."""

    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        related_name="capacity_overrides",
        verbose_name=_("office"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (inclusive)"))
    daily_capacity = models.PositiveIntegerField(_("daily capacity"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("capacity override")
        verbose_name_plural = _("capacity overrides")
        ordering = ["office", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="override_range_not_reversed"
            ),
            # No two overrides of one office share a day (btree_gist). The rule with
            # its refusal is `offices.services.override_overlap_refusal`, checked
            # under the office row's lock; this is the backstop for any other writer.
            # Deferred: a save that moves two ranges at once is checked at commit.
            ExclusionConstraint(
                name="override_no_overlap",
                expressions=[
                    ("office", RangeOperators.EQUAL),
                    (
                        DateRangeOf("starts_on", "ends_on", RangeBoundary(inclusive_upper=True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]
        # Serves: the overrides overlapping an availability range of one office.
        indexes = [models.Index(fields=["office", "ends_on"], name="override_office_end_idx")]

    def __str__(self) -> str:
        return f"{self.starts_on}..{self.ends_on}: {self.daily_capacity}"

    def get_constraints(self):
        """The constraints a form validates (`validate_constraints`), without the
        overlap constraint: checking one row against the stored ones would refuse a set
        that moves two ranges at once, and without the office's lock. The whole set is
        checked by `offices.services.override_overlap_refusal`."""
        return [
            (model, [c for c in found if c.name != "override_no_overlap"])
            for model, found in super().get_constraints()
        ]


class Closure(models.Model):
    """An ad-hoc closed day entered by staff (national holidays come from `holidays`)."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="closures", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="closure_one_per_office_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"


class Slot(models.Model):
    """One bookable time at one office; `booked` is counted by the booking service with
    a conditional UPDATE, and the check constraint makes overbooking impossible."""

    # No index of its own: slot_office_date_idx and slot_unique_start lead with it.
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("office"),
        db_index=False,
    )
    date = models.DateField(_("local date"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    booked = models.PositiveIntegerField(_("booked"), default=0)
    # Queue numbers follow slot order: this slot's bookings are numbered from
    # queue_base + 1 (the places of the earlier slots of the day come first).
    queue_base = models.PositiveIntegerField(_("first queue number - 1"), default=0)
    # Free places kept for priority bookings (waitlist.PriorityQuota): an ordinary booking
    # may take only capacity - booked - priority_kept (bookings' allocation service).
    priority_kept = models.PositiveIntegerField(_("places kept for priority"), default=0)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["office", "starts_at"]
        constraints = [
            # Releasing a day twice (beat job and a lazy request at once) creates nothing.
            models.UniqueConstraint(fields=["office", "starts_at"], name="slot_unique_start"),
            models.CheckConstraint(
                condition=Q(booked__lte=F("capacity")), name="slot_never_overbooked"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        # Serves: availability of one office over a date range; a day's slots in order.
        indexes = [models.Index(fields=["office", "date"], name="slot_office_date_idx")]

    def __str__(self) -> str:
        from offices.localtime import place_text  # localtime imports this module

        return place_text(self.starts_at, self.office)

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


class OfficerProfile(models.Model):
    """Which office a staff user works for; headquarters staff see every office."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="officer_profile",
        verbose_name=_("user"),
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("office"),
    )
    is_headquarters = models.BooleanField(
        _("headquarters"), default=False, help_text=_("Sees and manages every office.")
    )
    # Where work notices reach the officer (e.g. overdue complaints), E.164 digits.
    whatsapp_number = models.CharField(_("WhatsApp number"), max_length=15, blank=True)

    class Meta:
        verbose_name = _("officer profile")
        verbose_name_plural = _("officer profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(office__isnull=False) | Q(is_headquarters=True),
                name="officer_has_office_or_is_hq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.office or 'HQ'}"


class ApiScope(models.TextChoices):
    WHATSAPP_INBOUND = "whatsapp:inbound", _("WhatsApp gateway: deliver inbound messages")
    BOOKINGS_READ = "bookings:read", _("Read an office's bookings")
    DESK = "desk", _("Front desk: check in, walk-in tickets, passport steps")
    PAYMENTS_CONFIRM = "payments:confirm", _("Confirm payments")
    # Bound to the key's own office; refused for a key of every office. Each booking
    # made so is recorded with the key as its actor.
    BOOKINGS_VERIFIED_PHONE = (
        "bookings:verified-phone",
        _("Book confirmed: the gateway has verified the applicant's WhatsApp number"),
    )


class ApiClient(AbstractAPIKey):
    """An integrator's key (WhatsApp gateway, bank, kiosk). Only a hash is stored; the
    key is shown once when created. A key may be tied to one office."""

    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name=_("office"),
        help_text=_("Empty: every office."),
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
