"""The contract every WhatsApp sender backend fulfils."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one WhatsApp number (E.164 without `+`, as the platform uses)."""

    to: str
    text: str
    # Sent as an image with the text as caption when given (e.g. a booking's QR code).
    image_png: bytes | None = None
    # The office number the message is sent from.
    sender: str | None = None
    # Stable key that lets a provider (or a retry) drop a duplicate send.
    idempotency_key: str | None = None
    # The Cloud API routes a send through the office's phone-number id.
    phone_number_id: str | None = None
    # WhatsApp allows free-form text only within 24 hours of the recipient's last
    # message; outside it a backend that can sends this approved template instead.
    session_open: bool = True
    template_name: str = ""
    template_params: tuple = ()
    language: str = "id"
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str


class TransientSendError(Exception):
    """Try again later: the provider or the network is down, or we were rate limited."""


class PermanentSendError(Exception):
    """Never retry: the number is not on WhatsApp, the message was rejected."""


class BaseBackend:
    def send(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError
