"""The outbox: queue a message in the caller's transaction, send it after commit,
retry what failed for a passing reason, and sweep up what is stuck.

Claiming a row is a conditional UPDATE (queued -> sending), so a task that runs twice
sends once. Delivery is at least once, not exactly once: a worker killed after the
provider accepted a message but before the row says so leaves it `sending`; after
STUCK_AFTER the sweep sends it again, and the applicant may get it twice (the Cloud API
takes no idempotency key, and the lost first send left no provider id to compare).
Such a row keeps UNFINISHED_SEND in `last_error`, so the admin shows which messages
may have arrived twice. Killed before the provider accepted, the message arrives once.
A batch interrupted between sends (the task's soft time limit, an error) writes back
what the provider accepted before the exception goes on (`_interrupted`): only the
message being sent may go twice. A worker killed outright (SIGKILL, out of memory)
writes nothing: every message of its batch the provider accepted may go twice.
"""

import contextlib
import contextvars
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from immigration.bulk import binding_cursor, insert_many, insert_select_sql
from immigration.logging import redact
from immigration.returning import execute_returning
from notifications import pacing
from notifications.backends import get_backend
from notifications.backends.base import OutgoingMessage, PermanentSendError, TransientSendError
from notifications.models import (
    About,
    EarlyStatusCallback,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    Urgency,
    about_fields,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STUCK_AFTER = dt.timedelta(minutes=10)
# A callback that came before its batch wrote its provider id back waits this long;
# a batch never sends for longer (its soft time limit), so an older one is not ours.
EARLY_STATUS_KEPT = dt.timedelta(hours=1)
# A queued row nobody has picked up for this long had its task lost (broker down).
UNDISPATCHED_AFTER = dt.timedelta(minutes=1)
SESSION_WINDOW = dt.timedelta(hours=24)
UNFINISHED_SEND = "an earlier send did not finish: it may have been delivered twice"

S = MessageStatus


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min ... capped at an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


# While set (`outbox_collect`), messages queued are not handed to the workers after
# commit: their ids are gathered here for the caller, who sends them itself.
_collected: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "outbox_collected", default=None
)


@contextlib.contextmanager
def outbox_collect() -> Iterator[list[int]]:
    """Within the block, a message queued (and committed) is not published as a task of
    its own: its id is added to the list this yields, and the caller sends it with
    `outbox_send_collected`. The inbox's drain does so (notifications/inbound.py): the
    replies of a burst go out from the task that answered them, one batch for many
    messages instead of a task hop each. A message whose send is deferred (a limit)
    waits for `outbox_wake_due` as usual; one the caller never sends (it died)
    is picked up by the sweep after UNDISPATCHED_AFTER."""
    ids: list[int] = []
    token = _collected.set(ids)
    try:
        yield ids
    finally:
        _collected.reset(token)


def outbox_dispatch(ids: list[int]) -> None:
    """Hand committed messages `outbox_collect` gathered to the workers, DISPATCH_CHUNK
    per task message: for a caller that queues many in one transaction (the draw books
    a hundred winners per commit) and does not send them itself."""
    if ids:
        _dispatch_many(ids)


