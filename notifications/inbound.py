"""Inbound WhatsApp messages, from the Cloud API webhook or a REST gateway: one path.

It answers a provider's repeated delivery with the earlier result, limits each sender,
remembers the sender's language, hands the text to the handler named in
WHATSAPP_INBOUND_HANDLER (the booking conversation; notifications imports no app
above it), stores what was answered, and queues the reply in the outbox, all in one
transaction (`_answer`).

Two ways in. The REST gateway returns the reply in its response, so it is answered
synchronously (`receive_inbound`). The Cloud API webhook only needs a 200, and the
provider retries a slow one: it is a durable inbox. `inbox_store` writes the signed
delivery's messages in one INSERT (ON CONFLICT on the provider's message id DO
NOTHING: a redelivery adds nothing) and the webhook answers once that commits; a
Celery task processes them (`inbox_process`), and the beat's `inbox_requeue` picks up
whatever the task never reached (Redis or the worker down). A row acknowledged is the
promise: it is processed once, by whoever first takes its row lock (see
`_process_one`), however many workers and redeliveries there are.
"""

import contextlib
import contextvars
import dataclasses
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from immigration import ratelimit
from immigration.errors import ConflictError
from immigration.logging import redact
from immigration.returning import execute_returning
from notifications.models import (
    About,
    InboundMessage,
    InboundState,
    WhatsAppContact,
    about_fields,
)
from notifications.services import outbox_collect, outbox_enqueue, outbox_send_collected

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


# What handlers may keep between the messages of one inbox chunk (or within one
# message): things that do not change from one message to the next, such as the
# office a phone-number id belongs to. Read with `handler_memo()`.
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("inbound_memo", default=None)


def handler_memo() -> dict:
    """A dict that lives as long as the inbox chunk (or the single message) being
    answered: a handler keys what it looked up once, e.g. ("office", phone_number_id),
    instead of reading it again for every message. Outside any, a fresh dict."""
    memo = _memo.get()
    return memo if memo is not None else {}


@contextlib.contextmanager
def _memo_scope() -> Iterator[dict]:
    memo = _memo.get()
    if memo is not None:
        yield memo
        return
    memo = {}
    token = _memo.set(memo)
    try:
        yield memo
    finally:
        _memo.reset(token)


_DEFAULT_LANGUAGE = WhatsAppContact._meta.get_field("language").default


def _languages(senders: list[str]) -> dict[str, str]:
    """The languages the senders' contact rows hold (numbers without a row are
    absent): one indexed read for a whole chunk."""
    rows = WhatsAppContact.objects.filter(phone__in=sorted(set(senders)))
    return dict(rows.values_list("phone", "language"))


def _language(sender: str, known: dict[str, str] | None) -> tuple[str, bool]:
    """(the language the sender's contact row holds or the default, whether the number
    is known). `known`: the chunk's contact rows read at once (`_languages`), else one
    indexed read. A contact row is written for a number's first message and when its
    language changes, not per message."""
    if known is None:
        known = _languages([sender])
    if sender in known:
        return known[sender], True
    return _DEFAULT_LANGUAGE, False


_REMEMBER = """
INSERT INTO {table} (phone, language, updated_at) VALUES (%s, %s, %s)
ON CONFLICT (phone) DO UPDATE SET language = EXCLUDED.language, updated_at = EXCLUDED.updated_at
"""


def _remember_language(sender: str, language: str) -> None:
    """One statement (INSERT ... ON CONFLICT (phone) DO UPDATE): the number's first
    message and a change of language are the same write. Written out: the ORM's
    `bulk_create(update_conflicts=...)` cost more Python than the database's work."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _REMEMBER.format(table=connection.ops.quote_name(WhatsAppContact._meta.db_table)),
            [sender, language, now],
        )


_LOGGED = """
UPDATE {table} SET state = %s, claimed_at = NULL, last_error = '', reply = %s, result = %s::jsonb,
    office_code = %s, text = %s, about_kind = %s, about_id = %s
