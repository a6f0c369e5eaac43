"""The WhatsApp Cloud API (Graph API `/{phone-number-id}/messages`).

Text within the 24-hour window, an image (the booking's QR) uploaded as media and
sent by its id with the text as caption, and outside the window the approved
template named by the notice. Errors are sorted for the outbox: a network failure,
a 5xx or a rate limit is worth retrying; a refused number or parameter is not.
"""

import uuid

import requests
from django.conf import settings

from notifications.backends.base import (
    BaseBackend,
    OutgoingMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)

TIMEOUT_SECONDS = 10
# Graph API error codes that a later attempt may get past: throttling and outages.
TRANSIENT_CODES = {1, 2, 4, 17, 80007, 130429, 131000, 131016, 131048, 131056, 133004}


class CloudBackend(BaseBackend):
    def __init__(self, session: requests.Session | None = None):
        self.session = session or requests.Session()
        self.base = f"{settings.WHATSAPP_GRAPH_URL.rstrip('/')}/{settings.WHATSAPP_API_VERSION}"
        self.headers = {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"}

    def send(self, message: OutgoingMessage) -> SendResult:
        if not message.phone_number_id:
            raise PermanentSendError("the office has no WhatsApp Cloud API phone-number id")
        if not message.session_open and message.template_name:
            body = self._template(message)
        elif message.image_png:
            media_id = self._upload(message)
            body = {"type": "image", "image": {"id": media_id, "caption": message.text[:1024]}}
        else:
            body = {"type": "text", "text": {"preview_url": False, "body": message.text[:4096]}}
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to,
            **body,
        }
        data = self._call("post", f"/{message.phone_number_id}/messages", json=payload)
        try:
            return SendResult(provider_message_id=str(data["messages"][0]["id"]))
        except (KeyError, IndexError, TypeError):
            # Accepted (2xx) but unnamed: sending again could deliver it twice.
            return SendResult(provider_message_id=f"unconfirmed-{uuid.uuid4().hex}")

    @staticmethod
    def _template(message: OutgoingMessage) -> dict:
        parameters = [
            {"type": "text", "text": str(value)[:1024]} for value in message.template_params
        ]
        components = [{"type": "body", "parameters": parameters}] if parameters else []
        return {
            "type": "template",
            "template": {
                "name": message.template_name,
                "language": {"code": "en" if message.language == "en" else "id"},
                "components": components,
            },
        }

    def _upload(self, message: OutgoingMessage) -> str:
        data = self._call(
            "post",
            f"/{message.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": "image/png"},
            files={"file": ("qr.png", message.image_png, "image/png")},
        )
        if not data.get("id"):
            raise TransientSendError("the media upload returned no id")
        return data["id"]

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.session.request(
                method, self.base + path, headers=self.headers, timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as exc:
            raise TransientSendError(f"network: {type(exc).__name__}") from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code < 400:
            return data if isinstance(data, dict) else {}
        error = data.get("error", {}) if isinstance(data, dict) else {}
        code = error.get("code")
        reason = f"HTTP {response.status_code} code {code}: {error.get('message', '')}"[:300]
        if response.status_code >= 500 or response.status_code == 429 or code in TRANSIENT_CODES:
            raise TransientSendError(reason)
        raise PermanentSendError(reason)
