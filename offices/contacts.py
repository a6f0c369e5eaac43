"""The offices' WhatsApp numbers as the public may see them: the home page lists them,
so an applicant can tell the office's real number from a scammer's.

A number flagged `whatsapp_number_is_placeholder` is not public yet and is never shown.
The same fact decides whether an office takes web and API holds (`office_takes_holds`):
a hold is confirmed only by a WhatsApp message to the office's number, which nobody can
send to a number that is not published.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from immigration.errors import ConflictError
from offices.models import Office
from offices.selectors import active_offices

# What the booking page and the API say at an office without a published number: why
# nothing can be booked online there, and what to do instead.
NO_HOLDS_MESSAGE = _(
    "%(office)s does not take web or app bookings yet: its official WhatsApp number is "
    "not published, and a booking made online is confirmed only by a WhatsApp message "
    "to that number. Come to the office in person: the staff at the desk book for you "
    "in the walk-in queue. Trust only the address and phone number shown here, never a "
    "WhatsApp number someone else gives you."
)


def whatsapp_is_published(office: Office) -> bool:
    """Whether the office's WhatsApp number is its real, public one."""
    return bool(office.whatsapp_number) and not office.whatsapp_number_is_placeholder


def office_takes_holds(office: Office) -> bool:
    """Whether a booking with a typed phone (a hold, from the web page or the public
    API) can be made at `office`: only where the applicant can send the confirming
    `YA <code>` to the office's published WhatsApp number. The booking page asks this
    before it draws the form; `office_check_takes_holds` enforces it."""
    return whatsapp_is_published(office)


def office_check_takes_holds(*, office: Office) -> None:
    """Refuse a hold at an office that takes none (`office_without_whatsapp`, HTTP 409),
    before anything is locked or written: such a hold could never be confirmed, and
    would only keep a place from others for BOOKING_HOLD_MINUTES. Takes no lock."""
    if not office_takes_holds(office):
        raise ConflictError(
            code="office_without_whatsapp", message=NO_HOLDS_MESSAGE % {"office": office.name}
        )


@dataclass(frozen=True)
class WhatsAppContact:
    office: str
    city: str
    number: str | None  # as people read it: "+62 811 8119 000"; None when not public
    chat_url: str | None  # WhatsApp's click-to-chat link


def readable_number(e164: str) -> str:
    """ "+628118119000" -> "+62 811 8119 000": the country code, then groups of 3-4."""
    digits = e164.lstrip("+")
    if not digits.startswith("62"):
        return f"+{digits}"
    rest = digits[2:]
    groups = [rest[:3]] + [rest[i : i + 4] for i in range(3, len(rest), 4)]
    return "+62 " + " ".join(groups)


def _contact(office: Office) -> WhatsAppContact:
    if not whatsapp_is_published(office):
        return WhatsAppContact(office.name, office.city, None, None)
    digits = office.whatsapp_number.lstrip("+")
    return WhatsAppContact(
        office.name, office.city, readable_number(digits), f"https://wa.me/{digits}"
    )


@dataclass(frozen=True)
class WhatsAppDirectory:
    published: list[tuple[str, list[WhatsAppContact]]]  # by province, sorted
    unpublished: list[WhatsAppContact]  # offices whose number is not public yet


def whatsapp_directory() -> WhatsAppDirectory:
    """Every active office's public WhatsApp number, grouped by province; the offices
    without a public number apart (listed by name, so nobody hunts for one)."""
    published: dict[str, list[WhatsAppContact]] = {}
    unpublished = []
    for office in active_offices().order_by("province", "name"):
        contact = _contact(office)
        if contact.number is None:
            unpublished.append(contact)
        else:
            published.setdefault(office.province, []).append(contact)
    return WhatsAppDirectory(sorted(published.items()), unpublished)
