"""WhatsApp's limits, kept by the sender before it sends (never learned from an error).

Owns three rules, each asked once per claimed batch (notifications/services.py):

- **Pace per office number** (Cloud API error 130429): a token bucket per number in
  `SenderNumber`, holding at most a tenth of a second's worth of the configured rate
  (`WHATSAPP_SEND_RATE_PER_SECOND`, default 80) and refilled at the rest of it, so that
  no window of one second is granted more than the rate, burst included. One UPDATE
  for every number of the batch (`pace_take`), under their row locks.
- **One message to one user about every 6 s** (131056, `WHATSAPP_SAME_USER_SECONDS`):
  a family's notices to one phone are spaced, the most urgent first.
- **The daily tier of unique users** for business-initiated messages (outside the
  24-hour window), per number (`SenderNumber.daily_unique_users`): routine notices
  (reminders) stop at `1 - WHATSAPP_TIER_URGENT_RESERVE` of it, so confirmations and
  changes find room until the limit itself.

What the last two need to know of a batch (the recipients' open windows, their last
sends, each number's tier and its users of the last 24 hours) is one query, whatever
the batch's size (`batch_facts`). Measured (#19, bench/README.md): a batch cost nine
round trips through the ORM before, ~11 ms of the worker's CPU and ~5 of PostgreSQL's,
which in a rush's small batches was most of a confirmation's cost.

A message a limit holds back is not sent: it goes back to `queued` with the time it
may go (`next_attempt_at`), and is dispatched then. Time is injected (`now`); nothing
here sleeps.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from notifications.models import SenderNumber, Urgency

DAY = dt.timedelta(hours=24)
# A notice the tier holds back is tried again this much later (the rolling 24 hours
# free a user's place as their oldest message ages out).
TIER_RETRY = dt.timedelta(minutes=30)


def bucket_shape(rate: int) -> tuple[int, float]:
    """(capacity, refill per second) of a number's bucket: capacity + one second's
    refill is `rate`, so no second is granted more than `rate`."""
    capacity = max(1, rate // 10)
    return capacity, float(max(1, rate - capacity))


# Takes up to `wanted` tokens from each number's bucket in one statement: the rows are
# locked in the order of their numbers (two batches never wait on each other in a
# cycle), refilled for the time elapsed, and the grant is what the bucket holds, whole.
# The same arithmetic in float8 as Python's, so a grant is what it was before.
_PACE = """
WITH wanted AS (
    SELECT * FROM unnest(%(numbers)s::varchar[], %(wanted)s::integer[]) AS w(number, n)
), locked AS (
    SELECT s.id, w.n, CASE
        WHEN s.tokens_at IS NULL THEN %(capacity)s::float8
        ELSE least(%(capacity)s::float8, s.tokens + greatest(
            0::float8, extract(epoch FROM %(now)s::timestamptz - s.tokens_at)::float8
        ) * %(refill)s::float8)
    END AS tokens
    FROM notifications_sendernumber s JOIN wanted w ON w.number = s.number
    ORDER BY s.number
    FOR UPDATE OF s
)
UPDATE notifications_sendernumber s
SET tokens = l.tokens - least(l.n, floor(l.tokens)),
    tokens_at = greatest(%(now)s::timestamptz, coalesce(s.tokens_at, %(now)s::timestamptz))
