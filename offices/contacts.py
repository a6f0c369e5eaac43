"""The offices' WhatsApp numbers as the public may see them: the home page lists them,
so an applicant can tell the office's real number from a scammer's.

A number flagged `whatsapp_number_is_placeholder` is not public yet and is never shown.
"""

from dataclasses import dataclass

from offices.models import Office
from offices.selectors import active_offices


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
    if office.whatsapp_number_is_placeholder:
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
