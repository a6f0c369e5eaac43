"""Log records as JSON lines, tagged with the request id, scrubbed of personal data.

One passport-queue site leaked its applicants' names, birth dates and WhatsApp numbers;
logs are a common way such data escapes. Code never logs names, birth dates, phone
numbers or NIK on purpose; the redaction filter is the safety net for what slips
through (a provider's error text quoting a number, an exception message with input).

Booking and complaint tracking codes are bearer secrets too (a code and a birth date
open a booking; a tracking code opens a report's status), and they travel in paths
(`/pesan/<code>/`, `/lapor/<code>/`, `/api/v1/bookings/<code>/`) that Django's own
`django.request` lines ("Not Found: /pesan/...") and our access lines print:
`mask_codes` keeps only their first two characters, wherever they appear.
"""

import logging
import re
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REDACTED = "[redacted]"

# Runs of 8+ digits cover NIK (16), WhatsApp numbers (62812..., 0812...) and DDMMYYYY
# dates; separated dates cover typed birth dates; e-mail addresses are contact data.
# The e-mail parts are bounded (as RFC 5321 bounds them): unbounded, a request path of
# 100 000 letters took minutes to redact, each letter a new start of a failing match.
_PERSONAL_DATA = re.compile(
    r"""
    \+?\d(?:[ -]?\d){7,}                      # phone numbers, NIK, compact dates
    | \b\d{1,2}[./-]\d{1,2}[./-]\d{4}\b       # 27/06/1978, 27-06-1978, 27.06.1978
    | \b\d{4}-\d{2}-\d{2}\b                   # 1978-06-27
    | [\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]+      # e-mail addresses
    """,
    re.VERBOSE,
)


# The code alphabet (bookings/codes.py: no 0/O, 1/I/L). immigration may not import
# bookings, so the shape is restated here; test_logging checks the two agree.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_C = "2-9A-HJKMNP-Z"
# A code as the system writes it (upper case, XXXXXXXX or XXXX-XXXX), anywhere in text.
_CODE_TOKEN = re.compile(rf"\b([{_C}]{{2}})[{_C}]{{2}}-?[{_C}]{{4}}\b")
# A path segment after a route that carries a code, in whatever case or form a person
# typed it (the views accept any case, dashes and spaces).
_CODE_SEGMENT = re.compile(
    r"(/(?:pesan|lapor|bookings|complaints)/)([^/?#\"'<>\r\n\t]{8,30})", re.IGNORECASE
)
_CODE_CANONICAL = re.compile(rf"[{_C}]{{8}}")
_CODE_SEPARATORS = re.compile(r"[\s-]|%20|%2D", re.IGNORECASE)


def _mask_segment(match: re.Match) -> str:
    """The segment may run on into the text after the path ("/pesan/abcd 2345 was not
    found"): the longest run of its words that is a code is masked."""
    route, segment = match.groups()
    words = segment.split(" ")
    for count in range(len(words), 0, -1):
        head = " ".join(words[:count])
        if _CODE_CANONICAL.fullmatch(_CODE_SEPARATORS.sub("", head).upper()):
            return f"{route}{head[:2]}**-****{segment[len(head) :]}"
    return match.group(0)


def mask_codes(text: str) -> str:
    """Keep only the first two characters of booking and tracking codes: in paths in
    any case and form, elsewhere as the system writes them (upper case)."""
    text = _CODE_SEGMENT.sub(_mask_segment, text)
    return _CODE_TOKEN.sub(r"\1**-****", text)


def redact(text: str) -> str:
    """Replace anything shaped like a phone number, NIK, date or e-mail address, and
    mask booking and tracking codes."""
    return mask_codes(_PERSONAL_DATA.sub(REDACTED, text))


class RequestIdFilter(logging.Filter):
    """Attach the current request's (or task's) id so one request's lines can be joined."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


# The attributes every record has; anything else came in through `extra=` and is
# printed by the JSON formatter as a field of its own.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Ours, and a random hex id that may well contain eight digits in a row.
_NOT_REDACTED = frozenset({"request_id"})


class RedactPersonalDataFilter(logging.Filter):
    """Render the message once and redact it, so `args` cannot smuggle data past us;
    redact the text fields passed with `extra=` too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRIBUTES | _NOT_REDACTED:
                continue
            if isinstance(value, str):
                setattr(record, name, redact(value))
            elif not isinstance(value, (int, float, bool, type(None))):
                setattr(record, name, _describe(value))
        return True


def _describe(value) -> str:
    """An object passed with `extra=` as the JSON formatter would print it (its repr),
    redacted. Django's `django.request` lines pass the request, whose repr carries the
    full path with its query string: only its method and redacted path are kept."""
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        return f"<request {method} {redact(path)}>"
    return redact(repr(value))


class JsonFormatter(_BaseJsonFormatter):
    """JSON lines with stable field names; tracebacks are redacted like messages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def formatException(self, ei) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))