WHERE id = %s
"""


def _log_answer(record: InboundMessage, state: str | None) -> None:
    """Store what was answered on the message's row, in one UPDATE (and, for the
    inbox, `state`: done). Written out, as `_remember_language`."""
    if state is None:
        record.save(
            update_fields=["reply", "result", "office_code", "text", "about_kind", "about_id"]
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _LOGGED.format(table=connection.ops.quote_name(InboundMessage._meta.db_table)),
            [
                state,
                record.reply,
                json.dumps(record.result),
                record.office_code,
                record.text,
                record.about_kind,
                record.about_id,
                record.pk,
            ],
        )


def _answer(
    message: Inbound,
    record: InboundMessage,
    now: dt.datetime,
    languages: dict[str, str] | None = None,
    state: str | None = None,
) -> InboundResult:
    """`languages`: the chunk's known senders (`_languages`), updated here when a
    sender's language is written (the caller drops the entry if the transaction
    rolls back). `state`: the inbox row's state to write with the answer (done)."""
    language, known = _language(message.sender, languages)
    over = _over_limit(message.sender)
    if over:
        reply = HandlerReply()
        if over == 1:
            with translation.override(language):
                reply.text = _(
                    "You have sent many messages. Please wait a few minutes and try again."
                )
        reply.result = {"rate_limited": True}
        # Not read, so not known to be harmless to keep (it may be a report).
        reply.logged_text = ""
    else:
        handler = import_string(settings.WHATSAPP_INBOUND_HANDLER)
        with translation.override(language), _memo_scope():
            # A number new to us has no language yet (None): the handler may read one
            # from the words of its first message.
            reply = handler(message=message, language=language if known else None, now=now)
        chosen = reply.language or language
        if not known or chosen != language:
            _remember_language(message.sender, chosen)
            if languages is not None:
                languages[message.sender] = chosen
    record.reply = reply.full_text
    record.result = reply.result
    record.office_code = reply.office_code
    if reply.logged_text is not None:
        record.text = reply.logged_text
    for name, value in about_fields(reply.about).items():
        setattr(record, name, value)
    _log_answer(record, state)
    if reply.text:
        outbox_enqueue(
            to=message.sender,
            text=reply.text,
            kind="reply",
            language=reply.language or language,
            sender=reply.sender_number,
            phone_number_id=reply.phone_number_id,
            subject=f"inbound:{record.pk}",
            about=reply.about,
        )
    return InboundResult(record.reply, record.result)


# --- The durable inbox of the Cloud API webhook --------------------------------------

# A message whose processing failed (or killed its worker) this many times is parked.
INBOX_MAX_ATTEMPTS = 5
# A claim older than this was lost (its worker died): the message may be taken again.
# Longer than a task may run (CELERY_TASK_TIME_LIMIT, 60 s).
INBOX_LEASE = dt.timedelta(minutes=2)
# A pending message nobody claimed for this long had its task lost (broker down).
INBOX_UNDISPATCHED_AFTER = dt.timedelta(seconds=30)
INBOX_CHUNK = 50

_STORE_COLUMNS = (
    "provider_message_id",
    "sender",
    "text",
    "received_at",
    "phone_number_id",
    "state",
    "attempts",
    "last_error",
    "office_code",
    "reply",
    "result",
    "about_kind",
    "created_at",
)


