"""The .ics file (bookings/ics.py), parsed back with icalendar: the visit at the office's
own wall-clock time in its own zone (WIB, WITA, WIT), that zone described in a
VTIMEZONE, long lines folded, text escaped."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.conf import settings
from django.utils import translation

from bookings.ics import booking_ics
from bookings.tests.factories import NOW, book, office

pytestmark = pytest.mark.django_db

# A long address with the characters RFC 5545 escapes (, ;) and non-ASCII (—, é):
# folding must not cut a UTF-8 character in two.
ADDRESS = (
    "Jl. Jenderal Sudirman No. 1; Kel. Karang Timur — Kec. Karang Tengah, Kota Tangerang, "
    "Banten 15157 (gedung café, lantai 2)"
)


@pytest.mark.parametrize(
    ("zone", "label", "offset"),
    [
        ("Asia/Jakarta", "WIB", dt.timedelta(hours=7)),
        ("Asia/Makassar", "WITA", dt.timedelta(hours=8)),
        ("Asia/Jayapura", "WIT", dt.timedelta(hours=9)),
    ],
)
def test_the_visit_is_at_the_offices_own_time_in_its_own_zone(zone, label, offset):
    place = office(timezone=zone, address=ADDRESS)
    booking = book(place)
    with translation.override("id"):
        body = booking_ics(booking, now=NOW)

    calendar = icalendar.Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    arrive_by = booking.slot.starts_at - dt.timedelta(
        minutes=settings.BOOKING_ARRIVE_BEFORE_MINUTES
    )
    assert start == arrive_by
    assert end == booking.slot.ends_at
    # Wall-clock time in the office's zone, named by its TZID, not UTC.
    assert event["dtstart"].params["TZID"] == zone
    assert start.tzinfo.key == zone
    assert start.replace(tzinfo=None) == arrive_by.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert b"DTSTART;TZID=" + zone.encode() + b":" in body

    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert vtimezone["tzid"] == zone
    (standard,) = vtimezone.walk("STANDARD")
    assert standard["tzname"] == label
    assert standard["tzoffsetto"].td == offset

    assert event["uid"] == f"{booking.code}@antrean"
    assert event["location"] == f"{place.name}, {ADDRESS}"
    assert event["summary"] == f"Janji temu paspor {booking.display_code}"
    assert event["description"] == f"Nomor antrean {booking.queue_number}"
    assert event.decoded("dtstamp") == NOW


def test_long_lines_are_folded_at_75_octets_and_escaped():
    booking = book(office(address=ADDRESS))
    body = booking_ics(booking, now=NOW)
    lines = body.split(b"\r\n")
    assert body.endswith(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the address was folded
    for line in lines:
        line.decode("utf-8")  # no character cut in two by a fold
    unfolded = body.replace(b"\r\n ", b"")
    assert b"Jl. Jenderal Sudirman No. 1\\; Kel. Karang Timur" in unfolded
    assert b"Kota Tangerang\\, Banten" in unfolded
