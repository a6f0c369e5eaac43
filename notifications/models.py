"""The outbox of WhatsApp messages, and the inbound messages already handled.

Every notice is an OutboundMessage row written in the same transaction as the change
that causes it; a Celery task sends it after commit. A row is the promise: if Redis,
the worker or the provider is down, the row waits and the sweep sends it later.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class About:
    """What a message is about: a row of an app above this one, by kind and id (e.g.
    About("booking", 42)). Who may read a message follows from it: a booking's page
    shows the messages about that booking and no others. Never parsed from text."""

    kind: str
    id: int

    def fields(self) -> dict:
        return {"about_kind": self.kind, "about_id": self.id}


def about_fields(about: "About | None") -> dict:
    """The model fields of `about` (blank when the message is about nothing)."""
    return about.fields() if about else {"about_kind": "", "about_id": None}


class AboutMixin(models.Model):
    about_kind = models.CharField(
        _("about (kind)"), max_length=20, blank=True, help_text=_("e.g. booking, complaint")
    )
    about_id = models.BigIntegerField(_("about (id)"), null=True, blank=True)

    class Meta:
        abstract = True


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Urgency(models.IntegerChoices):
    """Which notices go first when a limit (the number's pace, its daily tier) cannot
    take them all: what the applicant must act on before what reminds them."""

    URGENT = 0, _("Urgent (confirmations, changes, replies)")
    ROUTINE = 1, _("Routine (reminders)")


class OutboundMessage(AboutMixin):
    to = models.CharField(_("to"), max_length=15, help_text=_("E.164 digits without +."))
    sender = models.CharField(
        _("from"), max_length=16, blank=True, help_text=_("The office's number.")
    )
    phone_number_id = models.CharField(
        _("WhatsApp Cloud API phone-number id"), max_length=32, blank=True
    )
    kind = models.CharField(_("kind"), max_length=40, help_text=_("e.g. booking_confirmed"))
    language = models.CharField(_("language"), max_length=5, default="id")
    text = models.TextField(_("text"))
    image_png = models.BinaryField(_("image (PNG)"), null=True, blank=True)
    # A QR code is drawn from this text when the message is sent, by the worker: the
    # booking request that queues the confirmation does not pay for drawing it.
    image_qr = models.CharField(_("QR code of"), max_length=32, blank=True)
    # Outside WhatsApp's 24-hour window only an approved template may be sent.
    template_name = models.CharField(_("template"), max_length=64, blank=True)
    template_params = models.JSONField(_("template parameters"), default=list, blank=True)
    # A label for operators' search only; no code reads it: what a message is about
    # is about_kind/about_id. Not indexed: the admin's search is a substring match,
    # which a btree cannot serve.
    subject = models.CharField(_("label"), max_length=64, blank=True)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.URGENT
    )
    # Sent outside the recipient's 24-hour window (a template): such messages count
    # against the number's daily limit of unique users (SenderNumber.daily_unique_users).
    business_initiated = models.BooleanField(_("business-initiated"), default=False)
    # The same notice is never queued twice (e.g. the day-before reminder): unique where
    # set (outbox_dedupe_unique); most messages have none (NULL, never "": two blanks
    # would clash).
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001

    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Unique once sent (outbox_provider_id_unique): a status callback finds its message.
    # NULL until then, never "" (two blanks would clash).
    provider_message_id = models.CharField(  # noqa: DJ001
        _("provider message id"), max_length=128, null=True, blank=True
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    # Recipient, text, image and parameters blanked (notifications/retention.py).
    personal_data_erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at"]
        # Partial: a message has a dedupe key or a provider's id only sometimes, and a
        # NULL entry would be written (and rewritten at every status change) for nothing.
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="outbox_dedupe_unique",
            ),
            models.UniqueConstraint(
                fields=["provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="outbox_provider_id_unique",
            ),
        ]
        indexes = [
            # Serves: the sender's claim of a batch (queued, the most urgent first), and
            # the sweep of messages waiting (queued) or stuck (sending); one index for
            # both, so a queued message costs one entry, not two.
            models.Index(
                fields=["status", "urgency", "id"],
                condition=Q(status__in=["queued", "sending"]),
                name="outbox_queue_idx",
            ),
            # Serves: the retention job (messages not yet erased, oldest first).
            models.Index(
                fields=["created_at"],
                condition=Q(personal_data_erased_at__isnull=True),
                name="outbox_retention_idx",
            ),
            # Serves: a booking's conversation in the admin, a complaint's messages.
            models.Index(fields=["about_kind", "about_id"], name="outbox_about_idx"),
            # Serves: the sender's spacing of messages to one recipient (the last sent).
            models.Index(
                fields=["to", "sent_at"],
                condition=Q(sent_at__isnull=False),
                name="outbox_recipient_sent_idx",
            ),
            # Serves: a number's unique users of the last 24 hours (its daily tier).
            models.Index(
                fields=["sender", "sent_at"],
                condition=Q(business_initiated=True),
                name="outbox_business_sent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class EarlyStatusCallback(models.Model):
    """A delivery callback that came before its message's provider id was written back.

    A batch writes its outcomes back once, after its last send (notifications/services.py,
    `_write_back`); WhatsApp may call back about the batch's first message before that.
    Such a callback waits here and is applied by the write-back; one that never finds
    its message (not ours) is deleted by the outbox's sweep after EARLY_STATUS_KEPT."""

    provider_message_id = models.CharField(max_length=128, db_index=True)
    phone_number_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    at = models.DateTimeField()
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("early delivery callback")
        verbose_name_plural = _("early delivery callbacks")

    def __str__(self) -> str:
        return f"{self.status} ({self.received_at:%Y-%m-%d %H:%M})"


class MessagingTier(models.IntegerChoices):
    """WhatsApp's daily limits of unique users reached outside the 24-hour window."""

    TIER_250 = 250, "250"
    TIER_2K = 2_000, "2,000"
    TIER_10K = 10_000, "10,000"
    TIER_100K = 100_000, "100,000"


class SenderNumber(models.Model):
    """What the sender must know of one office number to stay within WhatsApp's limits:
    its messaging tier, and its pace (a token bucket, refilled at the configured rate).
    A row appears the first time the number sends; staff set its tier in the admin."""

    number = models.CharField(
        _("WhatsApp number"), max_length=16, unique=True, help_text=_("Blank: the default.")
    )
    daily_unique_users = models.PositiveIntegerField(
        _("daily limit of unique users"),
        choices=MessagingTier.choices,
        default=MessagingTier.TIER_250,
        help_text=_("WhatsApp's messaging tier of this number (business-initiated messages)."),
    )
    tokens = models.FloatField(default=0)
    tokens_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WhatsApp sender number")
        verbose_name_plural = _("WhatsApp sender numbers")

    def __str__(self) -> str:
        return self.number or "-"


class InboundState(models.TextChoices):
    """Where a received message is in the durable inbox (notifications/inbound.py)."""

    PENDING = "pending", _("Waiting to be processed")
    DONE = "done", _("Processed")
    PARKED = "parked", _("Parked: failed too often, needs an operator")


class InboundMessage(AboutMixin):
    """A message received (webhook or gateway), kept with the reply it got, so a
    provider's second delivery of the same id is answered the same way.

    The webhook stores a message `pending` and answers the provider at once; the worker
    processes it (state `done`). `attempts`, `claimed_at` and `last_error` are the
    inbox's lease and retry bookkeeping; a message that failed INBOX_MAX_ATTEMPTS times
    is `parked` for an operator (admin). The gateway answers in its response, so its
    messages are stored `done`.

    `text` is what the handler allows the log to keep: a report is kept as
    "report <tracking code>", never its text (that lives in the complaints app only).
    Until processed, a message keeps what was received."""

    # Unique by inbound_provider_id_unique (Meta; the inbox's ON CONFLICT): a plain
    # unique field would also get a varchar_pattern_ops twin no query uses.
    provider_message_id = models.CharField(_("provider message id"), max_length=128)
    state = models.CharField(
        _("state"), max_length=10, choices=InboundState.choices, default=InboundState.DONE
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # How the office is known when the worker processes it (the Cloud API's id).
    phone_number_id = models.CharField(
        _("WhatsApp Cloud API phone-number id"), max_length=32, blank=True
    )
    sender = models.CharField(_("from"), max_length=15)
    office_code = models.SlugField(_("office"), max_length=40, blank=True, db_index=False)
    text = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    reply = models.TextField(_("reply"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_message_id"], name="inbound_provider_id_unique"
            ),
        ]
        indexes = [
            # Serves: the admin's filter by office, newest first (and its list of offices).
            models.Index(fields=["office_code", "received_at"], name="inbound_office_time_idx"),
            # Serves: the 24-hour window (last message from a number) and rate limits.
            models.Index(fields=["sender", "received_at"], name="inbound_sender_time_idx"),
            # Serves: the retention job (oldest first) and the admin's newest-first list.
            models.Index(fields=["received_at"], name="inbound_received_idx"),
            # Serves: a booking's conversation in the admin.
            models.Index(fields=["about_kind", "about_id"], name="inbound_about_idx"),
            # Serves: the inbox sweep (messages not yet processed); stays tiny.
            models.Index(fields=["id"], condition=Q(state="pending"), name="inbound_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.received_at:%Y-%m-%d %H:%M}"


class WhatsAppContact(models.Model):
    """What we remember of a number between messages: the language it chose."""

    phone = models.CharField(_("WhatsApp number"), max_length=15, unique=True)
    language = models.CharField(_("language"), max_length=5, default="id")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("WhatsApp contact")
        verbose_name_plural = _("WhatsApp contacts")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.language})"
