"""A signed WhatsApp Cloud API delivery, as the booking tests send one: the payload,
the signed POST to the webhook (then the worker's turn on the stored delivery), and
the replies in the outbox. The fixtures that go with it (the app secret, the office's
phone number id, a fixed clock) are `whatsapp_webhook` and `whatsapp_clock` in
bookings/tests/conftest.py."""

import datetime as dt
import hashlib
import hmac
import json

from notifications.inbound import inbox_process
from notifications.models import OutboundMessage

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
# The Cloud API's timestamps: seconds since the epoch, as strings; recent ones.
STAMP = int(NOW.timestamp())
SECRET = "app-secret-for-tests"
PHONE_ID = "109876543210"
SENDER = "6281234567890"


def payload(text, message_id="wamid.1", sender=SENDER):
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "628118119000",
                                "phone_number_id": PHONE_ID,
                            },
                            "contacts": [{"profile": {"name": "X"}, "wa_id": sender}],
                            "messages": [
                                {
                                    "from": sender,
                                    "id": message_id,
                                    "timestamp": str(STAMP - 60),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def post(client, payload, secret=SECRET, signature=None):
    body = json.dumps(payload).encode()
    signature = signature or "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    inbox_process()  # the worker's turn: the webhook only stored the delivery
    return response


def replies():
    return list(OutboundMessage.objects.order_by("pk").values_list("kind", "text"))
