"""What a hold's page and the API tell the applicant: the message that confirms it
(`YA <code>`), the WhatsApp click-to-chat link that prefills it to the office's number,
the same link as a QR code for someone booking on a computer, and who asked for the
hold (for the per-client limit). The rules of holds
(release, confirm) are in bookings/services/holds.py."""

import base64
import ipaddress
from urllib.parse import quote

from bookings.models import Booking
from bookings.qr import text_qr_svg
from offices.models import Office

CONFIRM_WORD = "YA"


def confirm_text(booking: Booking) -> str:
    """The message that confirms a hold, sent from the number typed when booking."""
    return f"{CONFIRM_WORD} {booking.display_code}"


def confirm_url(booking: Booking) -> str:
    """A hold's `chat_link` with its `confirm_text`."""
    return chat_link(booking.office, confirm_text(booking))


def chat_link(office: Office, text: str) -> str:
    """wa.me click-to-chat: opens WhatsApp on the office's number with `text` already
    written; the applicant only presses send."""
    digits = office.whatsapp_number.lstrip("+")
    return f"https://wa.me/{digits}?text={quote(text)}"


def confirm_qr_data_uri(booking: Booking) -> str:
    """The click-to-chat link as a QR image, inline (the page's CSP allows data:
    images), so the page needs no further request."""
    svg = text_qr_svg(confirm_url(booking))
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def hold_client(*, address: str | None = None, api_key_prefix: str | None = None) -> str:
    """Who asks for a hold, for BOOKING_HOLD_CLIENT_MAX: an API key by its prefix, else the
    network: an IPv4 address, or an IPv6 address's /64 (one subscriber's home or phone
    gets a whole /64, and may pick any address in it)."""
    if api_key_prefix is not None:
        return f"key:{api_key_prefix}"
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "net:unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return f"net:{parsed.ipv4_mapped}"
        return f"net:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"net:{parsed}"
