"""The outbox: queue a message in the caller's transaction, send it after commit,
retry what failed for a passing reason, and sweep up what is stuck.

Claiming a row is a conditional UPDATE (queued -> sending), so a task that runs twice
sends once. Delivery is at least once, not exactly once: a worker killed after the
provider accepted a message but before the row says so leaves it `sending`; after
STUCK_AFTER the sweep sends it again, and the applicant may get it twice (the Cloud API
takes no idempotency key, and the lost first send left no provider id to compare).
Such a row keeps UNFINISHED_SEND in `last_error`, so the admin shows which messages
may have arrived twice. Killed before the provider accepted, the message arrives once.
"""

import datetime as dt
import logging

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from immigration.bulk import insert_many
from immigration.logging import redact
from immigration.returning import execute_returning
from notifications.backends import get_backend
from notifications.backends.base import OutgoingMessage, PermanentSendError, TransientSendError
from notifications.models import (
    About,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    about_fields,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STUCK_AFTER = dt.timedelta(minutes=10)
# A queued row nobody has picked up for this long had its task lost (broker down).
UNDISPATCHED_AFTER = dt.timedelta(minutes=1)
SESSION_WINDOW = dt.timedelta(hours=24)
UNFINISHED_SEND = "an earlier send did not finish: it may have been delivered twice"

S = MessageStatus


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min ... capped at an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _dispatch(message_id: int, countdown: float | None = None) -> None:
    from notifications.tasks import send_outbound_message

    try:
        # No publish retries: with the broker down the request that booked must not
        # hang; the row is the promise and the sweep sends it once the broker is back.
        send_outbound_message.apply_async((message_id,), countdown=countdown, retry=False)
    except Exception as exc:  # the broker is down: the row waits for the sweep
        logger.warning(
            "outbox #%s not dispatched (%s); the sweep will send it", message_id, type(exc).__name__
        )


def outbox_enqueue(
    *,
    to: str,
    text: str,
    kind: str,
    language: str = "id",
    sender: str = "",
    phone_number_id: str = "",
    image_png: bytes | None = None,
    image_qr: str = "",
    template_name: str = "",
    template_params: list | tuple = (),
    subject: str = "",
    about: About | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage | None:
    """Queue a message in the current transaction; it is sent after commit. Returns
    None when a message with the same `dedupe_key` was queued before. `image_qr`: a
    text the worker draws as a QR code image when it sends the message. `about`: the
    row it belongs to (a booking, a complaint), which decides who may read it."""
    message = OutboundMessage(
        to=to,
        text=text,
        kind=kind,
        language=language,
        sender=sender,
        phone_number_id=phone_number_id or "",
        image_png=image_png,
        image_qr=image_qr,
        template_name=template_name,
        template_params=list(template_params),
        subject=subject,
        dedupe_key=dedupe_key,
        **about_fields(about),
    )
    if dedupe_key is None:
        message.save()  # nothing to collide with: no savepoint round trips
    else:
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            if OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
                return None
            raise
    transaction.on_commit(lambda: _dispatch(message.pk))
    return message


DISPATCH_CHUNK = 100


def _dispatch_many(message_ids: list[int]) -> None:
    from notifications.tasks import send_outbound_messages

    for start in range(0, len(message_ids), DISPATCH_CHUNK):
        chunk = message_ids[start : start + DISPATCH_CHUNK]
        try:
            # argsrepr: Celery would otherwise repr the 100 ids for its logs, per message.
            send_outbound_messages.apply_async(
                (chunk,), retry=False, argsrepr=f"[{chunk[0]}..{chunk[-1]}: {len(chunk)} ids]"
            )
        except Exception as exc:  # the broker is down: the rows wait for the sweep
            logger.warning(
                "outbox: %d messages not dispatched (%s); the sweep will send them",
                len(chunk),
                type(exc).__name__,
            )


def outbox_enqueue_many(messages: list[dict]) -> list[int]:
    """Queue many messages (the fields of `outbox_enqueue`, without dedupe keys) with one
    INSERT in the current transaction (immigration/bulk.py: its text does not grow with
    the rows); after commit they go to the workers in chunks of DISPATCH_CHUNK per task
    message. Returns the rows' ids."""
    rows = []
    for message in messages:
        row = {key: value for key, value in message.items() if key != "about"}
        row["template_params"] = list(message.get("template_params", ()))
        rows.append({**row, **about_fields(message.get("about"))})
    ids = insert_many(OutboundMessage, rows)
    if ids:
        transaction.on_commit(lambda: _dispatch_many(ids))
    return ids


def session_open(phone: str, now: dt.datetime) -> bool:
    """Whether the recipient wrote to us in the last 24 hours (free-form allowed)."""
    return InboundMessage.objects.filter(
        sender=phone, received_at__gte=now - SESSION_WINDOW
    ).exists()


def _image(message: OutboundMessage) -> bytes | None:
    if message.image_png:
        return bytes(message.image_png)
    if message.image_qr:
        from bookings.qr import qr_png  # drawing only; no model of bookings is touched

        return qr_png(message.image_qr)
    return None


# Claims a queued, due message and returns it in one round trip (every notice passes
# here, and the ORM's update() cannot return the row it changed). Whoever claims it
# sends it; anyone else finds it no longer queued.
_CLAIM = """
UPDATE notifications_outboundmessage
SET status = %(sending)s, claimed_at = %(now)s, attempts = attempts + 1
WHERE id = %(id)s AND status = %(queued)s
    AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
"""


def _claim(message_id: int, now: dt.datetime) -> OutboundMessage | None:
    params = {
        "sending": S.SENDING,
        "queued": S.QUEUED,
        "id": message_id,
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    claimed = execute_returning(_CLAIM, params, OutboundMessage)
    return claimed[0] if claimed else None


def outbox_send(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one queued message through the configured backend. Returns what happened:
    "sent", "retry", "failed" or "skipped" (not queued, or not due yet)."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return "skipped"
    outgoing = OutgoingMessage(
        to=message.to,
        text=message.text,
        image_png=_image(message),
        sender=message.sender or None,
        idempotency_key=f"outbox-{message.pk}",
        phone_number_id=message.phone_number_id or None,
        session_open=session_open(message.to, now),
        template_name=message.template_name,
        template_params=tuple(message.template_params),
        language=message.language,
    )
    try:
        result = get_backend().send(outgoing)
    except TransientSendError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _fail(message, f"gave up after {message.attempts} attempts: {exc}", now)
            return "failed"
        delay = backoff(message.attempts)
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=S.QUEUED, next_attempt_at=now + delay, last_error=redact(str(exc))[:300]
        )
        _dispatch(message.pk, countdown=delay.total_seconds())
        return "retry"
    except PermanentSendError as exc:
        _fail(message, str(exc), now)
        return "failed"
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.SENT,
        sent_at=now,
        provider_message_id=result.provider_message_id,
        last_error=UNFINISHED_SEND if message.last_error == UNFINISHED_SEND else "",
    )
    return "sent"


def _fail(message: OutboundMessage, reason: str, now: dt.datetime) -> None:
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=S.FAILED, failed_at=now, last_error=redact(reason)[:300]
    )
    logger.warning("outbox #%s failed: %s", message.pk, redact(reason)[:200])


def outbox_requeue(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The sweep (beat, every minute): release rows stuck in `sending`, and dispatch
    queued rows that are due but were never picked up. Returns rows dispatched."""
    now = now or timezone.now()
    stuck = OutboundMessage.objects.filter(status=S.SENDING, claimed_at__lt=now - STUCK_AFTER)
    # A message that keeps killing its worker is given up on, not retried forever.
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=S.FAILED, failed_at=now, last_error="gave up: the send never finished"
    )
    stuck.update(status=S.QUEUED, next_attempt_at=now, last_error=UNFINISHED_SEND)
    due = (
        OutboundMessage.objects.filter(status=S.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - UNDISPATCHED_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    _dispatch_many(ids)
    return len(ids)


@transaction.atomic
def outbox_retry(*, message: OutboundMessage) -> OutboundMessage:
    """Staff send a failed message again (e.g. after the applicant fixed their number).
    An erased message has no recipient left and stays failed."""
    updated = OutboundMessage.objects.filter(
        pk=message.pk, status=S.FAILED, personal_data_erased_at__isnull=True
    ).update(status=S.QUEUED, attempts=0, next_attempt_at=None, failed_at=None)
    if updated:
        transaction.on_commit(lambda: _dispatch(message.pk))
    message.refresh_from_db()
    return message


_PROGRESS = {S.SENT: 1, S.DELIVERED: 2, S.READ: 3}


def outbox_record_status(
    *,
    provider_message_id: str,
    phone_number_id: str | None,
    status: str,
    at: dt.datetime,
    error: str = "",
) -> bool:
    """A delivery callback (sent, delivered, read, failed), in whatever order they come:
    a message only moves forward, and a late `sent` never undoes `read`.

    Only a callback under the phone-number id that sent the message counts: one signed
    app carries every office's numbers, and a callback under office A's number must not
    mark office B's message delivered or read (nor tell whether its id exists)."""
    if not phone_number_id:
        return False
    message = OutboundMessage.objects.filter(
        provider_message_id=provider_message_id, phone_number_id=phone_number_id
    ).first()
    if message is None or status not in {S.SENT, S.DELIVERED, S.READ, S.FAILED}:
        return False
    fields = {}
    if status == S.FAILED:
        if message.status != S.READ:
            fields = {"status": S.FAILED, "failed_at": at, "last_error": redact(error)[:300]}
    else:
        stamp = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.READ: "read_at"}[status]
        if getattr(message, stamp) is None:
            fields[stamp] = at
        if _PROGRESS.get(message.status, 0) < _PROGRESS[status] and message.status != S.FAILED:
            fields["status"] = status
    if fields:
        OutboundMessage.objects.filter(pk=message.pk).update(**fields)
    return True
