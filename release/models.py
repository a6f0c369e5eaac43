"""How an office releases its days: first come, or a provably fair draw.

A `ReleasePolicy` says, from a service day on, whether days go to whoever books first
(`first_come`, the default when no policy exists) or are drawn (`draw`). In draw mode
the days are released in blocks of `days_per_release` consecutive days (a *release*);
requests for a release are collected for `draw_window_hours` from the moment its first
day would be released, and a `Draw` then places them (release/services.py). Entrants
are `DrawEntry` rows; `DrawPerson` rows make the database refuse one person in two
entries of one draw.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from offices.models import Office


class ReleaseMode(models.TextChoices):
    FIRST_COME = "first_come", _("First come, first served")
    DRAW = "draw", _("Draw")


class ReleasePolicy(models.Model):
    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="release_policies", verbose_name=_("office")
    )
    mode = models.CharField(_("mode"), max_length=12, choices=ReleaseMode.choices)
    applies_from = models.DateField(
        _("applies from"),
        help_text=_(
            "The first service day released this way; in draw mode, the first day "
            "of the first release."
        ),
    )
    days_per_release = models.PositiveSmallIntegerField(
        _("days per release"),
        default=7,
        help_text=_("Draw mode: how many consecutive days one draw covers."),
    )
    draw_window_hours = models.PositiveSmallIntegerField(
        _("draw window (hours)"),
        default=24,
        help_text=_("Draw mode: how long requests are collected after the days are released."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("release policy")
        verbose_name_plural = _("release policies")
        ordering = ["office", "-applies_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "applies_from"], name="release_policy_one_per_office_start"
            ),
            models.CheckConstraint(
                condition=Q(days_per_release__gte=1, days_per_release__lte=31),
                name="release_policy_days_1_31",
            ),
            models.CheckConstraint(
                condition=Q(draw_window_hours__gte=1, draw_window_hours__lte=24 * 14),
                name="release_policy_window_1h_14d",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code}: {self.get_mode_display()} ({self.applies_from})"


class DrawState(models.TextChoices):
    COMMITTED = "committed", _("Committed (seed hidden)")
    DRAWN = "drawn", _("Drawn, placing winners")
    DONE = "done", _("Done")


class Draw(models.Model):
    """One release's draw. The seed is stored from the start (it must be revealed),
    and shown only once the state has left `committed`."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="draws", verbose_name=_("office")
    )
    policy = models.ForeignKey(
        ReleasePolicy, on_delete=models.PROTECT, related_name="draws", verbose_name=_("policy")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    opens_at = models.DateTimeField(_("window opens"))
    closes_at = models.DateTimeField(_("window closes (draw)"))
    seed = models.CharField(_("seed"), max_length=64)
    commitment = models.CharField(_("commitment (SHA-256 of the seed)"), max_length=64)
    state = models.CharField(
        _("state"), max_length=10, choices=DrawState.choices, default=DrawState.COMMITTED
    )
    # The places each day had when the draw ran ({"YYYY-MM-DD": n}): published, so the
    # result can be recomputed.
    capacities = models.JSONField(_("places drawn"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("committed at"))
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-first_day", "office"]
        constraints = [
            models.UniqueConstraint(fields=["office", "first_day"], name="draw_one_per_release"),
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="draw_days_ordered"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="draw_window_ordered"
            ),
        ]
        indexes = [
            # Serves: the beat task finding windows that have closed and are not done.
            models.Index(fields=["closes_at"], condition=~Q(state="done"), name="draw_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} {self.first_day}"

    @property
    def release(self) -> str:
        """The release's name in URLs and on the page: its first day, ISO."""
        return self.first_day.isoformat()

    @property
    def revealed(self) -> bool:
        return self.state != DrawState.COMMITTED


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for WhatsApp confirmation")
    ENTERED = "entered", _("Entered")
    INVALID = "invalid", _("Invalid")


class EntryResult(models.TextChoices):
    NONE = "", _("Not drawn yet")
    WON = "won", _("Drawn: place given")
    WAITLIST = "waitlist", _("Waiting list")


class Placement(models.TextChoices):
    NONE = "", _("-")
    BOOKED = "booked", _("Booked")
    REFUSED = "refused", _("Could not be booked")


class DrawEntry(models.Model):
    """One request: a family (1 to BOOKING_FAMILY_MAX people) from one confirmed phone,
    with up to three acceptable days of the release in order of preference."""

    # No index of its own: every index below that starts with the draw serves it (each
    # index is one more insertion per row the run updates, 20,000 rows three times).
    draw = models.ForeignKey(
        Draw,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("draw"),
        db_index=False,
    )
    reference = models.CharField(_("reference"), max_length=8, unique=True)
    # HMAC of the reference: the only name the public page gives the entry.
    pseudonym = models.CharField(_("pseudonym"), max_length=16)
    phone = models.CharField(_("WhatsApp number"), max_length=15)
    language = models.CharField(_("language"), max_length=5, default="id")
    channel = models.CharField(_("entered via"), max_length=10)
    service = models.CharField(_("service"), max_length=12, default="new")
    # [{"name": ..., "birth_date": "YYYY-MM-DD", "nik": ...}], normalised.
    people = models.JSONField(_("people"))
    people_count = models.PositiveSmallIntegerField(_("people"))
    preferences = models.JSONField(_("preferred days"), help_text=_("ISO dates, in order."))
    status = models.CharField(
        _("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    invalid_reason = models.CharField(_("why invalid"), max_length=300, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=EntryResult.choices, default="", blank=True
    )
    rank = models.PositiveIntegerField(_("draw order"), null=True, blank=True)
    won_day = models.DateField(_("day won"), null=True, blank=True)
    # The handoff to the waiting list (waitlist app): this entry's place in it.
    waitlist_position = models.PositiveIntegerField(
        _("waiting-list position"), null=True, blank=True
    )
    placement = models.CharField(
        _("placement"), max_length=10, choices=Placement.choices, default="", blank=True
    )
    placement_error = models.CharField(_("placement refused because"), max_length=300, blank=True)
    group_code = models.CharField(_("booking (family group)"), max_length=8, blank=True)
    notified_at = models.DateTimeField(_("result sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("draw entry")
        verbose_name_plural = _("draw entries")
        # By the draw's id, not the draw: an ordering through the relation would join
        # (and lock, under select_for_update) the draw and office rows.
        ordering = ["draw_id", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "pseudonym"], name="draw_entry_pseudonym"),
            # One request per family: one entered request per phone and draw.
            models.UniqueConstraint(
                fields=["draw", "phone"],
                condition=Q(status="entered") & ~Q(phone=""),  # "": erased
                name="draw_entry_one_per_phone",
            ),
            models.UniqueConstraint(
                fields=["draw", "waitlist_position"], name="draw_entry_unique_waitlist_position"
            ),
            models.UniqueConstraint(fields=["draw", "rank"], name="draw_entry_unique_rank"),
            models.CheckConstraint(
                condition=Q(people_count__gte=1, people_count__lte=settings.BOOKING_FAMILY_MAX),
                name="draw_entry_people_1_max",
            ),
            models.CheckConstraint(
                condition=~Q(result="won")
                | Q(won_day__isnull=False, waitlist_position__isnull=True),
                name="draw_entry_won_has_day",
            ),
        ]
        indexes = [
            # Serves: a draw's entered requests (the run), and its entries by result.
            models.Index(fields=["draw", "status", "result"], name="draw_entry_state_idx"),
            # Serves: YA <reference> from a phone.
            models.Index(fields=["phone", "status"], name="draw_entry_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.display_reference

    @property
    def display_reference(self) -> str:
        return f"{self.reference[:4]}-{self.reference[4:]}"


class DrawPerson(models.Model):
    """A person in an entered request, by a keyed hash of their NIK or of their folded
    name and birth date: the unique constraint is the judge of "one person, one request
    per office and release"."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(DrawEntry, on_delete=models.CASCADE, related_name="persons")
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("person in a draw")
        verbose_name_plural = _("persons in draws")
        constraints = [
            models.UniqueConstraint(fields=["draw", "key"], name="draw_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}"


class DrawEvent(models.Model):
    """The audit trail of a draw: committed, drawn, finished, each with counts. Written
    only by the services."""

    draw = models.ForeignKey(
        Draw, on_delete=models.CASCADE, related_name="events", verbose_name=_("draw")
    )
    kind = models.CharField(_("event"), max_length=20)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("draw event")
        verbose_name_plural = _("draw events")
        ordering = ["draw_id", "created_at", "pk"]

    def __str__(self) -> str:
        return self.kind
