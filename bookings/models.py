"""Bookings, their history, walk-in priority tickets and the passport fee table.

A booking holds one place in one slot while its status is one of HOLDING_STATUSES;
a `held` booking (made on the web or the public API with a typed phone number) holds
its place too, until it is confirmed from that WhatsApp number (then `booked`, with a
queue number) or its `hold_expires_at` passes (then `released`; a hold past its expiry
never blocks anyone, even before the sweep turns it `released`);
the slot's `booked` counter counts exactly those, and the database refuses a second
holding booking for the same person at the same office on the same day.

After BOOKING_RETENTION_DAYS the applicant's personal data is erased (name, birth date,
NIK, phone, billing code, a hold's client address, event notes) and
`personal_data_erased_at` set; the row stays, so the figures of every past day still
add up.
"""

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from bookings.codes import display
from notifications.models import About
from offices.models import Office, Slot


class ServiceType(models.TextChoices):
    NEW = "new", _("New passport")
    RENEWAL = "renewal", _("Renewal")
    REPLACEMENT = "replacement", _("Replacement (lost or damaged)")


class BookingStatus(models.TextChoices):
    HELD = "held", _("Waiting for WhatsApp confirmation")
    RELEASED = "released", _("Not confirmed (released)")
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    SUBMITTED = "submitted", _("Documents submitted")
    PAID = "paid", _("Paid")
    READY = "ready", _("Passport ready")
    COLLECTED = "collected", _("Collected")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired (no-show)")


# Holding a place in the slot (counted by Slot.booked); released, cancelled and expired
# do not. A hold holds its place only until hold_expires_at (see `live_hold`).
HOLDING_STATUSES = [
    BookingStatus.HELD,
    BookingStatus.BOOKED,
    BookingStatus.CHECKED_IN,
    BookingStatus.SUBMITTED,
    BookingStatus.PAID,
    BookingStatus.READY,
    BookingStatus.COLLECTED,
]
_HOLDING = Q(status__in=HOLDING_STATUSES)


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    WHATSAPP = "whatsapp", "WhatsApp"
    API = "api", "API"
    ADMIN = "admin", _("Admin")
    DESK = "desk", _("Front desk")
    SYSTEM = "system", _("System")