def outbox_send_collected(ids: list[int], *, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the messages `outbox_collect` gathered, OUTBOX_BATCH_SIZE per claim, through
    the one batch sender (its pacing, 24-hour window and tiers). Returns a count per
    outcome."""
    counts: dict[str, int] = {}
    size = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(ids), size):
        for outcome in outbox_send_batch(now=now, only=ids[start : start + size]).values():
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# "A sender task is queued": set by whoever publishes one (`_wake_sender`), cleared by
# the task as it starts. Every notice committed while it is set rides on that task, so
# a burst of bookings publishes one task, not one per booking (the publish was a
# booking's largest cost after the service, and a task per notice the worker's). It
# expires on its own, so a flag whose task was lost stops nothing for long.
SEND_FLAG = "outbox:drain-queued"
SEND_FLAG_SECONDS = 10
# A drain task hands what is left to a fresh task after this long (below the soft time
# limit, and so that other tasks get their turn on the worker).
DRAIN_SECONDS = 20.0
# Redis just answered the flag: one immediate retry only renews a pooled connection
# that a restart of Redis left stale.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def _wake_sender(*, force: bool = False, gather: bool = True) -> bool:
    """Make sure a sender task (`drain_outbox`) starts after this instant and claims
    every notice due by then: publish one, OUTBOX_GATHER_SECONDS ahead (`gather`) so
    that the notices of a burst go in one claim, unless the flag says one is queued and
    not yet started (`force`: publish anyway). One Redis round trip when a task is
    already on its way. Fails quietly with Redis down: the rows are the promise and
    the sweep (`outbox_requeue`) dispatches them. Returns whether a task was
    published."""
    from notifications.tasks import drain_outbox

    try:
        if not cache.add(SEND_FLAG, 1, timeout=SEND_FLAG_SECONDS) and not force:
            return False
    except Exception as exc:  # Redis is down: the rows wait for the sweep
        logger.warning("outbox: sender not woken (%s); the sweep will send", type(exc).__name__)
        return False
    try:
        # The gather is waited out by the task itself, not as a countdown: a message
        # with an ETA is held unacknowledged by the worker, and kombu's restore of it
        # when Redis goes away killed the worker (the Redis-down drill).
        drain_outbox.apply_async(
            kwargs={"gather": settings.OUTBOX_GATHER_SECONDS if gather else 0.0},
            retry=True,
            retry_policy=_PUBLISH_RETRY,
        )
        return True
    except Exception as exc:  # the broker is down: the rows wait for the sweep
        logger.warning("outbox: sender not woken (%s); the sweep will send", type(exc).__name__)
        with contextlib.suppress(Exception):
            cache.delete(SEND_FLAG)  # so that the next notice tries again
        return False


def _sender_started() -> None:
    """Clear the flag before the first claim: a notice committed from now on, which
    this task's claims may miss, publishes a task of its own."""
    try:
        cache.delete(SEND_FLAG)
    except Exception as exc:  # Redis is down: the flag expires on its own
        logger.warning("outbox: sender flag not cleared (%s)", type(exc).__name__)


def _dispatch(message_id: int) -> None:
    """After commit of a queued row: the caller's batch (`outbox_collect`) or the
    sender (the id itself travels nowhere: the sender claims what is due)."""
    collected = _collected.get()
    if collected is not None:
        collected.append(message_id)
        return
    _wake_sender()


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
    urgency: int = Urgency.URGENT,
    dedupe_key: str | None = None,
) -> OutboundMessage | None:
    """Queue a message in the current transaction; it is sent after commit. Returns
    None when a message with the same `dedupe_key` was queued before. `image_qr`: a
    text the worker draws as a QR code image when it sends the message. `about`: the
    row it belongs to (a booking, a complaint), which decides who may read it.
    `urgency`: what goes first when WhatsApp's limits cannot take everything (a
    reminder is Urgency.ROUTINE). `subject`: a label for operators, read by no code."""
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
        urgency=urgency,
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


def outbox_dispatch_on_commit(message_ids: list[int]) -> None:
    """Hand messages queued by the database itself (a row inserted by SQL, e.g.
    bookings/sql/booking_place.sql) to the workers once this transaction commits,
    as `outbox_enqueue` does for its own rows."""
    if message_ids:
        transaction.on_commit(lambda: _dispatch_many(list(message_ids)))


DISPATCH_CHUNK = 100


