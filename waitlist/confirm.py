"""What a web or API request waiting for its phone is told: the message that confirms
it (`YA <ref>`, as for holds) and the click-to-chat link that prefills it."""

from bookings import holds
from waitlist.models import WaitlistRequest


def confirm_text(request: WaitlistRequest) -> str:
    """Sent by WhatsApp from the number typed, it puts the request on the list."""
    return f"{holds.CONFIRM_WORD} {request.display_ref}"


def confirm_url(request: WaitlistRequest) -> str:
    return holds.chat_link(request.office, confirm_text(request))
