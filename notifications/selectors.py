"""Reads of the message tables that need thought."""

import datetime as dt
from dataclasses import dataclass

from notifications.models import About, InboundMessage, OutboundMessage


@dataclass(frozen=True)
class ConversationLine:
    at: dt.datetime
    inbound: bool
    text: str
    status: str = ""


def messages_about(about: About, *, limit: int = 50) -> list[ConversationLine]:
    """The messages about one row, both ways, oldest first: the row's own notices, the
    sender's messages its handler tied to it, and the replies to those. Nothing is
    matched by phone number: a number's other messages (other bookings, other offices,
    reports) belong to other rows and their readers."""
    inbound = InboundMessage.objects.filter(**about.fields()).order_by("-received_at")
    outbound = OutboundMessage.objects.filter(**about.fields()).order_by("-created_at")
    lines = [
        ConversationLine(at, True, text)
        for at, text in inbound.values_list("received_at", "text")[:limit]
    ]
    lines += [
        ConversationLine(at, False, text, status)
        for at, text, status in outbound.values_list("created_at", "text", "status")[:limit]
    ]
    return sorted(lines, key=lambda line: line.at)


@dataclass(frozen=True)
class TierUsage:
    """A number's business-initiated unique users of the last 24 hours against its
    daily tier; `warn` once WHATSAPP_TIER_WARN_AT of it is used (reminders stop at
    1 - WHATSAPP_TIER_URGENT_RESERVE, confirmations at the limit itself)."""

    number: str
    used: int
    limit: int
    warn: bool


def tier_usage(*, numbers: list[str], now: dt.datetime) -> list[TierUsage]:
    """The daily tier of each of `numbers` (the offices a supervisor sees). One query
    for the limits and one per number that sent business-initiated messages."""
    from django.conf import settings
    from django.db.models import Count

    from notifications.pacing import DAY, tier_limits

    wanted = sorted({number for number in numbers if number})
    if not wanted:
        return []
    used = dict(
        OutboundMessage.objects.filter(
            sender__in=wanted, business_initiated=True, sent_at__gte=now - DAY
        )
        .order_by()
        .values_list("sender")
        .annotate(n=Count("to", distinct=True))
    )
    limits = tier_limits(wanted)
    return [
        TierUsage(
            number=number,
            used=used.get(number, 0),
            limit=limits[number],
            warn=used.get(number, 0) >= limits[number] * settings.WHATSAPP_TIER_WARN_AT,
        )
        for number in wanted
    ]
