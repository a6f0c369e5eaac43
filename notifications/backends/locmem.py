"""Keeps outgoing messages in `outbox` (a module-level list): for tests, like
Django's `mail.outbox`."""

import uuid

from notifications.backends.base import BaseBackend, OutgoingMessage, SendResult

outbox: list[OutgoingMessage] = []


class LocmemBackend(BaseBackend):
    def send(self, message: OutgoingMessage) -> SendResult:
        outbox.append(message)
        return SendResult(provider_message_id=f"locmem-{uuid.uuid4().hex}")
