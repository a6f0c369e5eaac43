"""Stand-ins for a WhatsApp provider that is down or refuses: the outside world,
not our code, is what these replace."""

from notifications.backends.base import (
    BaseBackend,
    OutgoingMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)


class ScriptedBackend(BaseBackend):
    """Answers each send with the next item of `script`: an exception class to raise,
    or "ok". Records what it was asked to send."""

    script: list = []
    sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        outcome = ScriptedBackend.script.pop(0) if ScriptedBackend.script else "ok"
        if outcome == "ok":
            ScriptedBackend.sent.append(message)
            return SendResult(provider_message_id=f"wamid.{len(ScriptedBackend.sent)}")
        raise outcome("provider said no to 6281234567890")


__all__ = ["PermanentSendError", "ScriptedBackend", "TransientSendError"]