def inbox_store(messages: list[Inbound], *, now: dt.datetime | None = None) -> list[int]:
    """Keep the messages of one signed delivery, pending, in one INSERT (its own
    transaction, or the caller's); ids of the rows that are new. A message id seen
    before (a redelivery, or the id under another sender, whose earlier answer must
    never reach this one) adds nothing. The worker is told after commit; if Redis is
    down, the rows wait for `inbox_requeue`. Takes no lock beyond the unique index's."""
    if not messages:
        return []
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    rows, params = [], []
    for message in messages:
        rows.append("(" + ", ".join(["%s"] * len(_STORE_COLUMNS)) + ")")
        params += [
            message.provider_message_id,
            message.sender,
            # Whole (the body is at most 1 MB): the handler judges a text too long,
            # and the log keeps 4,096 characters of it once processed.
            clean_text(message.text or ""),
            adapt(message.received_at),
            message.phone_number_id or "",
            InboundState.PENDING,
            0,
            "",
            "",
            "",
            "{}",
            "",
            adapt(now),
        ]
    # Our table and columns, and placeholders: every value goes as a parameter.
    table, columns = InboundMessage._meta.db_table, ", ".join(_STORE_COLUMNS)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(rows)} "  # noqa: S608 (names ours)
        "ON CONFLICT (provider_message_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        transaction.on_commit(lambda: _dispatch(ids))
    return ids


# "A drain task is queued": set by whoever publishes one, cleared by the task as it
# starts. A burst of deliveries publishes one task, not one per delivery (the publish
# was the webhook's largest cost after Django). It expires on its own, so a flag left
# by a lost task (the worker died before starting it) stops nothing for long.
DRAIN_FLAG = "inbox:drain-queued"
DRAIN_FLAG_SECONDS = 10
# A drain task hands what is left to a fresh task after this long (below the soft
# time limit, and so that other tasks get their turn on the worker).
DRAIN_SECONDS = 20.0
# After a chunk that was not full, the drain waits this long before its next claim, so
# that a burst's deliveries gather into chunks: each chunk pays a claim, the senders'
# languages, the office's lookups and one send batch (with its sender-number locks)
# once for all its messages. In-process, chunks of 2 cost 32.6 CPU ms per booking
# line, chunks of 50 16.2 (bench/README.md). A lone message is answered at once (the
# first claim does not wait); the drain ends one wait after its last message.
INBOX_GATHER_SECONDS = 0.2


_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def _wake_drainer(force: bool = False) -> bool:
    """Make sure a drain task will start after this instant: publish one unless the
    flag says one is queued and not yet started (`force`: publish anyway, the sweep's
    way). Fails quietly with Redis down: the rows are the promise and the sweep
    dispatches them later. Returns whether a task was published."""
    from notifications.tasks import drain_inbox

    ours = False
    try:
        ours = cache.add(DRAIN_FLAG, 1, timeout=DRAIN_FLAG_SECONDS)
        if not ours and not force:
            return False
        # Redis just answered the flag: one immediate retry only renews a pooled
        # connection that a restart of Redis left stale (the webhook still answers at
        # once when Redis is down: the flag failed first).
        drain_inbox.apply_async(retry=True, retry_policy=_PUBLISH_RETRY)
        return True
    except Exception as exc:  # Redis is down: the rows wait for the sweep
        logger.warning(
            "inbox: drain task not published (%s); the sweep will process the messages",
            type(exc).__name__,
        )
        if ours:  # no task behind our flag: the next delivery must try again
            with contextlib.suppress(Exception):
                cache.delete(DRAIN_FLAG)
        return False


def _dispatch(ids: list[int]) -> None:
    """After commit of new inbox rows: wake the drainer (the ids themselves are not
    sent; the drain claims the oldest pending rows)."""
    if ids:
        _wake_drainer()


def _drain_started() -> None:
    """Clear the flag before the first claim: a row stored from now on, after this
    task's claims may have missed it, publishes a task of its own."""
    try:
        cache.delete(DRAIN_FLAG)
    except Exception as exc:  # Redis is down: the flag expires on its own
        logger.warning("inbox: drain flag not cleared (%s)", type(exc).__name__)