def _dispatch_many(message_ids: list[int]) -> None:
    """Hand rows that are due now to the workers: the caller's batch (`outbox_collect`)
    or the sender (`_wake_sender`), whatever their number. Rows a limit held back
    (spacing, pace, tier, back-off) are not handed to Celery with a countdown: a task
    with an ETA is held unacknowledged by the worker, and kombu's restore of it when
    Redis restarts kills the worker (immigration/tests/test_review_s12_drill.py). They
    wait in the table, and `outbox_wake_due` (beat, every few seconds) wakes the sender
    once one is due."""
    collected = _collected.get()
    if collected is not None and message_ids:
        collected.extend(message_ids)
    else:
        _wake_sender(force=not message_ids)


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


def outbox_enqueue_select(attnames: list[str], select: str, params: list) -> list[int]:
    """Queue the messages a query gives, with one `INSERT ... SELECT` in the current
    transaction and no row in Python (immigration/bulk.py, `insert_select_sql`): the
    no-show sweep's notices, filled in from their bookings by PostgreSQL. `select`'s
    columns are the OutboundMessage fields `attnames` (`about_kind` and `about_id` for
    what a message is about); every other field takes its default, as in
    `outbox_enqueue_many`, and the rows go to the workers after commit in the same
    chunks. `params` are `select`'s (`%b` placeholders). Returns the rows' ids."""
    sql, defaults = insert_select_sql(OutboundMessage, attnames, select)
    with binding_cursor() as cursor:
        cursor.execute(f"{sql} RETURNING id", [*defaults, *params])
        ids = [pk for (pk,) in cursor.fetchall()]
    if ids:
        transaction.on_commit(lambda: _dispatch_many(ids))
    return ids


def session_open(phone: str, now: dt.datetime) -> bool:
    """Whether the recipient wrote to us in the last 24 hours (free-form allowed)."""
    return InboundMessage.objects.filter(
        sender=phone, received_at__gte=now - SESSION_WINDOW
    ).exists()


# What draws a QR code from a message's `image_qr` text: registered by the app that
# owns the code's format (bookings.apps.ready), so this app imports none above it.
_qr_drawer: Callable[[str], bytes] | None = None


def outbox_register_qr_drawer(drawer: Callable[[str], bytes]) -> None:
    """Set the function that draws `OutboundMessage.image_qr` as a PNG (at start-up)."""
    global _qr_drawer
    _qr_drawer = drawer


def _image(message: OutboundMessage) -> bytes | None:
    if message.image_png:
        return bytes(message.image_png)
    if message.image_qr:
        if _qr_drawer is None:
            raise PermanentSendError("no QR drawer registered (outbox_register_qr_drawer)")
        return _qr_drawer(message.image_qr)
    return None


# Claims a batch of queued, due messages and returns them in one round trip, the most
# urgent first. Whoever claims a row sends it; anyone else finds it no longer queued.
# Two claimers skip each other's rows (SKIP LOCKED) and take disjoint batches; the ids
# are gathered first (ARRAY(...), an InitPlan run once) as the no-show sweep does
# (bench/README.md).
_CLAIM = """
UPDATE notifications_outboundmessage
SET status = %(sending)s, claimed_at = %(now)s, attempts = attempts + 1
WHERE status = %(queued)s AND id = ANY(ARRAY(
    SELECT id FROM notifications_outboundmessage
    WHERE status = %(queued)s AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
    {only}
    ORDER BY urgency, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED))
"""


def _claim_batch(now: dt.datetime, limit: int, only: list[int] | None) -> list[OutboundMessage]:
    params = {
        "sending": S.SENDING,
        "queued": S.QUEUED,
        "now": connection.ops.adapt_datetimefield_value(now),
        "limit": limit,
    }
    only_sql = ""
    if only is not None:
        params.update({f"id{i}": pk for i, pk in enumerate(only)})
        only_sql = "AND id IN (" + ", ".join(f"%(id{i})s" for i in range(len(only))) + ")"
    sql = _CLAIM.format(only=only_sql)
    claimed = execute_returning(sql, params, OutboundMessage)
    claimed.sort(key=lambda message: (message.urgency, message.pk))
    return claimed


