"""Inbound WhatsApp messages, from the Cloud API webhook or a REST gateway: one path.

It answers a provider's repeated delivery with the earlier result, limits each sender,
remembers the sender's language, hands the text to the handler named in
WHATSAPP_INBOUND_HANDLER (the booking conversation; notifications imports no app
above it), stores what was answered, and queues the reply in the outbox, all in one
transaction.
"""

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from immigration import ratelimit
from immigration.errors import ConflictError
from notifications.models import About, InboundMessage, WhatsAppContact, about_fields
from notifications.services import outbox_enqueue

logger = logging.getLogger(__name__)


# How far ahead of our clock a provider's timestamp may be (clocks drift a little).
FUTURE_SKEW = dt.timedelta(seconds=60)


def is_fresh(sent_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Whether a provider's timestamp is recent enough to act on: not older than
    WHATSAPP_WEBHOOK_MAX_AGE_SECONDS, not further ahead than FUTURE_SKEW. A captured
    delivery replayed later is refused even though its signature is genuine."""
    if sent_at is None:
        return False
    max_age = dt.timedelta(seconds=settings.WHATSAPP_WEBHOOK_MAX_AGE_SECONDS)
    return now - max_age <= sent_at <= now + FUTURE_SKEW


@dataclass(frozen=True)
class Inbound:
    provider_message_id: str
    sender: str  # E.164 digits without +
    text: str
    received_at: dt.datetime
    # How the office is known: the Cloud API's phone-number id, or the number written to.
    phone_number_id: str | None = None
    to: str | None = None


@dataclass
class HandlerReply:
    """What the conversation answered. `queued` texts are already in the outbox (a
    booking's confirmation, with its QR); `text` is queued here.

    `about`: the row the message and its reply concern (the sender's own booking at
    the office written to, a complaint); only that row's page shows them. `logged_text`:
    what the inbound log keeps instead of the message's text (None: the text itself),
    e.g. "report <tracking code>" for a report, whose text must live only where the
    complaints' scoping guards it."""

    text: str = ""
    queued: list[str] = field(default_factory=list)
    result: dict = field(default_factory=dict)
    language: str | None = None
    office_code: str = ""
    sender_number: str = ""
    phone_number_id: str = ""
    about: About | None = None
    logged_text: str | None = None

    @property
    def full_text(self) -> str:
        return "\n\n".join(part for part in [*self.queued, self.text] if part)


@dataclass(frozen=True)
class InboundResult:
    reply: str
    result: dict
    duplicate: bool = False


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text as PostgreSQL can store it: a NUL character, or a lone UTF-16 surrogate
    (which JSON can carry as an escape), becomes U+FFFD. Replaced, not dropped, so
    "SITI<NUL>NURAINI" cannot turn into a name the sender never wrote."""
    return _UNSTORABLE.sub("\ufffd", text)


def _over_limit(sender: str) -> int:
    """How far over the per-sender limit this message is (0: within it)."""
    hits = ratelimit.hit(
        f"wa-sender:{sender}", window_seconds=settings.WHATSAPP_SENDER_WINDOW_SECONDS
    )
    return max(0, hits - settings.WHATSAPP_SENDER_LIMIT)


def receive_inbound(message: Inbound, *, now: dt.datetime | None = None) -> InboundResult:
    """Answer one inbound message, once. A provider id seen before from the same sender
    gets the earlier answer; the same id from another sender is refused (ids are only
    unique per provider, and an answer must never reach someone else)."""
    now = now or timezone.now()
    message = dataclasses.replace(message, text=clean_text(message.text or ""))
    earlier = InboundMessage.objects.filter(provider_message_id=message.provider_message_id).first()
    if earlier is not None:
        return _earlier(earlier, message)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = InboundMessage.objects.create(
                    provider_message_id=message.provider_message_id,
                    sender=message.sender,
                    text=message.text[:4096],
                    received_at=message.received_at,
                )
        except IntegrityError:
            # The same id delivered twice at once: the other delivery answered it.
            earlier = InboundMessage.objects.get(provider_message_id=message.provider_message_id)
            return _earlier(earlier, message)
        return _answer(message, record, now)


def _earlier(earlier: InboundMessage, message: Inbound) -> InboundResult:
    if earlier.sender != message.sender:
        raise ConflictError(
            code="message_id_reused",
            message=_("This message id was already used by another sender."),
            fields={"id": [_("Already used.")]},
        )
    return InboundResult(earlier.reply, earlier.result, duplicate=True)


def _answer(message: Inbound, record: InboundMessage, now: dt.datetime) -> InboundResult:
    contact, created = WhatsAppContact.objects.get_or_create(phone=message.sender)
    over = _over_limit(message.sender)
    if over:
        reply = HandlerReply()
        if over == 1:
            with translation.override(contact.language):
                reply.text = _(
                    "You have sent many messages. Please wait a few minutes and try again."
                )
        reply.result = {"rate_limited": True}
        # Not read, so not known to be harmless to keep (it may be a report).
        reply.logged_text = ""
    else:
        handler = import_string(settings.WHATSAPP_INBOUND_HANDLER)
        with translation.override(contact.language):
            # A number new to us has no language yet (None): the handler may read one
            # from the words of its first message.
            reply = handler(
                message=message, language=None if created else contact.language, now=now
            )
        if reply.language and reply.language != contact.language:
            contact.language = reply.language
            contact.save(update_fields=["language", "updated_at"])
    record.reply = reply.full_text
    record.result = reply.result
    record.office_code = reply.office_code
    if reply.logged_text is not None:
        record.text = reply.logged_text
    for name, value in about_fields(reply.about).items():
        setattr(record, name, value)
    record.save(update_fields=["reply", "result", "office_code", "text", "about_kind", "about_id"])
    if reply.text:
        outbox_enqueue(
            to=message.sender,
            text=reply.text,
            kind="reply",
            language=reply.language or contact.language,
            sender=reply.sender_number,
            phone_number_id=reply.phone_number_id,
            subject=f"inbound:{record.pk}",
            about=reply.about,
        )
    return InboundResult(record.reply, record.result)
