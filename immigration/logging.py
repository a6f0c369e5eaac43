"""Log records as JSON lines, tagged with the request id, scrubbed of personal data.

One passport-queue site leaked its applicants' names, birth dates and WhatsApp numbers;
logs are a common way such data escapes. Code never logs names, birth dates, phone
numbers or NIK on purpose; the redaction filter is the safety net for what slips
through (a provider's error text quoting a number, an exception message with input).
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


def redact(text: str) -> str:
    """Replace anything shaped like a phone number, NIK, date or e-mail address."""
    return _PERSONAL_DATA.sub(REDACTED, text)


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
            if isinstance(value, str) and name not in _RECORD_ATTRIBUTES | _NOT_REDACTED:
                setattr(record, name, redact(value))
        return True


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
