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
