"""Days known to be sold out, remembered by each web process for a moment.

When a day's quota is released, nearly every request of the rush is for a day that sold
out seconds earlier. The service refuses those on one indexed read before any lock
(`booking_day_room` in bookings/sql/booking_place.sql), but on the benchmark's 2-core machine a
refusal through the whole stack (sessions, DRF, two throttles, the office lookup, that
read) still cost about 10 ms of CPU (`make bench-profile`): the refusals took the CPU
the last bookings needed, and everyone waited. So when the service finds a day with no
place left it notes the day here for BOOKING_SOLD_OUT_SECONDS (1 s), and
`SoldOutMiddleware` answers the API's further requests for that day with the same 409
`day_full`, before the request reaches the session, DRF, the throttles or the database.

Why this is safe: only "no place left at all" is remembered, only for that moment and
only in this process, and remembering can only refuse, never book: the slot rows, their
counters and constraints stay the sole judges of a booking. A place freed in this
process (a cancellation) forgets the day at once; one freed in another process is
offered here at most a second later, as the calendar (cached 2 s) shows it.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from bookings import notices
from immigration.errors import ConflictError, error_body

# (office code, ISO date) -> (monotonic deadline, office name). Reads and writes of a
# dict are atomic under the GIL: gunicorn's threads share it without a lock.
_days: dict[tuple[str, str], tuple[float, str]] = {}


def remember(office_code: str, office_name: str, day: dt.date) -> None:
    seconds = settings.BOOKING_SOLD_OUT_SECONDS
    if seconds > 0:
        _days[(office_code, day.isoformat())] = (time.monotonic() + seconds, office_name)


def forget(office_code: str, day: dt.date) -> None:
    _days.pop((office_code, day.isoformat()), None)


def clear() -> None:
    _days.clear()


def office_name_if_sold_out(office_code: str, iso_day: str) -> str | None:
    """The office's name while (office, day) is remembered as sold out, else None."""
    entry = _days.get((office_code, iso_day))
    if entry is None:
        return None
    deadline, name = entry
    if time.monotonic() >= deadline:
        _days.pop((office_code, iso_day), None)
        return None
    return name


def day_full_error(office_name: str, day: dt.date, count: int) -> ConflictError:
    """The refusal of `count` places on a day without them (sent by the
    booking services and by this module for a day it remembers as sold out)."""
    if count > 1:
        message = _("There are not %(count)d places left at %(office)s on %(date)s.")
    else:
        message = _("%(office)s is fully booked on %(date)s.")
    return ConflictError(
        code="day_full",
        message=message % {"count": count, "office": office_name, "date": notices.day_text(day)},
    )


def _booking_request(body: bytes) -> tuple[str, str, int] | None:
    """(office, date, places) of a booking body, or None for anything unusual: those
    go the whole way and get the full validation's answer."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # a deeply nested body: the strict parser's 400
        return None
    if not isinstance(data, dict):
        return None
    office, day, family = data.get("office"), data.get("date"), data.get("family") or []
    if not (isinstance(office, str) and isinstance(day, str) and isinstance(family, list)):
        return None
    return office, day, 1 + len(family)


class SoldOutMiddleware:
    """Answer `POST /api/v1/bookings/` for a day remembered as sold out (see above).

    Costs nothing while no day is remembered: the body is only read when one is."""

    path = "/api/v1/bookings/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _days and request.method == "POST" and request.path == self.path:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _refusal(self, request):
        if request.content_type != "application/json":
            return None
        wanted = _booking_request(request.body)
        if wanted is None:
            return None
        office_code, iso_day, places = wanted
        name = office_name_if_sold_out(office_code, iso_day)
        if name is None:
            return None
        day = dt.date.fromisoformat(iso_day)
        with translation.override(translation.get_language_from_request(request)):
            error = day_full_error(name, day, places)
            response = JsonResponse(error_body(error.code, error.message), status=409)
        response["Vary"] = "Accept-Language, Cookie"
        # Not also a django.request warning per refusal ("Conflict: ..."): in a rush that
        # was thousands of lines a second and an eighth of a refusal's CPU in-process
        # (#19); the access log (immigration.middleware) has every refusal's line.
        response._has_been_logged = True
        return response
