"""Complaints about pungli (illegal levies), calo (brokers) and the service, their
evidence, their history, and who looked at the reporter's contact details.

The reporter is anonymous unless they give contact details; those are visible only to
the handlers of the case, and every view of them is logged.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from notifications.models import About
from offices.models import Office


class Category(models.TextChoices):
    PUNGLI = "pungli", _("Illegal levy (pungli)")
    CALO = "calo", _("Broker (calo)")
    SERVICE = "service", _("Service quality")
    OTHER = "other", _("Other")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    INVESTIGATING = "investigating", _("Under investigation")
    SUBSTANTIATED = "substantiated", _("Substantiated")
    UNSUBSTANTIATED = "unsubstantiated", _("Not substantiated")
    CLOSED = "closed", _("Closed")


ABOUT_COMPLAINT = "complaint"


class Complaint(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=8, unique=True)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("office")
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    occurred_on = models.DateField(_("when it happened"), null=True, blank=True)
    occurred_where = models.CharField(_("where it happened"), max_length=200, blank=True)
    description = models.TextField(_("what happened"))
    person_involved = models.CharField(
        _("staff member or broker involved"), max_length=200, blank=True
    )
    booking_code = models.CharField(_("related booking code"), max_length=8, blank=True)
    # A complaint naming a supervisor goes to the inspectors only.
    about_supervisor = models.BooleanField(_("names a supervisor"), default=False)
    channel = models.CharField(_("received via"), max_length=10, default="web")

    reporter_name = models.CharField(_("reporter's name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=15, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    contact_purged_at = models.DateTimeField(_("contact details erased at"), null=True, blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    received_at = models.DateTimeField(_("received at"))
    triage_due = models.DateField(_("triage due"))
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    overdue_notified_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]
        indexes = [
            # Serves: a supervisor's list of their office's open cases; the overdue job.
            models.Index(fields=["office", "status"], name="complaint_office_status_idx"),
            models.Index(fields=["status", "triage_due"], name="complaint_status_due_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def about(self) -> About:
        """How messages refer to this case: the reporter's notices, the WhatsApp report."""
        return About(ABOUT_COMPLAINT, self.pk)

    @property
    def has_contact(self) -> bool:
        return bool(self.reporter_name or self.reporter_phone or self.reporter_email)


class ComplaintEvent(models.Model):
    """A step of the case: a transition, or information added by the reporter."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint")
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=ComplaintStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=16, choices=ComplaintStatus.choices, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_reporter = models.BooleanField(_("by the reporter"), default=False)
    internal_note = models.TextField(_("internal note"), blank=True)
    public_note = models.TextField(
        _("public note"), blank=True, help_text=_("Shown to the reporter.")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["complaint", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status or '-'}"


class Evidence(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("complaint")
    )
    file_name = models.CharField(_("stored as"), max_length=100)
    original_name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["complaint", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ContactAccess(models.Model):
    """Someone on staff saw a reporter's contact details."""

    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.CASCADE,
        related_name="contact_accesses",
        verbose_name=_("complaint"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    where = models.CharField(_("where"), max_length=40)

    class Meta:
        verbose_name = _("view of contact details")
        verbose_name_plural = _("views of contact details")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"