class ActorKind(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    STAFF = "staff", _("Staff")
    API_CLIENT = "api_client", _("API client")
    SYSTEM = "system", _("System")


ABOUT_BOOKING = "booking"


class PriorityClaim(models.TextChoices):
    """Why a booking may use an office-day's priority places (UU 25/2009 art. 29): the
    person's own group, or accompanying someone of the family who is in one. Checked
    by the officer at the door."""

    ELDERLY = "elderly", _("Elderly (60+)")
    DISABLED = "disabled", _("Disabled")
    CHILD = "child", _("Small child (under 5)")
    PREGNANT = "pregnant", _("Pregnant")
    COMPANION = "companion", _("Accompanying a priority person")


class Booking(models.Model):
    # No index of its own: every query by office also names the day, and
    # booking_office_day_idx (office, date, status) leads with it (the PROTECT check of an
    # office's deletion uses that one too).
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("office"),
        db_index=False,
    )
    # Indexed for the PROTECT check when a re-plan retires a slot (offices.services._retire).
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot")
    )
    date = models.DateField(_("date"), help_text=_("The office's local date of the visit."))
    # Unique by booking_code_unique (Meta): a plain unique field would also get a
    # varchar_pattern_ops twin for LIKE 'prefix%', which no query makes.
    code = models.CharField(_("booking code"), max_length=8)
    # None while held (and once released): a number is given when the phone confirms.
    queue_seq = models.PositiveIntegerField(_("queue number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    service = models.CharField(
        _("service"), max_length=12, choices=ServiceType.choices, default=ServiceType.NEW
    )

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Normalised: uppercase, single spaces.")
    )
    # Empty only once the personal data has been erased (see bookings/retention.py).
    birth_date = models.DateField(_("birth date"), null=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    phone = models.CharField(
        _("WhatsApp number"), max_length=15, help_text=_("E.164 digits without +.")
    )
    language = models.CharField(_("language"), max_length=5, default="id")
    channel = models.CharField(_("booked via"), max_length=10, choices=Channel.choices)
    # The members of one family request share it; the first member's code.
    group_code = models.CharField(_("family group"), max_length=8, blank=True)
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        verbose_name=_("rescheduled from"),
    )

    expires_at = models.DateTimeField(
        _("expires at"), help_text=_("Forfeited if not checked in by then.")
    )
    # No index: only the PROTECT check of a fee's deletion (a rare admin act on a
    # handful of rows) reads bookings by fee, and a scan is fine there.
    fee = models.ForeignKey(
        "Fee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee"),
        db_index=False,
    )
    fee_amount = models.PositiveIntegerField(_("fee (Rp)"), null=True, blank=True)
    billing_code = models.CharField(
        _("billing code"),
        max_length=15,
        blank=True,
        validators=[RegexValidator(r"^\d{15}$", _("A billing code has 15 digits."))],
    )
    # Set when the booking took a priority place: the door checks the claim.
    priority = models.CharField(
        _("priority claim"), max_length=10, choices=PriorityClaim.choices, blank=True
    )
    hold_expires_at = models.DateTimeField(
        _("hold expires at"),
        null=True,
        blank=True,
        help_text=_("A hold not confirmed from its WhatsApp number by then is released."),
    )
    # Who asked for a hold (a network address or an API key), for the per-client limit.
    hold_client = models.CharField(_("held by client"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["date", "queue_seq"]
        constraints = [
            # Serves: every lookup by code, and booking_place's ON CONFLICT (code).
            models.UniqueConstraint(fields=["code"], name="booking_code_unique"),
            models.UniqueConstraint(
                fields=["office", "date", "name", "birth_date"],
                condition=_HOLDING,
                name="booking_one_per_person_office_day",
            ),
            models.UniqueConstraint(
                fields=["office", "date", "nik"],
                condition=_HOLDING & ~Q(nik=""),
                name="booking_one_per_nik_office_day",
            ),
            models.UniqueConstraint(
                fields=["office", "date", "queue_seq"],
                condition=_HOLDING,
                name="booking_unique_queue_number",
            ),
            models.CheckConstraint(
                condition=Q(queue_seq__gte=1), name="booking_queue_seq_positive"
            ),
            # Only a booking that began as a hold (it has an expiry) may lack a queue
            # number: held, or released or cancelled before it was confirmed; a hold has
            # none until then.
            models.CheckConstraint(
                condition=Q(queue_seq__isnull=False) | Q(hold_expires_at__isnull=False),
                name="booking_queue_seq_unless_hold",
            ),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.HELD)
                | Q(hold_expires_at__isnull=False, queue_seq__isnull=True),
                name="booking_hold_without_number",
            ),
            # Only erasure empties a birth date; an erased row's NULL never clashes in
            # booking_one_per_person_office_day (NULLs are distinct), its "" NIK is
            # outside booking_one_per_nik_office_day.
            models.CheckConstraint(
                condition=Q(birth_date__isnull=False) | Q(personal_data_erased_at__isnull=False),
                name="booking_birth_date_unless_erased",
            ),
        ]
        indexes = [
            # Serves: the no-show sweep (booked and past their expiry).
            models.Index(
                fields=["expires_at"], condition=Q(status="booked"), name="booking_expiry_idx"
            ),
            # Serves: the hold sweep and the release of a day's lapsed holds before a
            # booking takes a place (few rows: holds live 15 minutes).
            models.Index(
                fields=["office", "date", "hold_expires_at"],
                condition=Q(status="held"),
                name="booking_hold_expiry_idx",
            ),
            # Serves: the per-client limit on live holds.
            models.Index(
                fields=["hold_client", "hold_expires_at"],
                condition=Q(status="held"),
                name="booking_hold_client_idx",
            ),
            # Serves: per-phone limits and "my bookings" by WhatsApp number.
            models.Index(fields=["phone", "status"], name="booking_phone_status_idx"),
            # Serves: a person's bookings on a day at any office, and their no-show history.
            models.Index(fields=["name", "birth_date", "date"], name="booking_person_date_idx"),
            # Rule (b)'s NIK arm in booking_place.sql (one person, one live booking a day
            # at any office): only rows that carry a NIK.
            models.Index(fields=["nik", "date"], condition=~Q(nik=""), name="booking_nik_date_idx"),
            # Serves: an office's list for a day (desk, admin).
            models.Index(fields=["office", "date", "status"], name="booking_office_day_idx"),
            # Serves: the retention job (bookings not yet erased, oldest day first); it
            # holds about one retention period of rows, however long the history.
            models.Index(
                fields=["date"],
                condition=Q(personal_data_erased_at__isnull=True),
                name="booking_retention_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return display(self.code)

    @property
    def queue_number(self) -> str:
        return f"A-{self.queue_seq:03d}" if self.queue_seq is not None else ""

    def hold_is_live(self, now: dt.datetime) -> bool:
        """Held and not yet lapsed: the one reading of a hold's expiry in Python (the
        queries' is `services._live`)."""
        return self.status == BookingStatus.HELD and self.hold_expires_at > now

    @property
    def about(self) -> About:
        """How messages refer to this booking (its notices, the applicant's commands)."""
        return About(ABOUT_BOOKING, self.pk)

    @property
    def slot_start(self):
        return self.slot.starts_at

    @property
    def arrive_by(self) -> dt.datetime:
        return self.slot.starts_at - dt.timedelta(minutes=settings.BOOKING_ARRIVE_BEFORE_MINUTES)


class BookingEvent(models.Model):
    """One move of a booking: who, through which channel, when, from and to. Written
    only by the services, never changed."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="events", verbose_name=_("booking")
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=BookingStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=BookingStatus.choices)
    actor_kind = models.CharField(_("by"), max_length=12, choices=ActorKind.choices)
    # Indexed only where set (event_actor_user_idx): most events are the system's.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
        db_index=False,
    )
    # The integrator's key, when one acted (a gateway vouching for a phone, say).
    actor_client = models.ForeignKey(
        "offices.ApiClient",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API client"),
        db_index=False,
    )
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")
        ordering = ["booking", "created_at", "pk"]
        indexes = [
            # Serve: SET NULL when a staff user or an API key is deleted. Partial: the
            # system's events (every sweep's) have neither and add no entry.
            models.Index(
                fields=["actor_user"],
                condition=Q(actor_user__isnull=False),
                name="event_actor_user_idx",
            ),
            models.Index(
                fields=["actor_client"],
                condition=Q(actor_client__isnull=False),
                name="event_actor_client_idx",
            ),
        ]

    def __str__(self) -> str:
        # The title of a history row in the admin: the states as the reader reads them.
        return f"{self.get_from_status_display() or '-'} \u2192 {self.get_to_status_display()}"


class PriorityCategory(models.TextChoices):
    ELDERLY = "elderly", _("Elderly (60+)")
    DISABLED = "disabled", _("Disabled")
    CHILD = "child", _("Small child (under 5)")
    PREGNANT = "pregnant", _("Pregnant")


class PriorityTicket(models.Model):
    """A walk-in ticket of the priority lane, issued by staff at the door."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="priority_tickets", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    seq = models.PositiveIntegerField(_("number"))
    category = models.CharField(_("category"), max_length=10, choices=PriorityCategory.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("priority ticket")
        verbose_name_plural = _("priority tickets")
        ordering = ["office", "date", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "date", "seq"], name="priority_ticket_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"P-{self.seq:03d}"


class Fee(models.Model):
    """A passport fee as set by regulation, kept as data: fees change by decree."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(
        _("name in English"),
        max_length=150,
        blank=True,
        help_text=_("Shown to applicants who read English; empty: the Indonesian name."),
    )
    amount = models.PositiveIntegerField(_("amount (Rp)"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    regulation = models.CharField(_("regulation"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        ordering = ["code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="fee_one_per_code_start"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name}: {self.amount_text}"

    def name_in(self, language: str | None) -> str:
        """The fee's name for a reader of `language`: the English name for English
        (when staff entered one), else the Indonesian name, which is the regulation's.
        The one rule for which name to show; every list of fees asks it."""
        if (language or "").split("-")[0] == "en" and self.name_en:
            return self.name_en
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language (pages, replies, the admin)."""
        return self.name_in(translation.get_language())

    @property
    def amount_text(self) -> str:
        """Rp350.000, as Indonesians write amounts."""
        return f"Rp{self.amount:,}".replace(",", ".")


class CounterCall(models.Model):
    """A number called to a counter: a checked-in booking or a priority ticket."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="counter_calls", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    counter = models.PositiveSmallIntegerField(_("counter"))
    booking = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call",
        verbose_name=_("booking"),
    )
    ticket = models.OneToOneField(
        PriorityTicket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call",
        verbose_name=_("priority ticket"),
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("called by"),
    )
    called_at = models.DateTimeField(_("called at"), auto_now_add=True)

    class Meta:
        verbose_name = _("counter call")
        verbose_name_plural = _("counter calls")
        ordering = ["-called_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(booking__isnull=False, ticket__isnull=True)
                | Q(booking__isnull=True, ticket__isnull=False),
                name="call_is_booking_or_ticket",
            ),
        ]
        # Serves: the board (latest calls of an office today).
        indexes = [models.Index(fields=["office", "date", "called_at"], name="call_office_day_idx")]

    def __str__(self) -> str:
        return f"{self.number} -> {self.counter}"

    @property
    def number(self) -> str:
        return self.booking.queue_number if self.booking_id else self.ticket.number


class OutOfTurnReason(models.TextChoices):
    """Why an officer served someone who was not called to the counter in turn. The
    Ombudsman found calo's clients served first at the counter: the exception is
    allowed, never silent."""

    PRIORITY = "priority", _("Priority case (elderly, disabled, pregnant, small child)")
    RETURNING = "returning", _("Returning with a missing document")
    SUPERVISOR = "supervisor", _("Supervisor's instruction")
    OTHER = "other", _("Other (say why)")


class CounterService(models.Model):
    """One service at a counter (the submission of documents, photo and interview):
    who served which booking at which counter, when, and whether the person was the
    counter's latest call by "call next" (in turn) or not (with the officer's reason).
    Written only by `booking_record_submission`, never changed."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="counter_services", verbose_name=_("office")
    )
    date = models.DateField(_("date"), help_text=_("The office's local date of the service."))
    counter = models.PositiveSmallIntegerField(_("counter"))
    booking = models.OneToOneField(
        Booking,
        on_delete=models.PROTECT,
        related_name="counter_service",
        verbose_name=_("booking"),
    )
    call = models.ForeignKey(
        CounterCall,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call"),
        help_text=_('The booking\'s call by "call next", if it was called.'),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("officer"),
    )
    # Kept when the account goes, and names an API client (which has no user).
    actor_label = models.CharField(_("served by"), max_length=100)
    served_at = models.DateTimeField(_("served at"))
    in_turn = models.BooleanField(_("in turn"))
    out_of_turn_reason = models.CharField(
        _("reason out of turn"), max_length=12, choices=OutOfTurnReason.choices, blank=True
    )
    out_of_turn_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("counter service")
        verbose_name_plural = _("counter services")
        ordering = ["-served_at"]
        constraints = [
            # In turn needs no reason; out of turn always has one.
            models.CheckConstraint(
                condition=Q(in_turn=True, out_of_turn_reason="")
                | (Q(in_turn=False) & ~Q(out_of_turn_reason="")),
                name="service_reason_iff_out_of_turn",
            ),
            models.CheckConstraint(condition=Q(counter__gte=1), name="service_counter_positive"),
        ]
        indexes = [
            # Serves: the dashboard's serving order and counts per officer and day.
            models.Index(fields=["office", "date", "served_at"], name="service_office_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.booking.queue_number} @ {self.counter}"
