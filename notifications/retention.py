"""Erasing old WhatsApp traffic after MESSAGE_RETENTION_DAYS.

Messages carry what people wrote: names, birth dates, booking codes, complaints. They
are copies (what was booked lives on the booking), useful while a booking or a case is
alive, so they go sooner than the bookings themselves:

- outbound messages keep their row (kind, status, timestamps, attempts, subject), so
  delivery rates stay countable, but lose recipient, text, image, template parameters,
  last error and dedupe key. A message still queued or sending is never touched: it is
  a promise not yet kept, and blanking its recipient would break it;
- inbound messages are deleted: a row serves only to answer a provider's repeated
  delivery (which comes within days) and the 24-hour window;
- a remembered number (its chosen language) is deleted once it has written nothing for
  the period.

Every function works in batches that lock their rows with SKIP LOCKED, so it is
idempotent and safe to run twice at once, and returns how many rows it changed.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from notifications.models import InboundMessage, MessageStatus, OutboundMessage, WhatsAppContact

PENDING = [MessageStatus.QUEUED, MessageStatus.SENDING]


def _cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.MESSAGE_RETENTION_DAYS)


def _in_batches(queryset: QuerySet, apply, *, batch_size: int) -> int:
    """Lock up to `batch_size` rows of `queryset` (skipping rows others hold), call
    `apply(ids)` in the same transaction, and repeat until none is left. Each batch
    commits on its own: refused inside a caller's transaction (durable: RuntimeError),
    which would hold every batch's locks to the end."""
    total = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                queryset.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if ids:
                apply(ids)
            total += len(ids)
        if len(ids) < batch_size:
            return total


def outbox_erasable(queryset: QuerySet[OutboundMessage]) -> QuerySet[OutboundMessage]:
    """The messages of `queryset` that may be erased: not yet erased, not pending."""
    return queryset.filter(personal_data_erased_at__isnull=True).exclude(status__in=PENDING)


def outbox_erase(
    queryset: QuerySet[OutboundMessage], *, now: dt.datetime, batch_size: int = 500
) -> int:
    """Blank who a message went to and what it said, for the messages of `queryset`
    that are neither erased already nor still queued or sending."""

    def erase(ids):
        OutboundMessage.objects.filter(pk__in=ids).update(
            to="",
            text="",
            image_png=None,
            image_qr="",
            template_params=[],
            last_error="",
            dedupe_key=None,
            personal_data_erased_at=now,
        )

    return _in_batches(outbox_erasable(queryset), erase, batch_size=batch_size)


def outbox_due_for_erasure(*, now: dt.datetime) -> QuerySet[OutboundMessage]:
    return outbox_erasable(OutboundMessage.objects.filter(created_at__lt=_cutoff(now)))


def inbound_due_for_deletion(*, now: dt.datetime) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(received_at__lt=_cutoff(now))


def contacts_due_for_deletion(*, now: dt.datetime) -> QuerySet[WhatsAppContact]:
    """Numbers that have written nothing within the period (the language they chose
    is the only thing kept of them)."""
    cutoff = _cutoff(now)
    recent = InboundMessage.objects.filter(sender=OuterRef("phone"), received_at__gte=cutoff)
    return WhatsAppContact.objects.filter(updated_at__lt=cutoff).exclude(Exists(recent))


def messages_erase_old(*, now: dt.datetime | None = None, batch_size: int = 500) -> dict:
    """The daily job: erase old outbound messages, delete old inbound ones and idle
    numbers. Returns the counts, for the task's result and the command's output."""
    now = now or timezone.now()
    return {
        "outbound_erased": outbox_erase(
            OutboundMessage.objects.filter(created_at__lt=_cutoff(now)),
            now=now,
            batch_size=batch_size,
        ),
        "inbound_deleted": _in_batches(
            inbound_due_for_deletion(now=now),
            lambda ids: InboundMessage.objects.filter(pk__in=ids).delete(),
            batch_size=batch_size,
        ),
        "contacts_deleted": _in_batches(
            contacts_due_for_deletion(now=now),
            lambda ids: WhatsAppContact.objects.filter(pk__in=ids).delete(),
            batch_size=batch_size,
        ),
    }


def messages_due_for_erasure(*, now: dt.datetime | None = None) -> dict:
    """What `messages_erase_old` would change now, counted (a dry run)."""
    now = now or timezone.now()
    return {
        "outbound_erased": outbox_due_for_erasure(now=now).count(),
        "inbound_deleted": inbound_due_for_deletion(now=now).count(),
        "contacts_deleted": contacts_due_for_deletion(now=now).count(),
    }
