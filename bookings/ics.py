"""A booking's visit as an iCalendar (.ics) event, so the applicant's phone reminds them.

Written with `icalendar` (RFC 5545) rather than by hand: it escapes text, folds lines
longer than 75 octets without cutting a UTF-8 character in two (an office's address
often runs past that), and describes the office's zone in a VTIMEZONE. The times are
the office's own wall-clock times with its zone (`DTSTART;TZID=Asia/Makassar:...`),
so a calendar shows the visit at the hour the office states (07:30 WITA), whatever
zone the phone is set to. The event runs from the time to arrive by to the slot's end.

Reads only; takes no lock.
"""

import datetime as dt

import icalendar
from django.utils.translation import gettext as _

from bookings.models import Booking
from offices import schedule

PRODID = "-//Antrean//Imigrasi//ID"


def booking_ics(booking: Booking, *, now: dt.datetime) -> bytes:
    """The .ics file of `booking` (its slot and office loaded), worded in the active
    language; `now` is the file's DTSTAMP."""
    zone = schedule.office_zone(booking.office)
    event = icalendar.Event()
    event.add("uid", f"{booking.code}@antrean")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", booking.arrive_by.astimezone(zone))
    event.add("dtend", booking.slot.ends_at.astimezone(zone))
    # Outside the f-string: xgettext does not look inside one.
    summary = _("Passport appointment")
    event.add("summary", f"{summary} {booking.display_code}")
    event.add("location", f"{booking.office.name}, {booking.office.address}")
    queue_number = _("Queue number")
    event.add("description", f"{queue_number} {booking.queue_number}")

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()  # the office zone's VTIMEZONE, from the tz database
    return calendar.to_ical()
