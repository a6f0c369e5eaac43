"""What every hostile-input test checks: the answer refuses clearly (or, where an input
is legitimately accepted, stores it as given), and nothing else changed."""

import json
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum

from bookings.models import Booking, BookingEvent
from complaints.models import Complaint, Evidence
from immigration.tests.hostile import Body
from offices.models import Office, Slot

# Markup from the catalogue, as it would appear if echoed unescaped. (Our own texts
# hold placeholders such as "STATUS <code>", which are not markup we were sent.)
RAW_HTML = re.compile(r"<\s*(script|img|svg|iframe|b>|/)|onerror\s*=", re.IGNORECASE)
# What leaks when an error escapes: a traceback, or the name of an exception class.
STACK_TRACE = re.compile(
    r"Traceback|File \"|DoesNotExist|(?:Integrity|Data|Value|Type|Key|Attribute|Unicode"
    r"(?:En|De)code|Recursion|Overflow|Domain|Programming|Operational|Lookup|Index)Error"
)
WHATSAPP_TEXT_MAX = 4096


def snapshot(media_root: Path) -> dict:
    """The rows a hostile input must not create or change, and the stored files."""
    return {
        "bookings": sorted(Booking.objects.values_list("code", "status", "slot_id")),
        "slot_booked": Slot.objects.aggregate(n=Sum("booked"))["n"] or 0,
        "booking_events": BookingEvent.objects.count(),
        "complaints": Complaint.objects.count(),
        "evidence": Evidence.objects.count(),
        "files": sorted(str(p) for p in Path(media_root).rglob("*") if p.is_file()),
    }


class State:
    """The snapshot at the start of one attempt, and the checks against it."""

    def __init__(self, media_root: Path):
        self.media_root = media_root
        self.before = snapshot(media_root)

    def unchanged(self) -> None:
        after = snapshot(self.media_root)
        changed = {key for key in after if after[key] != self.before[key]}
        assert not changed, f"changed: {sorted(changed)}"

    def added(self, **counts) -> dict:
        """Exactly `counts` new rows and files appeared (and nothing else moved)."""
        after = snapshot(self.media_root)
        for key in ("complaints", "evidence", "booking_events"):
            assert after[key] - self.before[key] == counts.get(key, 0), key
        for key in ("bookings", "files"):
            assert len(after[key]) - len(self.before[key]) == counts.get(key, 0), key
        return after

    def new_files(self) -> list[Path]:
        after = set(snapshot(self.media_root)["files"])
        return [Path(p) for p in after - set(self.before["files"])]


@dataclass
class World:
    """One office with one booking. A test tries its hostile input in several places,
    each attempt in a savepoint rolled back afterwards, and reports every place that
    failed, not only the first."""

    office: Office
    booking: Booking
    media_root: Path
    failures: list[str] = field(default_factory=list)

    @contextmanager
    def attempt(self, label: str):
        cache.clear()  # throttles and per-sender limits count each attempt afresh
        try:
            with transaction.atomic():
                yield State(self.media_root)
                transaction.set_rollback(True)
        except Exception as exc:  # a crash is a failure of this place, reported below
            self.failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:400]}")

    def verdict(self) -> None:
        assert not self.failures, "\n".join(self.failures)


def assert_api_refusal(response) -> dict:
    """A 4xx in the one error shape, with a code and a message a person can read."""
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.content[:300]!r}"
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"], error
    assert error["message"].strip(), error
    assert not STACK_TRACE.search(json.dumps(error)), error
    return error


def assert_page_refusal(response) -> str:
    """A page that says no: a 4xx, or the form again with the error shown. Never a
    trace, never the hostile markup unescaped."""
    page = response.content.decode("utf-8")
    assert response.status_code < 500, page[:500]
    if response.status_code < 400:
        assert response.status_code == 200, response.status_code
        assert 'role="alert"' in page, "the page shows no error"
    assert "Traceback" not in page
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror" not in page
    return page


def assert_polite_reply(text: str) -> None:
    """A WhatsApp answer: something to read, no trace, no markup echoed, and short
    enough for WhatsApp to deliver."""
    assert text.strip(), "an empty reply"
    assert not STACK_TRACE.search(text), text[:500]
    assert not RAW_HTML.search(text), text[:500]
    assert "\x00" not in text
    assert len(text) <= WHATSAPP_TEXT_MAX, len(text)


def post_json(client, path: str, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def post_raw(client, path: str, body: Body, **extra):
    """The bytes as they are (client.post would re-encode them to a declared charset)."""
    return client.generic("POST", path, body.data, content_type=body.content_type, **extra)


def set_at(body: dict, where: str, value) -> dict:
    """Put `value` at a dotted position (`family.0.name`) of a JSON body."""
    *parents, last = where.split(".")
    target = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


def _bytes(value) -> bytes:
    # A lone surrogate travels as the invalid UTF-8 a broken client would send.
    return str(value).encode("utf-8", "surrogatepass")


def form_body(data: dict) -> bytes:
    """An url-encoded form body, byte for byte (the test client would refuse to
    encode a lone surrogate)."""
    pairs = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{quote(key)}={quote(_bytes(item))}")
    return "&".join(pairs).encode()


def post_form(client, path: str, data: dict, **extra):
    return client.post(
        path, form_body(data), content_type="application/x-www-form-urlencoded", **extra
    )


def multipart(fields: dict, files=()) -> tuple[bytes, str]:
    """A multipart body, byte for byte: hostile values and file names go as they are."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
                + _bytes(item)
                + b"\r\n"
            )
    for field_name, filename, data, content_type in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '.encode()
            + b'filename="'
            + _bytes(filename).replace(b'"', b"%22")
            + b'"\r\n'
            + f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_multipart(client, path: str, fields: dict, files=(), **extra):
    body, content_type = multipart(fields, files)
    return client.post(path, body, content_type=content_type, **extra)
