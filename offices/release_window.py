"""When an office's days open for booking: the release window, whose one definition
is the SQL function `office_released_through` (offices/sql/release_window.sql).

The booking itself is judged in PostgreSQL (`booking_place`), so the calendar, the
WhatsApp replies, the waiting list and the draw ask the same function instead of
restating the rule in Python: at midnight in the office's zone or at the release time,
they cannot disagree with the booking about which days are open.
"""

import datetime as dt

from django.db import connection
from django.db.models import DateField, Func, Value

from offices.models import Office
from offices.schedule import office_zone


def released_through(office: Office, now: dt.datetime) -> Func:
    """The furthest day open for booking at `now`, as an expression to read along with
    a query the caller makes anyway (the calendar reads it with the opening hours)."""
    return Func(
        Value(office.timezone),
        Value(office.booking_window_days),
        Value(office.release_time),
        Value(now),
        function="office_released_through",
        output_field=DateField(),
    )


def last_released_day(office: Office, now: dt.datetime) -> dt.date:
    """The furthest day open for booking at `now`. One query, no lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT office_released_through(%s, %s, %s, %s)",
            [office.timezone, office.booking_window_days, office.release_time, now],
        )
        return cursor.fetchone()[0]


def release_at(office: Office, day: dt.date) -> dt.datetime:
    """When `day` opens for booking, to say so: the release time, `booking_window_days`
    before, in the office's zone. The inverse of `office_released_through` (`day` is
    open at `now` exactly when `release_at(day) <= now`), proven at many instants in
    each zone by offices/tests/test_release_window.py."""
    opens_on = day - dt.timedelta(days=office.booking_window_days)
    return dt.datetime.combine(opens_on, office.release_time, tzinfo=office_zone(office))
