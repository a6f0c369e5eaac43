"""WhatsApp's limits, kept by the sender before it sends (never learned from an error).

Owns three rules, each asked once per claimed batch (notifications/services.py):

- **Pace per office number** (Cloud API error 130429): a token bucket per number in
  `SenderNumber`, holding at most a tenth of a second's worth of the configured rate
  (`WHATSAPP_SEND_RATE_PER_SECOND`, default 80) and refilled at the rest of it, so that
  no window of one second is granted more than the rate, burst included. Takes a row
  lock on the number's `SenderNumber` (a short transaction of its own: two statements).
- **One message to one user about every 6 s** (131056, `WHATSAPP_SAME_USER_SECONDS`):
  a family's notices to one phone are spaced, the most urgent first. One query for
  every recipient of the batch.
- **The daily tier of unique users** for business-initiated messages (outside the
  24-hour window), per number (`SenderNumber.daily_unique_users`): routine notices
  (reminders) stop at `1 - WHATSAPP_TIER_URGENT_RESERVE` of it, so confirmations and
  changes find room until the limit itself. Two queries per number with such messages.

A message a limit holds back is not sent: it goes back to `queued` with the time it
may go (`next_attempt_at`), and is dispatched then. Time is injected (`now`); nothing
here sleeps.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count

from notifications.models import OutboundMessage, SenderNumber, Urgency

DAY = dt.timedelta(hours=24)
# A notice the tier holds back is tried again this much later (the rolling 24 hours
# free a user's place as their oldest message ages out).
TIER_RETRY = dt.timedelta(minutes=30)


def bucket_shape(rate: int) -> tuple[int, float]:
    """(capacity, refill per second) of a number's bucket: capacity + one second's
    refill is `rate`, so no second is granted more than `rate`."""
    capacity = max(1, rate // 10)
    return capacity, float(max(1, rate - capacity))


def pace_take(*, number: str, wanted: int, now: dt.datetime) -> tuple[int, float]:
    """Take up to `wanted` sends from `number`'s bucket. Returns (granted, seconds
    per further send) so the caller can place the rest in time. Locks the number's
    SenderNumber row (select_for_update) in a transaction of its own, a few
    milliseconds: two workers never spend the same tokens."""
    capacity, refill = bucket_shape(settings.WHATSAPP_SEND_RATE_PER_SECOND)
    with transaction.atomic():
        row = _locked_number(number, capacity, now)
        if row.tokens_at is None:  # staff set its tier before it ever sent: a full bucket
            tokens = float(capacity)
        else:
            elapsed = max(0.0, (now - row.tokens_at).total_seconds())
            tokens = min(float(capacity), row.tokens + elapsed * refill)
        granted = min(wanted, int(tokens))
        SenderNumber.objects.filter(pk=row.pk).update(
            tokens=tokens - granted, tokens_at=max(now, row.tokens_at or now)
        )
    return granted, 1.0 / refill


def _locked_number(number: str, capacity: int, now: dt.datetime) -> SenderNumber:
    row = SenderNumber.objects.select_for_update().filter(number=number).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            SenderNumber.objects.create(
                number=number,
                tokens=capacity,
                tokens_at=now,
                daily_unique_users=settings.WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS,
            )
    except IntegrityError:
        pass  # another worker created it first
    return SenderNumber.objects.select_for_update().get(number=number)


def last_sent(phones: Iterable[str], now: dt.datetime) -> dict[str, dt.datetime]:
    """When each of `phones` was last sent a message within the spacing interval."""
    since = now - dt.timedelta(seconds=settings.WHATSAPP_SAME_USER_SECONDS)
    rows = (
        OutboundMessage.objects.filter(to__in=list(phones), sent_at__gt=since)
        .order_by()
        .values_list("to", "sent_at")
    )
    latest: dict[str, dt.datetime] = {}
    for phone, sent_at in rows:
        if phone not in latest or sent_at > latest[phone]:
            latest[phone] = sent_at
    return latest


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


def tier_used(number: str, phones: Iterable[str], now: dt.datetime) -> tuple[int, set[str]]:
    """(unique users the number reached business-initiated in the last 24 hours,
    which of `phones` are among them: another message to them costs nothing)."""
    recent = OutboundMessage.objects.filter(
        sender=number, business_initiated=True, sent_at__gte=now - DAY
    )
    used = recent.aggregate(n=Count("to", distinct=True))["n"]
    counted = set(recent.filter(to__in=list(phones)).values_list("to", flat=True).distinct())
    return used, counted