# Every claimed row's outcome in one statement: each column travels as one array
# (as immigration/bulk.py does for INSERTs). Django's bulk_update builds a CASE per
# column and row, and resolving those expressions cost more than sending the batch.
_WRITE_BACK = """
UPDATE notifications_outboundmessage AS m
SET status = u.status, attempts = u.attempts, next_attempt_at = u.next_attempt_at,
    last_error = u.last_error, sent_at = u.sent_at, failed_at = u.failed_at,
    provider_message_id = u.provider_message_id, business_initiated = u.business_initiated
FROM unnest(%s::bigint[], %s::varchar[], %s::integer[], %s::timestamptz[], %s::varchar[],
    %s::timestamptz[], %s::timestamptz[], %s::varchar[], %s::boolean[])
    AS u(id, status, attempts, next_attempt_at, last_error, sent_at, failed_at,
         provider_message_id, business_initiated)
WHERE m.id = u.id
"""
_WRITTEN_BACK = [
    "id",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
    "failed_at",
    "provider_message_id",
    "business_initiated",
]


def _write_back(batch: list[OutboundMessage]) -> None:
    """Every outcome of the batch in one statement, then the delivery callbacks that
    came before it (`EarlyStatusCallback`): one indexed SELECT, empty unless WhatsApp
    called back about a message while its batch was still sending."""
    columns = [[getattr(m, name) for m in batch] for name in _WRITTEN_BACK]
    with connection.cursor() as cursor:
        cursor.execute(_WRITE_BACK, columns)
    _apply_early_callbacks([m.provider_message_id for m in batch if m.provider_message_id])


def _apply_early_callbacks(provider_ids: list[str]) -> None:
    """Apply (and delete) the callbacks kept for these provider ids. Applying twice is
    harmless (a state only moves forward), which is what makes the hand-over safe
    without a lock: see `outbox_record_status`."""
    if not provider_ids:
        return
    early = list(EarlyStatusCallback.objects.filter(provider_message_id__in=provider_ids))
    for callback in early:
        _record_status(
            provider_message_id=callback.provider_message_id,
            phone_number_id=callback.phone_number_id,
            status=callback.status,
            at=callback.at,
            error=callback.error,
        )
    if early:
        EarlyStatusCallback.objects.filter(pk__in=[c.pk for c in early]).delete()


def _defer(message: OutboundMessage, until: dt.datetime) -> None:
    """Back to the queue until `until`, the claim's attempt not counted: a limit held
    it back, the provider never saw it."""
    message.status = S.QUEUED
    message.attempts -= 1
    message.next_attempt_at = until


def _plan(batch: list[OutboundMessage], now: dt.datetime) -> tuple[list, set[str]]:
    """Which messages of the batch go now (WhatsApp's limits, notifications/pacing.py);
    the others are deferred in place. Two statements whatever the batch's size: what
    the limits need to know (`pacing.batch_facts`) and the pace of every number
    (`pacing.pace_take`). Returns (those that go, open sessions)."""
    facts = pacing.batch_facts(
        ((message.sender, message.to) for message in batch), now=now, session=SESSION_WINDOW
    )
    sessions = facts.open_sessions
    spacing = dt.timedelta(seconds=settings.WHATSAPP_SAME_USER_SECONDS)
    next_free = {phone: at + spacing for phone, at in facts.last_sent.items()}
    spaced = []
    for message in batch:  # most urgent first: they take the first turn of each phone
        free = next_free.get(message.to, now)
        if free > now:
            _defer(message, free)
        else:
            spaced.append(message)
        next_free[message.to] = max(free, now) + spacing

    by_number: dict[str, list[OutboundMessage]] = {}
    for message in spaced:
        by_number.setdefault(message.sender, []).append(message)
    closed = {m.sender for m in spaced if m.to not in sessions}
    within: dict[str, list[OutboundMessage]] = {}
    for number, messages in by_number.items():
        within[number] = (
            _within_tier(number, messages, sessions, facts, now) if number in closed else messages
        )
    wanted = {number: len(messages) for number, messages in within.items() if messages}
    granted, interval = pacing.pace_take(wanted=wanted, now=now) if wanted else ({}, 0.0)
    going = []
    for number, messages in within.items():
        allowed = granted.get(number, 0)
        going.extend(messages[:allowed])
        for position, message in enumerate(messages[allowed:], start=1):
            _defer(message, now + dt.timedelta(seconds=position * interval))
    going.sort(key=lambda message: (message.urgency, message.pk))
    return going, sessions