def inbox_drain(
    *, now: dt.datetime | None = None, seconds: float = DRAIN_SECONDS
) -> dict[str, int]:
    """What the drain task does: chunk after chunk of the oldest pending messages
    (`inbox_process`: each answered and its replies sent) until none is left, or,
    after `seconds`, hands the rest to a fresh task. After a chunk that was not full it
    waits INBOX_GATHER_SECONDS, so that the next chunk gathers what arrives meanwhile.
    Two drains at once take disjoint chunks (SKIP LOCKED). Returns a count per
    outcome."""
    _drain_started()
    deadline = time.monotonic() + seconds
    outcomes: dict[str, int] = {}
    while True:
        done = inbox_process(now=now, until=deadline)
        for outcome, count in done.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
        if not done:
            return outcomes
        if time.monotonic() > deadline:
            _wake_drainer(force=True)
            return outcomes
        if sum(done.values()) < INBOX_CHUNK:
            time.sleep(INBOX_GATHER_SECONDS)


_CLAIM = """
UPDATE {table} SET attempts = attempts + 1, claimed_at = %s
WHERE id IN (
    SELECT id FROM {table}
    WHERE state = %s AND attempts < %s AND (claimed_at IS NULL OR claimed_at < %s){ids}
    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
"""


def _claim(ids: list[int] | None, now: dt.datetime, limit: int) -> list[InboundMessage]:
    """Take pending messages (those in `ids`, or the oldest), skipping rows another
    worker is processing this instant (SKIP LOCKED) and claims younger than the lease.
    The claim counts an attempt, committed before any processing: a message that kills
    its worker still reaches INBOX_MAX_ATTEMPTS and is parked."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list = [adapt(now), InboundState.PENDING, INBOX_MAX_ATTEMPTS, adapt(now - INBOX_LEASE)]
    only = ""
    if ids is not None:
        if not ids:
            return []
        only = f" AND id IN ({', '.join(['%s'] * len(ids))})"
        params += list(ids)
    params.append(limit)
    sql = _CLAIM.format(table=InboundMessage._meta.db_table, ids=only)
    with transaction.atomic():
        return execute_returning(sql, params, InboundMessage)


def inbox_process(
    ids: list[int] | None = None,
    *,
    now: dt.datetime | None = None,
    limit: int = INBOX_CHUNK,
    until: float | None = None,
) -> dict[str, int]:
    """Process pending messages (`ids`, or the oldest `limit`), each in its own
    transaction, then send their replies from here: the outbox rows stay the record,
    and go through the outbox's one batch sender with its limits (`outbox_collect`),
    not a task each. The chunk's senders' languages are read at once, and handlers
    may keep lookups for the chunk (`handler_memo`). Past `until` (time.monotonic())
    the chunk's messages not yet begun are given back (`_release`), at least one
    having been processed. Returns a count per outcome: done, skipped (another worker
    had it), retry, parked, released."""
    now = now or timezone.now()
    outcomes: dict[str, int] = {}
    claimed = _claim(ids, now, limit)
    if not claimed:
        return outcomes
    languages = _languages([record.sender for record in claimed])
    with outbox_collect() as queued, _memo_scope():
        for n, record in enumerate(claimed):
            if n and until is not None and time.monotonic() > until:
                outcomes["released"] = _release(claimed[n:])
                break
            outcome = _process_one(record, languages)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    try:
        outbox_send_collected(queued)
    except Exception as exc:
        # The answers are committed and their replies queued: the outbox's sweep sends
        # them (UNDISPATCHED_AFTER, or STUCK_AFTER if claimed); the drain goes on.
        logger.warning(
            "inbox: %d reply(ies) left to the outbox sweep (%s)", len(queued), type(exc).__name__
        )
    return outcomes


_RELEASE = """
UPDATE {table} SET attempts = attempts - 1, claimed_at = NULL
WHERE state = %s AND (id, attempts) IN ({pairs})
"""


def _release(records: list[InboundMessage]) -> int:
    """Give back claimed messages not begun: their claim and its attempt undone (on
    condition that the claim is still this one), so the next drain takes them at once
    rather than after INBOX_LEASE. A drain whose time is up (a starved worker: the
    worker runs below the web's CPU priority, launcher.WORKER_NICE) ends with its
    chunk half done instead of being killed by the task's hard time limit with the
    rest of its chunk claimed. Returns how many were given back."""
    params: list = [InboundState.PENDING]
    for record in records:
        params += [record.pk, record.attempts]
    pairs = ", ".join(["(%s, %s)"] * len(records))
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE.format(table=InboundMessage._meta.db_table, pairs=pairs), params)
        return cursor.rowcount


_TAKE = """
SELECT 1 FROM {table} WHERE id = %s AND state = %s AND attempts = %s FOR UPDATE
"""


def _process_one(record: InboundMessage, languages: dict[str, str] | None = None) -> str:
    """Answer one claimed message, once. The transaction starts by taking the row's
    lock, on condition that it is still pending under this claim (`attempts` is the
    claim's token), and ends by marking it done with its answer (one UPDATE): whoever
    else reaches the row (a second worker, a redelivered task, the sweep after the
    lease) waits for the lock and then finds it done, or finds a newer claim and gives
    up. A failure rolls all of it back; the row stays pending with its attempt
    counted, and is retried after INBOX_LEASE or parked after INBOX_MAX_ATTEMPTS."""
    table = InboundMessage._meta.db_table
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    _TAKE.format(table=table), [record.pk, InboundState.PENDING, record.attempts]
                )
                if cursor.fetchone() is None:
                    return "skipped"
            message = Inbound(
                provider_message_id=record.provider_message_id,
                sender=record.sender,
                text=record.text,
                received_at=record.received_at,
                phone_number_id=record.phone_number_id or None,
            )
            record.text = record.text[:4096]  # what the log keeps, as receive_inbound
            _answer(message, record, timezone.now(), languages, state=InboundState.DONE)
        return "done"
    except Exception as exc:
        if languages is not None:
            languages.pop(record.sender, None)  # rolled back: read it again next time
        # The exception's type only: its text may quote the message.
        reason = redact(f"attempt {record.attempts}: {type(exc).__name__}")[:300]
        parked = record.attempts >= INBOX_MAX_ATTEMPTS
        InboundMessage.objects.filter(
            pk=record.pk, state=InboundState.PENDING, attempts=record.attempts
        ).update(last_error=reason, state=InboundState.PARKED if parked else InboundState.PENDING)
        logger.warning(
            "inbox #%s failed (%s)%s", record.pk, reason, ", parked" if parked else ", will retry"
        )
        return "parked" if parked else "retry"


def inbox_requeue(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The sweep (beat, every minute): park messages whose every attempt failed or
    died, and dispatch pending ones that no task took (stored while Redis or the
    worker was down, or whose worker died). Returns how many were dispatched."""
    now = now or timezone.now()
    stale = now - INBOX_LEASE
    pending = InboundMessage.objects.filter(state=InboundState.PENDING)
    parked = pending.filter(attempts__gte=INBOX_MAX_ATTEMPTS, claimed_at__lt=stale).update(
        state=InboundState.PARKED, last_error=f"gave up after {INBOX_MAX_ATTEMPTS} attempts"
    )
    if parked:
        logger.warning("inbox: %d message(s) parked after %d attempts", parked, INBOX_MAX_ATTEMPTS)
    due = (
        pending.filter(attempts__lt=INBOX_MAX_ATTEMPTS)
        .filter(
            models.Q(claimed_at__lt=stale)
            | models.Q(claimed_at__isnull=True, created_at__lte=now - INBOX_UNDISPATCHED_AFTER)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    if ids:
        _wake_drainer(force=True)
    return len(ids)


@transaction.atomic
def inbox_retry(*, ids: list[int]) -> int:
    """An operator processes parked messages again (after fixing what made them fail):
    back to pending with a fresh count of attempts. Returns how many."""
    retried = list(
        InboundMessage.objects.select_for_update()
        .filter(pk__in=ids, state=InboundState.PARKED)
        .values_list("pk", flat=True)
    )
    InboundMessage.objects.filter(pk__in=retried).update(
        state=InboundState.PENDING, attempts=0, claimed_at=None
    )
    if retried:
        transaction.on_commit(lambda: _dispatch(retried))
    return len(retried)
