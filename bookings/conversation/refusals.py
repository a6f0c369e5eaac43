"""What the WhatsApp conversation says when it books nobody: one refusal per line at fault.

Every refusal names the line (its number among the message's booking lines), the
field (name, birth date or visit date, in the reply's language) with its value, why,
and which date is which, e.g. "Line 2, the visit date 31-02-2027: That date does not
exist. The second date is the visit date." The text is built here and nowhere else,
from a parser LineError or from a service's DomainError.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings.conversation.parser import (
    BIRTH_DATE,
    NAME,
    PRIORITY,
    VISIT_DATE,
    BookLine,
    LineError,
)
from immigration.errors import DomainError

# Why a line could not be read (parser.LineError.reason).
READ_ERRORS = {
    "bad_format": lambda: _("This line could not be read."),
    "two_digit_year": lambda: _("Write the year with four digits (1978, not 78)."),
    "invalid_date": lambda: _("That date does not exist."),
    "empty_name": lambda: _("The name is missing."),
    "unknown_priority": lambda: _(
        "The 4th field may only be HAMIL/PREGNANT or DISABILITAS/DISABLED, or left out."
    ),
}
# What the format lecture helps with: the line could not be read as the format says.
FORMAT_REASONS = frozenset(READ_ERRORS)

# The service's input fields (DomainError.fields) as fields of a booking line.
_FIELD_OF_INPUT = {
    "name": NAME,
    "birth_date": BIRTH_DATE,
    "date": VISIT_DATE,
    "priority": PRIORITY,
}
# Refusals whose DomainError names no input field: what the line's field is.
_FIELD_OF_CODE = {
    "day_full": VISIT_DATE,
    "slot_full": VISIT_DATE,
    "office_inactive": VISIT_DATE,
    "duplicate_applicant": NAME,
    "duplicate_booking": NAME,
    "no_show_blocked": NAME,
}


def quote(text: str, limit: int = 60) -> str:
    """Part of a message, fit to echo back: letters, digits, spaces and the booking
    format's punctuation only (no markup, no invisible characters), and short."""
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " #'.,-/")
    kept = " ".join(kept.split())
    return kept if len(kept) <= limit else kept[: limit - 1] + "\u2026"


def field_label(field: str) -> str:
    return {
        NAME: _("the name"),
        BIRTH_DATE: _("the birth date"),
        VISIT_DATE: _("the visit date"),
        PRIORITY: _("the priority need"),
    }[field]


def which_date(field: str) -> str:
    """Which date is which: people swap them, and a bare "the date" does not say."""
    return {
        BIRTH_DATE: _("The first date is the birth date."),
        VISIT_DATE: _("The second date is the visit date."),
    }.get(field, "")


def date_value(day: dt.date) -> str:
    """A date as the line's field shows it: 31-12-2026."""
    return f"{day:%d-%m-%Y}"


def typed_date(text: str) -> str:
    """A date as typed, with dashes between day, month and year when it was written
    as eight digits (31022027 -> 31-02-2027), so "31-02-2027 does not exist" reads."""
    text = text.strip()
    if len(text) == 8 and text.isascii() and text.isdigit():
        return f"{text[:2]}-{text[2:4]}-{text[4:]}"
    return text


@dataclass(frozen=True)
class Refusal:
    """One reason nothing was booked: `lines` the line numbers it concerns (1 = the
    first booking line), `field` NAME, BIRTH_DATE, VISIT_DATE or "" (the line as a
    whole), `value` that field as the reply shows it, `reason` why, in the active
    language; `quote` the line as typed, shown when it could not be read."""

    lines: tuple[int, ...]
    field: str
    value: str
    reason: str
    quote: str = ""


def _where(lines: tuple[int, ...]) -> str:
    if len(lines) > 1 and lines == tuple(range(lines[0], lines[-1] + 1)):
        numbers = f"{lines[0]}-{lines[-1]}"
    else:
        numbers = ", ".join(str(n) for n in lines)
    return ngettext("Line %(lines)s", "Lines %(lines)s", len(lines)) % {"lines": numbers}


def refusal_text(refusal: Refusal) -> str:
    """The one place a refusal's words are put together."""
    where = _where(refusal.lines)
    value = quote(refusal.value, 40)  # as typed: echoed only once made harmless
    if refusal.field and value:
        head = _("%(where)s, %(field)s %(value)s:") % {
            "where": where,
            "field": field_label(refusal.field),
            "value": value,
        }
    elif refusal.field:
        head = _("%(where)s, %(field)s:") % {"where": where, "field": field_label(refusal.field)}
    else:
        head = _("%(where)s:") % {"where": where}
    text = " ".join(part for part in [head, refusal.reason, which_date(refusal.field)] if part)
    return f"{refusal.quote}\n{text}" if refusal.quote else text


def from_line_error(error: LineError, quote: str) -> Refusal:
    is_date = error.field in (BIRTH_DATE, VISIT_DATE)
    value = typed_date(error.value) if is_date else error.value
    if is_date and error.reason == "bad_format":
        reason = _("Write the date as DDMMYYYY, for example 17061978.")
    else:
        reason = READ_ERRORS.get(error.reason, READ_ERRORS["bad_format"])()
    return Refusal((error.line,), error.field, value, reason, quote=quote)


def line_value(line: BookLine, field: str) -> str:
    """A read line's field as the reply shows it."""
    return {
        NAME: line.name,
        BIRTH_DATE: date_value(line.birth_date),
        VISIT_DATE: date_value(line.service_date),
        PRIORITY: line.priority,
    }.get(field, "")


def field_of(exc: DomainError) -> str:
    """The line field a service's refusal is about: the input field it names, else
    what its code is about; "" when it is about none (a phone's limit)."""
    for name in exc.fields:
        if name in _FIELD_OF_INPUT:
            return _FIELD_OF_INPUT[name]
    return _FIELD_OF_CODE.get(exc.code, "")


def from_domain_error(exc: DomainError, lines: list[BookLine]) -> Refusal:
    """A service's refusal of the message's lines: about the applicants it names
    (`exc.applicants`, indexes into `lines`) if it names any, else about every line."""
    field = field_of(exc)
    indexes = exc.applicants or range(len(lines))
    concerned = [lines[i] for i in indexes if i < len(lines)] or lines
    # A visit date is the same on every line (one message, one day); a name or a
    # birth date is shown only when the refusal is about one line.
    value = line_value(concerned[0], field) if field == VISIT_DATE or len(concerned) == 1 else ""
    return Refusal(tuple(line.line for line in concerned), field, value, str(exc.message))