def _within_tier(
    number: str, messages: list, sessions: set[str], facts: pacing.BatchFacts, now: dt.datetime
) -> list[OutboundMessage]:
    """The messages the number's daily tier lets go; the others wait (TIER_RETRY)."""
    used, limit = facts.used[number], facts.limits[number]
    counted = set(facts.counted.get(number, ()))
    within = []
    for message in messages:
        if message.to in sessions or message.to in counted:
            within.append(message)
        elif used < pacing.tier_allowance(limit, message.urgency):
            used += 1
            counted.add(message.to)
            within.append(message)
        else:
            _defer(message, now + pacing.TIER_RETRY)
    return within


def _send_one(message: OutboundMessage, session: bool, now: dt.datetime) -> str:
    """Send one claimed message; its outcome is written on the instance (the batch
    writes every row back in one statement)."""
    try:
        outgoing = OutgoingMessage(
            to=message.to,
            text=message.text,
            image_png=_image(message),
            sender=message.sender or None,
            idempotency_key=f"outbox-{message.pk}",
            phone_number_id=message.phone_number_id or None,
            session_open=session,
            template_name=message.template_name,
            template_params=tuple(message.template_params),
            language=message.language,
        )
        result = get_backend().send(outgoing)
    except TransientSendError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _fail(message, f"gave up after {message.attempts} attempts: {exc}", now)
            return "failed"
        message.status = S.QUEUED
        message.next_attempt_at = now + backoff(message.attempts)
        message.last_error = redact(str(exc))[:300]
        return "retry"
    except PermanentSendError as exc:
        _fail(message, str(exc), now)
        return "failed"
    message.status = S.SENT
    message.sent_at = now
    message.provider_message_id = result.provider_message_id
    message.business_initiated = not session
    message.last_error = UNFINISHED_SEND if message.last_error == UNFINISHED_SEND else ""
    return "sent"


def _fail(message: OutboundMessage, reason: str, now: dt.datetime) -> None:
    message.status = S.FAILED
    message.failed_at = now
    message.last_error = redact(reason)[:300]
    logger.warning("outbox #%s failed: %s", message.pk, redact(reason)[:200])


def _interrupted(batch: list[OutboundMessage], untried: list[OutboundMessage], now) -> None:
    """A batch stopped between two sends (the task's soft time limit, reached when the
    provider is slow; an unexpected error drawing one message): write back what is
    known before the exception goes on. What the provider accepted is recorded as
    sent, never sent again; the messages not tried go back to the queue, their attempt
    uncounted; only the one being sent stays `sending` (the sweep's UNFINISHED_SEND
    case, at most one message per batch, as the module docstring says)."""
    for message in untried:
        _defer(message, now)
    try:
        _write_back(batch)
    except Exception as exc:  # the database is gone too: the sweep sends them again
        logger.warning("outbox: interrupted batch not written back (%s)", type(exc).__name__)


