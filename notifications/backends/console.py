"""Prints outgoing messages to stdout: for `make run`, where no provider exists.

It writes to the terminal, not to the log, so a developer sees the whole text while
the JSON log stays free of personal data.
"""

import sys
import uuid

from notifications.backends.base import BaseBackend, OutgoingMessage, SendResult


class ConsoleBackend(BaseBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, message: OutgoingMessage) -> SendResult:
        provider_id = f"console-{uuid.uuid4().hex}"
        image = f" [+ image {len(message.image_png)} bytes]" if message.image_png else ""
        self.stream.write(
            f"--- WhatsApp to {message.to} ({provider_id}){image}\n{message.text}\n---\n"
        )
        self.stream.flush()
        return SendResult(provider_message_id=provider_id)