FROM locked l
WHERE s.id = l.id
RETURNING s.number, least(l.n, floor(l.tokens))::integer
"""


def pace_take(*, wanted: dict[str, int], now: dt.datetime) -> tuple[dict[str, int], float]:
    """Take up to `wanted[number]` sends from each number's bucket. Returns (granted
    per number, seconds per further send) so the caller can place the rest in time.
    One UPDATE for all the numbers (autocommitted when called outside a transaction),
    holding their SenderNumber rows' locks only while it runs: two workers never spend
    the same tokens. A number never seen gets its row (a full bucket) first."""
    capacity, refill = bucket_shape(settings.WHATSAPP_SEND_RATE_PER_SECOND)
    granted = _take(wanted, capacity, refill, now)
    missing = {number: n for number, n in wanted.items() if number not in granted}
    if missing:
        _create_numbers(list(missing), capacity, now)
        granted.update(_take(missing, capacity, refill, now))
    return granted, 1.0 / refill


def _take(wanted: dict[str, int], capacity: int, refill: float, now: dt.datetime) -> dict:
    numbers = sorted(wanted)
    params = {
        "numbers": numbers,
        "wanted": [wanted[number] for number in numbers],
        "capacity": capacity,
        "refill": refill,
        "now": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PACE, params)
        return dict(cursor.fetchall())


def _create_numbers(numbers: list[str], capacity: int, now: dt.datetime) -> None:
    """Rows for numbers never seen, with a full bucket (another worker may create one
    first: its row stands)."""
    SenderNumber.objects.bulk_create(
        [
            SenderNumber(
                number=number,
                tokens=capacity,
                tokens_at=now,
                daily_unique_users=settings.WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS,
            )
            for number in numbers
        ],
        ignore_conflicts=True,
    )


@dataclass
class BatchFacts:
    """What WhatsApp's limits need to know of a batch's recipients and numbers."""

    open_sessions: set[str]  # recipients who wrote in the session window
    last_sent: dict[str, dt.datetime]  # recipients sent a message within the spacing
    # Numbers with a recipient outside the window (their tier applies): the limit,
    # unique users of the last 24 hours, and which of the batch's recipients are
    # among them (another message to those costs nothing).
    limits: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    counted: dict[str, set[str]] = field(default_factory=dict)


# One round trip for all of BatchFacts: four plain statements sent together (Django's
# psycopg cursor binds on the client, so each is planned with its values, as the ORM's
# queries were; one statement of UNION branches over CTEs was planned blind and took
# 200 ms a batch on a 10,000-row outbox). Each is an index range: the recipients'
# inbound messages (inbound_sender_time_idx), their recent sends
# (outbox_recipient_sent_idx), and per number with a recipient outside the window,
# its business-initiated sends of the last 24 hours (outbox_business_sent_idx).
_FACTS = """
SELECT DISTINCT sender FROM notifications_inboundmessage
WHERE sender = ANY(%(phones)s) AND received_at >= %(session_since)s;
SELECT "to", max(sent_at) FROM notifications_outboundmessage
WHERE "to" = ANY(%(phones)s) AND sent_at > %(spacing_since)s GROUP BY "to";
SELECT c.sender, s.daily_unique_users, (
    SELECT count(DISTINCT o."to") FROM notifications_outboundmessage o
    WHERE o.business_initiated AND o.sender = c.sender AND o.sent_at >= %(day_since)s
) FROM (
    SELECT DISTINCT b.sender FROM unnest(%(senders)s::varchar[], %(to)s::varchar[])
        AS b(sender, phone)
    WHERE NOT EXISTS (
        SELECT 1 FROM notifications_inboundmessage i
        WHERE i.sender = b.phone AND i.received_at >= %(session_since)s
    )
) c LEFT JOIN notifications_sendernumber s ON s.number = c.sender;
SELECT DISTINCT sender, "to" FROM notifications_outboundmessage
WHERE business_initiated AND sender = ANY(%(numbers)s) AND "to" = ANY(%(phones)s)
    AND sent_at >= %(day_since)s;
"""


def batch_facts(
    pairs: Iterable[tuple[str, str]], *, now: dt.datetime, session: dt.timedelta
) -> BatchFacts:
    """What the limits need to know of a batch whose messages go from number to phone
    (`pairs`), in one query: which recipients wrote to us within `session` (free-form
    allowed, no tier), which were sent a message within WHATSAPP_SAME_USER_SECONDS and
    when, and for each number with a recipient outside the window, its tier's limit
    (WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS for a number not yet seen), its unique users
    of the last 24 hours and which of its recipients are among them."""
    pairs = sorted(set(pairs))
    params = {
        "senders": [sender for sender, _ in pairs],
        "to": [phone for _, phone in pairs],
        "numbers": sorted({sender for sender, _ in pairs}),
        "phones": sorted({phone for _, phone in pairs}),
        "session_since": now - session,
        "spacing_since": now - dt.timedelta(seconds=settings.WHATSAPP_SAME_USER_SECONDS),
        "day_since": now - DAY,
    }
    default = settings.WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS
    with connection.cursor() as cursor:
        cursor.execute(_FACTS, params)
        facts = BatchFacts(open_sessions={phone for (phone,) in cursor.fetchall()}, last_sent={})
        cursor.nextset()
        facts.last_sent = dict(cursor.fetchall())
        cursor.nextset()
        for number, limit, used in cursor.fetchall():
            facts.limits[number] = default if limit is None else limit
            facts.used[number] = used
            facts.counted[number] = set()
        cursor.nextset()
        for number, phone in cursor.fetchall():
            if number in facts.counted:
                facts.counted[number].add(phone)
    return facts


def tier_limits(numbers: Iterable[str]) -> dict[str, int]:
    """Each number's daily unique-user limit (WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS for
    a number not yet seen)."""
    default = settings.WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS
    known = dict(
        SenderNumber.objects.filter(number__in=list(numbers)).values_list(
            "number", "daily_unique_users"
        )
    )
    return {number: known.get(number, default) for number in numbers}


def tier_allowance(limit: int, urgency: int) -> int:
    """How many unique users a notice of `urgency` may bring the number to."""
    if urgency == Urgency.URGENT:
        return limit
    return math.floor(limit * (1 - settings.WHATSAPP_TIER_URGENT_RESERVE))