def outbox_send_batch(
    *, now: dt.datetime | None = None, only: list[int] | None = None, limit: int | None = None
) -> dict[int, str]:
    """Claim up to `limit` (OUTBOX_BATCH_SIZE) queued, due messages, the most urgent
    first (only those in `only` when given), and send them. Five statements for the
    batch whatever its size: the claim (`UPDATE ... RETURNING`, SKIP LOCKED), what
    WhatsApp's limits need to know (the 24-hour window of every recipient among it),
    the pace of its numbers (`_plan`), the write-back of every outcome
    (`_WRITE_BACK`) and the callbacks that came before it; a number's first batch adds
    its SenderNumber row. Autocommit: the claim commits before anything is sent, so no
    lock is held while the provider answers. Returns
    each claimed id's outcome: "sent", "retry", "failed" or "deferred" (a limit held
    it back; `outbox_wake_due` wakes a sender when it may go)."""
    now = now or timezone.now()
    batch = _claim_batch(now, limit or settings.OUTBOX_BATCH_SIZE, only)
    if not batch:
        return {}
    going, sessions = _plan(batch, now)
    outcomes = {message.pk: "deferred" for message in batch}
    tried = 0
    try:
        for message in going:
            outcomes[message.pk] = _send_one(message, message.to in sessions, now)
            tried += 1
    except BaseException:
        _interrupted(batch, going[tried + 1 :], now)
        raise
    _write_back(batch)
    # Held back ("deferred", "retry"): they stay queued with their next_attempt_at, and
    # `outbox_wake_due` wakes a sender when the first is due.
    return outcomes


