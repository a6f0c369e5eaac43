"""Waiting lists of full days, the offers of freed places, and the places an office
keeps for the people UU 25/2009 art. 29 names (priority quota).

A request waits on one office-day's list, its people kept together. When places free
up, `waitlist.services.places_freed` offers them to the first waiting request whose
people fit: the offer *holds* the places as ordinary held bookings (bookings.Booking,
status `held`) that lapse at the offer's expiry, so the slot counters stay exact and
no other booking can take an offered place. `YA` confirms the holds; silence lets
them lapse and the places pass on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bookings.codes import display
from bookings.models import Booking, PriorityClaim
from offices.models import Office

ABOUT_WAITLIST = "waitlist"


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for WhatsApp confirmation")
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered places")
    ACCEPTED = "accepted", _("Accepted (booked)")
    LEFT = "left", _("Left the list")
    EXPIRED = "expired", _("Expired")


# States that keep a request on its list (and count against its people and phone).
ACTIVE_STATES = [RequestState.WAITING, RequestState.OFFERED]


class WaitlistRequest(models.Model):
    """One family's (or one person's) place on one office-day's waiting list."""

    # No index of its own: waitlist_unique_position (office, date, position) leads with it.
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="waitlist",
        verbose_name=_("office"),
        db_index=False,
    )
    date = models.DateField(_("date"), help_text=_("The office's local date wanted."))
    # Unique by waitlist_ref_unique (Meta): a plain unique field would also get a
    # varchar_pattern_ops twin no query uses.
    ref = models.CharField(_("reference"), max_length=8)
    # Order on the day's list: first come (max + 1 under the list's lock), or the draw's
    # order when a draw put the request here.
    # None while a web request waits for its phone's `YA <ref>`.
    position = models.PositiveIntegerField(_("order on the list"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=RequestState.choices, default=RequestState.WAITING
    )
    phone = models.CharField(
        _("WhatsApp number"), max_length=15, help_text=_("Confirmed: E.164 digits without +.")
    )
    confirm_by = models.DateTimeField(
        _("confirm by"),
        null=True,
        blank=True,
        help_text=_("A web request not confirmed from its WhatsApp number by then expires."),
    )
    language = models.CharField(_("language"), max_length=5, default="id")
    channel = models.CharField(_("joined via"), max_length=10)
    people_count = models.PositiveSmallIntegerField(_("people"))
    # Where a request placed by another service came from ("draw:<reference>" for a
    # request the draw did not place): unique, so a second or resumed handoff adds it
    # once. Blank for requests people made themselves.
    source = models.CharField(_("placed by"), max_length=40, blank=True, default="")
    joined_at = models.DateTimeField(_("joined at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("waiting-list request")
        verbose_name_plural = _("waiting-list requests")
        ordering = ["office", "date", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ref"], name="waitlist_ref_unique"),
            models.UniqueConstraint(
                fields=["office", "date", "position"], name="waitlist_unique_position"
            ),
            models.UniqueConstraint(
                fields=["source"], condition=~Q(source=""), name="waitlist_unique_source"
            ),
            # On the list (or past it) means confirmed: only a pending request has no
            # position.
            models.CheckConstraint(
                condition=Q(state="pending", position__isnull=True)
                | Q(state__in=["waiting", "offered", "accepted"], position__isnull=False)
                | Q(state__in=["left", "expired"]),
                name="waitlist_position_unless_pending",
            ),
            models.CheckConstraint(
                condition=Q(people_count__gte=1, people_count__lte=settings.BOOKING_FAMILY_MAX),
                name="waitlist_people_in_range",
            ),
        ]
        indexes = [
            # Serves: the next waiting request of an office-day, and positions.
            models.Index(
                fields=["office", "date", "position"],
                condition=Q(state="waiting"),
                name="waitlist_waiting_idx",
            ),
            # Serves: a phone's requests (STATUS, YA, the per-phone limit).
            models.Index(fields=["phone", "state"], name="waitlist_phone_state_idx"),
        ]

    def __str__(self) -> str:
        return self.display_ref

    @property
    def display_ref(self) -> str:
        return display(self.ref)


class WaitlistPerson(models.Model):
    """One person of a request, as they would be booked."""

    request = models.ForeignKey(
        WaitlistRequest,
        on_delete=models.CASCADE,
        related_name="people",
        verbose_name=_("request"),
    )
    name = models.CharField(_("name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    priority = models.CharField(
        _("priority claim"), max_length=10, choices=PriorityClaim.choices, blank=True
    )

    class Meta:
        verbose_name = _("person on the list")
        verbose_name_plural = _("people on the list")
        ordering = ["request", "pk"]
        indexes = [
            # Serves: "is this person already on this office-day's list?"
            models.Index(fields=["name", "birth_date"], name="waitlist_person_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class OfferState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


class WaitlistOffer(models.Model):
    """Freed places offered to a request: held by its held bookings (the group of
    `first_booking`) until `expires_at`."""

    request = models.ForeignKey(
        WaitlistRequest, on_delete=models.CASCADE, related_name="offers", verbose_name=_("request")
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    first_booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, related_name="+", verbose_name=_("held booking")
    )
    places = models.PositiveSmallIntegerField(_("places"))
    state = models.CharField(
        _("state"), max_length=10, choices=OfferState.choices, default=OfferState.OPEN
    )
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-list offer")
        verbose_name_plural = _("waiting-list offers")
        ordering = ["-offered_at"]
        constraints = [
            # A request has at most one open offer: one request never holds two sets of
            # places.
            models.UniqueConstraint(
                fields=["request"], condition=Q(state="open"), name="waitlist_one_open_offer"
            ),
        ]
        indexes = [
            # Serves: the sweep of lapsed offers.
            models.Index(fields=["expires_at"], condition=Q(state="open"), name="offer_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request} ({self.places})"


class PriorityQuota(models.Model):
    """From `valid_from`, each open day of the office keeps `places` places bookable
    only by bookings with a priority person, until `release_hours` before the day."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="priority_quotas", verbose_name=_("office")
    )
    valid_from = models.DateField(_("applies from"))
    places = models.PositiveIntegerField(_("priority places per day"))
    release_hours = models.PositiveIntegerField(
        _("release unused places (hours before the day)"), default=48
    )

    class Meta:
        verbose_name = _("priority quota")
        verbose_name_plural = _("priority quotas")
        ordering = ["office", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "valid_from"], name="priority_quota_one_per_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office}: {self.places} ({self.valid_from})"


class PriorityDay(models.Model):
    """The quota as applied to one office-day: how many places were kept, and when the
    unused ones were released. One row per office-day: applying twice keeps nothing
    twice."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="+", verbose_name=_("office")
    )
    date = models.DateField(_("date"))
    kept = models.PositiveIntegerField(_("places kept"))
    release_at = models.DateTimeField(_("release at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("priority places of a day")
        verbose_name_plural = _("priority places of days")
        ordering = ["office", "date"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date"], name="priority_day_unique"),
        ]
        indexes = [
            # Serves: the sweep of days whose unused places are due for release.
            models.Index(
                fields=["release_at"],
                condition=Q(released_at__isnull=True),
                name="priority_day_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} {self.date}: {self.kept}"
