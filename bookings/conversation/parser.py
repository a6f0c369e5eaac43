"""Read what applicants really type into WhatsApp.

The format the offices publish is `#NAME#DDMMYYYY#DDMMYYYY#` (name, birth date, day of
the visit), with an optional 4th field claiming a priority place for that person:
`HAMIL`/`PREGNANT` or `DISABILITAS`/`DISABLED` (the words and what they claim are
bookings.priority's CLAIM_WORDS; the officer checks the claim at the door).
People leave out the closing `#`, add spaces, write in lowercase, put `-`,
`/` or `.` inside dates, and send several lines for a family. `parse` never raises:
whatever it cannot read becomes a LineError naming the line, the field and the reason,
from which the reply says what to fix.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from bookings.codes import canonical
from bookings.priority import claim_from_word

# The fields of a booking line, in order: the first date is the birth date, the second
# the day of the visit. A LineError names one of them, or none (the line as a whole).
NAME, BIRTH_DATE, VISIT_DATE, PRIORITY = "name", "birth_date", "visit_date", "priority"
LINE_FIELDS = (NAME, BIRTH_DATE, VISIT_DATE, PRIORITY)


@dataclass(frozen=True)
class BookLine:
    name: str
    birth_date: dt.date
    service_date: dt.date
    priority: str = ""  # a bookings.models.PriorityClaim value claimed on the line, or ""
    # Where it stood: the number among the message's booking lines (1 = the first),
    # and the line as typed. Not part of what the line says (equality ignores them).
    line: int = field(default=1, compare=False)
    text: str = field(default="", compare=False)


@dataclass(frozen=True)
class LineError:
    """A booking line that cannot be read: `line` is its number among the message's
    booking lines (1 = the first), `field` the part at fault (NAME, BIRTH_DATE,
    VISIT_DATE, or "" for the line as a whole), `value` that part as typed."""

    line: int
    text: str
    reason: str  # bad_format, two_digit_year, invalid_date, empty_name, unknown_priority
    field: str = ""
    value: str = ""


@dataclass(frozen=True)
class Command:
    """What a message asks for: `action` is book, status, cancel, confirm, help,
    language or unknown; `code` for status/cancel/confirm; `language` for a language
    switch, or the language a command word was written in (HELP -> en, BANTUAN -> id);
    `language_guess` the language a word shared by both suggests to a sender who has
    not chosen one yet (STATUS -> en)."""

    action: str
    lines: tuple[BookLine, ...] = ()
    errors: tuple[LineError, ...] = ()
    code: str | None = None
    language: str | None = None
    language_guess: str | None = None
    raw_code: str = ""
    extra: dict = field(default_factory=dict)


# ASCII digits only: digits of other scripts would let a date hide behind look-alikes.
_DATE_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4})$", re.ASCII)
_DATE_SEPARATED = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2,4})$", re.ASCII)
_COMPACT_SHORT_YEAR = re.compile(r"^\d{6}$", re.ASCII)

_LANGUAGE_WORDS = {
    "EN": "en",
    "ENG": "en",
    "ENGLISH": "en",
    "ID": "id",
    "INDONESIA": "id",
    "BAHASA": "id",
}
_HELP_WORDS = {"INFO", "BANTUAN", "HELP", "MENU", "?"}
# A command word written in one language is an answer to "which language?": the reply
# follows it. Words both languages share (INFO, MENU, ?) leave the language as it was.
_WORD_LANGUAGE = {
    "HELP": "en",
    "CANCEL": "en",
    "CHECK": "en",
    "CONFIRM": "en",
    "YES": "en",
    "BANTUAN": "id",
    "BATAL": "id",
    "BATALKAN": "id",
    "CEK": "id",
    "YA": "id",
    "KONFIRMASI": "id",
}
# STATUS is English, but Indonesians write it too (the Indonesian help taught
# `STATUS <kode>` until it taught CEK): it answers in English only a sender who has
# not chosen a language yet, and leaves a chosen language as it is.
_WORD_LANGUAGE_GUESS = {"STATUS": "en"}
_CANCEL_WORDS = {"BATAL", "CANCEL", "BATALKAN"}
_STATUS_WORDS = {"STATUS", "CEK", "CHECK"}
# `YA K7P2-MX4Q`: the message the hold page prefills, confirming a web or API booking.
_CONFIRM_WORDS = {"YA", "YES", "KONFIRMASI", "CONFIRM"}


def parse_date(text: str) -> dt.date | str:
    """A date, or the reason it cannot be one."""
    text = text.strip()
    match = _DATE_COMPACT.match(text) or _DATE_SEPARATED.match(text)
    if not match:
        if _COMPACT_SHORT_YEAR.match(text):
            return "two_digit_year"
        return "bad_format"
    day, month, year = (int(part) for part in match.groups())
    if len(match.group(3)) != 4:
        return "two_digit_year"
    try:
        return dt.date(year, month, day)
    except ValueError:
        return "invalid_date"


def _book_line(number: int, line: str) -> BookLine | LineError:
    parts = [part.strip() for part in line.strip().strip("#").split("#")]
    if len(parts) not in (3, 4):
        return LineError(number, line, "bad_format")
    name, birth_text, service_text = parts[:3]
    claim_text = parts[3] if len(parts) == 4 else ""
    if not name:
        return LineError(number, line, "empty_name", NAME)
    birth, service = parse_date(birth_text), parse_date(service_text)
    for part, typed, value in (
        (BIRTH_DATE, birth_text, birth),
        (VISIT_DATE, service_text, service),
    ):
        if isinstance(value, str):
            return LineError(number, line, value, part, typed)
    claim = claim_from_word(claim_text)
    if claim is None:
        return LineError(number, line, "unknown_priority", PRIORITY, claim_text)
    return BookLine(
        name=name,
        birth_date=birth,
        service_date=service,
        priority=claim,
        line=number,
        text=line,
    )


def parse(text: str | None) -> Command:
    """What the message asks for. Never raises."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return Command("help")

    booking_lines = [line for line in lines if line.startswith("#") or line.count("#") >= 2]
    if booking_lines:
        parsed = [_book_line(number, line) for number, line in enumerate(booking_lines, 1)]
        return Command(
            "book",
            lines=tuple(p for p in parsed if isinstance(p, BookLine)),
            errors=tuple(p for p in parsed if isinstance(p, LineError)),
        )

    words = lines[0].upper().split()
    first = words[0].strip(".!,:") if words else ""
    if first in _LANGUAGE_WORDS and len(words) == 1:
        return Command("language", language=_LANGUAGE_WORDS[first])
    said_in = _WORD_LANGUAGE.get(first)
    if first in _HELP_WORDS:
        return Command("help", language=said_in)
    if first in _CONFIRM_WORDS:
        raw = "".join(words[1:])
        return Command("confirm", code=canonical(raw), raw_code=raw, language=said_in)
    if first in _CANCEL_WORDS or first in _STATUS_WORDS:
        raw = "".join(words[1:])
        action = "cancel" if first in _CANCEL_WORDS else "status"
        return Command(
            action,
            code=canonical(raw),
            raw_code=raw,
            language=said_in,
            language_guess=_WORD_LANGUAGE_GUESS.get(first),
        )
    return Command("unknown")


def format_book_line(name: str, birth_date: dt.date, service_date: dt.date) -> str:
    """The canonical form of a booking line, as the help text shows it."""
    return f"#{name}#{birth_date:%d%m%Y}#{service_date:%d%m%Y}#"
