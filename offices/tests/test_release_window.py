"""The release window has one definition, `office_released_through` in SQL
(offices/sql/release_window.sql). These tests hold every reader to it at many instants
around the release time and around midnight in each of the three zones: the booking
function's own verdict (`booking_place`, bookings/sql/booking_place.sql), the calendar,
and `release_at`, which words the instant a day opens."""

import datetime as dt
import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from offices import release_window, schedule
from offices.selectors import DayState, office_availability
from offices.tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT
RELEASE_TIMES = (dt.time(8, 0), dt.time(0, 0), dt.time(23, 30))
# A year's end, a month's end after February, an ordinary day.
DAYS = (dt.date(2026, 12, 31), dt.date(2027, 2, 28), dt.date(2027, 6, 15))
NEAR = (dt.timedelta(seconds=-1), dt.timedelta(0), dt.timedelta(seconds=1))


def _instants(zone: ZoneInfo, release_time: dt.time):
    """Instants a second either side of, and at, local midnight and the release time."""
    for day in DAYS:
        for anchor in (dt.time(0, 0), release_time):
            for near in NEAR:
                yield dt.datetime.combine(day, anchor, tzinfo=zone) + near


def _booking_place_verdict(office, day: dt.date, now: dt.datetime) -> str | None:
    """What `booking_place` refuses a booking of `day` at `now` for, asked with no one
    to book: the rules of time come first, and a released day without slot rows is
    refused `unplanned` before anything is locked or written."""
    request = {"office": office.pk, "day": day.isoformat(), "now": now.isoformat(), "people": []}
    with connection.cursor() as cursor:
        cursor.execute("SELECT booking_place(%s::jsonb)", [json.dumps(request)])
        return json.loads(cursor.fetchone()[0]).get("refused")


@pytest.mark.parametrize("zone_name", ZONES)
def test_every_reader_of_the_release_window_agrees_around_release_and_midnight(zone_name):
    zone = ZoneInfo(zone_name)
    checked = 0
    for release_time in RELEASE_TIMES:
        office = OfficeFactory(timezone=zone_name, booking_window_days=3, release_time=release_time)
        for now in _instants(zone, release_time):
            last = release_window.last_released_day(office, now)
            assert last >= now.astimezone(zone).date() + dt.timedelta(days=2)
            # The booking function: the last released day passes the rule, the next does not.
            assert _booking_place_verdict(office, last, now) == "unplanned", (now, last)
            assert _booking_place_verdict(office, last + dt.timedelta(days=1), now) == (
                "not_released"
            ), (now, last)
            # The instant a day is said to open is the one at which it opens.
            assert release_window.release_at(office, last) <= now, (now, last)
            assert release_window.release_at(office, last + dt.timedelta(days=1)) > now
            checked += 1
    assert checked == len(RELEASE_TIMES) * len(DAYS) * 2 * len(NEAR)


@pytest.mark.parametrize("zone_name", ZONES)
def test_the_calendar_shows_released_exactly_the_days_the_window_opens(zone_name):
    zone = ZoneInfo(zone_name)
    judged = 0
    for release_time in RELEASE_TIMES:
        office = OfficeFactory(
            timezone=zone_name,
            booking_window_days=3,
            release_time=release_time,
            hours__weekdays=range(7),
        )
        for now in _instants(zone, release_time):
            last = release_window.last_released_day(office, now)
            start = now.astimezone(zone).date() + dt.timedelta(days=1)
            end = last + dt.timedelta(days=2)
            for day in office_availability(office=office, start=start, end=end, now=now):
                if day.state == DayState.CLOSED:
                    continue  # a national holiday says so whatever its release
                assert (day.state == DayState.NOT_RELEASED) == (day.date > last), (now, day)
                if day.state == DayState.NOT_RELEASED:
                    assert day.release_at == release_window.release_at(office, day.date)
                judged += 1
    assert judged > len(RELEASE_TIMES) * len(DAYS) * 2 * len(NEAR) * 2


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("cutoff", [dt.time(12, 0), None])
def test_booking_place_and_the_calendar_agree_on_today_and_its_cutoff(zone_name, cutoff):
    """The office's today and its same-day cut-off, which the calendar computes in
    Python (offices/schedule.py) and booking_place in SQL: at midnight and at the
    cut-off in the office's zone, yesterday is past and today closes at the same instant
    for both."""
    zone = ZoneInfo(zone_name)
    office = OfficeFactory(timezone=zone_name, booking_window_days=3, same_day_cutoff=cutoff)
    for now in _instants(zone, cutoff or dt.time(12, 0)):
        today = schedule.local_today(office, now)
        yesterday = today - dt.timedelta(days=1)
        assert _booking_place_verdict(office, yesterday, now) == "date_past", now
        closed = schedule.same_day_closed(office, now)
        expected = "same_day_closed" if closed else "unplanned"
        assert _booking_place_verdict(office, today, now) == expected, now
        assert closed == (cutoff is None or now.astimezone(zone).time() >= cutoff)


def test_release_time_is_local_to_the_office():
    office = OfficeFactory(timezone="Asia/Jayapura", booking_window_days=30)
    release = release_window.release_at(office, dt.date(2027, 1, 4))
    assert release == dt.datetime(2026, 12, 5, 8, 0, tzinfo=ZoneInfo("Asia/Jayapura"))
    assert release.astimezone(UTC) == dt.datetime(2026, 12, 4, 23, 0, tzinfo=UTC)


def test_the_last_released_day_moves_at_the_release_time():
    office = OfficeFactory(booking_window_days=30)  # WIB, release 08:00
    before = dt.datetime(2026, 12, 1, 0, 59, 59, tzinfo=UTC)  # 07:59:59 WIB
    at = dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert release_window.last_released_day(office, before) == dt.date(2026, 12, 30)
    assert release_window.last_released_day(office, at) == dt.date(2026, 12, 31)


def test_the_same_instant_releases_different_days_in_each_zone():
    """23:30 UTC is 06:30 WIB, 07:30 WITA and 08:30 WIT: with an 08:00 release only
    Jayapura has released today's window."""
    instant = dt.datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    last = {
        zone: release_window.last_released_day(
            OfficeFactory(timezone=zone, booking_window_days=10), instant
        )
        for zone in ZONES
    }
    assert last == {
        "Asia/Jakarta": dt.date(2026, 12, 11),
        "Asia/Makassar": dt.date(2026, 12, 11),
        "Asia/Jayapura": dt.date(2026, 12, 12),
    }