def outbox_send(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one queued message (through the batch path, a batch of one). Returns what
    happened: "sent", "retry", "failed", "deferred" or "skipped" (not queued, or not
    due yet)."""
    return outbox_send_batch(now=now, only=[message_id]).get(message_id, "skipped")


def outbox_drain(
    *,
    first: list[int] | None = None,
    now: dt.datetime | None = None,
    seconds: float = DRAIN_SECONDS,
) -> dict[str, int]:
    """What a sender task does: send `first` (its own ids, if any), then every other
    due message, batch after batch, until a claim takes less than a full batch (it
    took every row due and not being sent by another claimer; a row queued later wakes
    a sender of its own), or, after `seconds`, hands the rest to a fresh task (so no
    task outlives its time limit and other tasks get their turn). Two drains at once
    take disjoint batches (SKIP LOCKED): the first full batch (a backlog: a sweep's
    notices, a draw's results) wakes one more sender, so every worker process can
    help, one queued sender at a time (the flag). Returns a count per outcome."""
    deadline = time.monotonic() + seconds
    size = settings.OUTBOX_BATCH_SIZE
    counts: dict[str, int] = {}
    only = first or None
    helped = False
    while True:
        outcomes = outbox_send_batch(now=now, only=only, limit=size)
        for outcome in outcomes.values():
            counts[outcome] = counts.get(outcome, 0) + 1
        if only is not None:
            only = None
        elif len(outcomes) < size:
            return counts
        elif not helped:
            helped = True
            _wake_sender(gather=False)
        if time.monotonic() > deadline:
            _wake_sender(force=True)
            return counts


def outbox_drain_task(*, gather: float = 0.0) -> dict[str, int]:
    """The sender task woken by `_wake_sender` (`drain_outbox`): waits `gather` seconds
    with the flag still set (the notices of a burst committed meanwhile ride on this
    task and go in one claim), clears the flag, then drains (`outbox_drain`)."""
    if gather > 0:
        time.sleep(min(gather, 1.0))
    _sender_started()
    return outbox_drain()


def outbox_requeue(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The sweep (beat, every minute): release rows stuck in `sending`, and dispatch
    queued rows that are due but were never picked up (Redis or the worker was down,
    or a sender task was lost: its flag expires after SEND_FLAG_SECONDS, so the next
    sweep wakes a sender). Returns rows dispatched."""
    now = now or timezone.now()
    stuck = OutboundMessage.objects.filter(status=S.SENDING, claimed_at__lt=now - STUCK_AFTER)
    # A message that keeps killing its worker is given up on, not retried forever.
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=S.FAILED, failed_at=now, last_error="gave up: the send never finished"
    )
    stuck.update(status=S.QUEUED, next_attempt_at=now, last_error=UNFINISHED_SEND)
    EarlyStatusCallback.objects.filter(received_at__lt=now - EARLY_STATUS_KEPT).delete()
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


def outbox_wake_due(*, now: dt.datetime | None = None) -> bool:
    """Wake a sender when a row a limit held back (the one-user spacing, the number's
    pace, the tier, a retry's back-off) has become due (beat, every
    OUTBOX_WAKE_DUE_SECONDS). One indexed EXISTS, no lock; the sender claims the rows
    itself (SKIP LOCKED), so a wake-up that finds another sender at work is harmless.
    Returns whether a due row was found."""
    now = now or timezone.now()
    due = OutboundMessage.objects.filter(status=S.QUEUED, next_attempt_at__lte=now).exists()
    if due:
        _wake_sender(gather=False)
    return due


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


# A message's states in the order WhatsApp reports them; `failed` may follow any but
# `read` (a read message was delivered, whatever comes after).
_ORDER = [S.QUEUED, S.SENDING, S.SENT, S.DELIVERED, S.READ]
_STAMP = {S.SENT: "sent_at", S.DELIVERED: "delivered_at", S.READ: "read_at"}


def outbox_record_status(
    *,
    provider_message_id: str,
    phone_number_id: str | None,
    status: str,
    at: dt.datetime,
    error: str = "",
) -> bool:
    """A delivery callback (sent, delivered, read, failed), in whatever order and as
    many times as they come: a message's state only moves forward, a late `sent` never
    undoes `read`, a repeat changes nothing, and each time stamp keeps its first value.
    One conditional UPDATE, so two callbacks applied at once (two webhook deliveries)
    cannot interleave a read and a write: no lock to hold. Returns whether the message
    was found.

    Only a callback under the phone-number id that sent the message counts: one signed
    app carries every office's numbers, and a callback under office A's number must not
    mark office B's message delivered or read (nor tell whether its id exists).

    A callback for a message whose batch has not yet written its provider id back
    (WhatsApp may answer about a batch's first message before its last is sent) is
    kept (`EarlyStatusCallback`) and applied by the write-back. The hand-over needs no
    lock: kept, then tried once more, while the write-back writes, then reads what is
    kept; under READ COMMITTED one of the two sees the other, and applying twice is
    harmless. That needs each statement committed at once: call it outside a
    transaction (the webhook does)."""
    if not phone_number_id or status not in {S.SENT, S.DELIVERED, S.READ, S.FAILED}:
        return False
    fields = {
        "provider_message_id": provider_message_id,
        "phone_number_id": phone_number_id,
        "status": status,
        "at": at,
        "error": redact(error)[:300],
    }
    if _record_status(**fields):
        return True
    early = EarlyStatusCallback.objects.create(**fields, received_at=timezone.now())
    if _record_status(**fields):  # the write-back came in between
        early.delete()
        return True
    return False


def _record_status(
    *,
    provider_message_id: str,
    phone_number_id: str | None,
    status: str,
    at: dt.datetime,
    error: str = "",
) -> bool:
    """Apply one callback: one conditional UPDATE (see `outbox_record_status`)."""
    message = OutboundMessage.objects.filter(
        provider_message_id=provider_message_id, phone_number_id=phone_number_id
    )
    if status == S.FAILED:
        not_read = ~Q(status=S.READ)
        fields = {
            "status": Case(When(not_read, then=Value(S.FAILED)), default=F("status")),
            "failed_at": Case(When(not_read, then=Value(at)), default=F("failed_at")),
            "last_error": Case(When(not_read, then=Value(error)), default=F("last_error")),
        }
    else:
        behind = _ORDER[: _ORDER.index(status)]
        fields = {
            "status": Case(When(status__in=behind, then=Value(status)), default=F("status")),
            _STAMP[status]: Coalesce(F(_STAMP[status]), Value(at)),
        }
    return message.update(**fields) > 0
