"""Times as a person reads them: in the office's own zone, with its label (WIB, WITA,
WIT). Instants are stored in UTC; this module is the one place that turns them into
the office's wall-clock time, for pages, notices, admin screens and CSV files.

Why a module of its own: Django's `date` and `time` template filters convert an aware
datetime into the *active* time zone (settings.TIME_ZONE, WIB) before formatting it.
A view that handed the template a Jayapura time converted with `astimezone` still got
it shown two hours early ("06:00 WIT" for an 08:00 slot). Every page that shows an
office's times therefore renders inside `office_zone_active(office)` (or calls
`render_for_office`), and texts built in Python use `local_text`.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from offices.models import ZONE_LABELS, Office

# Formats by what the reader needs; day and month names follow the active language.
TIME = "H:i"
DATE = "j M Y"
DATETIME = "j M Y H:i"


def zone_of(office: Office) -> ZoneInfo:
    return ZoneInfo(office.timezone)


def zone_label(office: Office) -> str:
    """WIB, WITA or WIT, as Indonesians write times."""
    return ZONE_LABELS[office.timezone]


def local(instant: dt.datetime, office: Office) -> dt.datetime:
    """`instant` on the office's wall clock (still aware)."""
    return instant.astimezone(zone_of(office))


def local_text(instant: dt.datetime | None, office: Office, fmt: str = TIME) -> str:
    """ "08:00 WIT", or with `fmt=DATETIME` "4 Des 2026 08:00 WIT": the instant in the
    office's zone with the zone's label. Empty for no instant."""
    if instant is None:
        return ""
    # date_format() would convert an aware value again only through the template
    # layer; here the value is already local, so it is formatted as it stands.
    text = date_format(local(instant, office).replace(tzinfo=None), fmt)
    return f"{text} {zone_label(office)}"


def place_text(instant: dt.datetime, office: Office) -> str:
    """ "Tangerang, 4 Des 2026 09:00 WIB": where and when, for lists that mix offices."""
    return f"{office.city}, {local_text(instant, office, DATETIME)}"


@contextlib.contextmanager
def office_zone_active(office: Office | None) -> Iterator[None]:
    """Make the office's zone the active one (what Django's template filters and
    `timezone.localtime` use). No office: the default zone stays."""
    if office is None:
        yield
        return
    with timezone.override(zone_of(office)):
        yield


def render_for_office(request, template: str, context: dict, office: Office | None, **kwargs):
    """`render`, with every date and time of the page in the office's zone."""
    with office_zone_active(office):
        return render(request, template, context, **kwargs)


def whatsapp_message_times(
    messages: Sequence[tuple[str, str, Sequence[dt.datetime | None]]],
) -> list[list[str]]:
    """For the WhatsApp message admins (notifications, which imports no office: named
    in settings.WHATSAPP_MESSAGE_TIMES): each message as (its office's code, or its
    office's WhatsApp number, and its instants) -> the instants as `local_text` writes
    them ("4 Des 2026 08:00 WIT"), "-" for none. One query for the lot. A message no
    office is known for (an unknown number) reads in the default zone, with its label."""
    codes = {code for code, _number, _times in messages if code}
    numbers = {number for _code, number, _times in messages if number}
    by_key: dict[str, Office] = {}
    for office in Office.objects.filter(Q(code__in=codes) | Q(whatsapp_number__in=numbers)):
        by_key[f"code:{office.code}"] = office
        by_key[f"number:{office.whatsapp_number}"] = office
    fallback = Office(timezone=settings.TIME_ZONE)
    texts = []
    for code, number, instants in messages:
        office = by_key.get(f"code:{code}") or by_key.get(f"number:{number}") or fallback
        texts.append(
            [local_text(instant, office, DATETIME) if instant else "-" for instant in instants]
        )
    return texts
