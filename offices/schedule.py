"""The calendar arithmetic of an office, as pure functions over already-loaded rows.

Selectors and services load an office's hours, overrides and closures once and ask
these functions about many days, so a month's calendar costs a few queries, not one
per day or slot. Everything here works in the office's own time zone: an office in
Jayapura (UTC+9) is on the next day while Jakarta (UTC+7) is not.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from offices import localtime
from offices.models import CapacityOverride, Closure, Office, OpeningHours, Weekday


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: dt.datetime  # aware, in the office's zone
    ends_at: dt.datetime
    capacity: int


@dataclass(frozen=True)
class DayPlan:
    """What a day should look like: closed (with the reason), or open with slots."""

    date: dt.date
    closed_reason: str | None
    slots: tuple[PlannedSlot, ...] = ()
    # Closed because the office never opens on this weekday (not a holiday or closure).
    closed_weekly: bool = False

    @property
    def is_open(self) -> bool:
        return self.closed_reason is None

    @property
    def capacity(self) -> int:
        return sum(slot.capacity for slot in self.slots)


@dataclass(frozen=True)
class OfficeCalendar:
    """An office with the rows its calendar depends on, loaded once."""

    office: Office
    hours: dict[int, OpeningHours]
    overrides: tuple[CapacityOverride, ...]
    closures: dict[dt.date, Closure]

    @property
    def zone(self) -> ZoneInfo:
        return office_zone(self.office)


def office_zone(office: Office) -> ZoneInfo:
    return ZoneInfo(office.timezone)


def local_now(office: Office, now: dt.datetime) -> dt.datetime:
    return now.astimezone(office_zone(office))


def local_today(office: Office, now: dt.datetime) -> dt.date:
    return local_now(office, now).date()


def _holiday_language() -> str:
    return "id" if (get_language() or "id").startswith("id") else "en_US"


def national_calendar(years, language: str | None = None) -> holidays.HolidayBase:
    """Indonesia's national holidays and collective leave (cuti bersama, the "government"
    category) of `years`, the days every office closes: the one definition, for the
    offices' calendar and the complaints' working days. Built whole (expand=False): it
    never fills in another year on first touch, so threads may share it."""
    return holidays.country_holidays(
        "ID", years=years, expand=False, language=language, categories=("public", "government")
    )


@lru_cache(maxsize=64)
def _holidays_of(year: int, language: str) -> dict[dt.date, str]:
    return dict(national_calendar(year, language).items())


def national_holiday(day: dt.date) -> str | None:
    """The name of the national holiday or collective leave on `day`, if any."""
    return _holidays_of(day.year, _holiday_language()).get(day)


def spread(capacity: int, parts: int) -> list[int]:
    """Split a day's capacity over its slots as evenly as possible, earlier slots
    taking the remainder, so the parts always add up to the whole."""
    if parts <= 0:
        return []
    base, extra = divmod(capacity, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def slot_times(hours: OpeningHours, slot_minutes: int) -> list[tuple[dt.time, dt.time]]:
    """Local start and end times of the slots of one day: back to back from opening,
    none running into the break or past closing."""
    step = dt.timedelta(minutes=slot_minutes)
    anchor = dt.date(2000, 1, 3)
    cursor = dt.datetime.combine(anchor, hours.opens_at)
    closes = dt.datetime.combine(anchor, hours.closes_at)
    break_start = break_end = None
    if hours.break_starts_at and hours.break_ends_at:
        break_start = dt.datetime.combine(anchor, hours.break_starts_at)
        break_end = dt.datetime.combine(anchor, hours.break_ends_at)
    times = []
    while cursor + step <= closes:
        end = cursor + step
        if break_start and cursor < break_end and end > break_start:
            cursor = max(cursor, break_end)
            continue
        times.append((cursor.time(), end.time()))
        cursor = end
    return times


def override_for(calendar: OfficeCalendar, day: dt.date) -> CapacityOverride | None:
    # The latest-starting override wins where ranges overlap: the most specific one.
    matching = [o for o in calendar.overrides if o.starts_on <= day <= o.ends_on]
    return max(matching, key=lambda o: (o.starts_on, o.pk or 0), default=None)


def plan_day(calendar: OfficeCalendar, day: dt.date) -> DayPlan:
    closure = calendar.closures.get(day)
    if closure is not None:
        return DayPlan(day, closure.reason)
    holiday = national_holiday(day)
    if holiday:
        return DayPlan(day, holiday)
    hours = calendar.hours.get(day.weekday())
    if hours is None:
        return DayPlan(
            day,
            _("Closed on %(weekday)s") % {"weekday": Weekday(day.weekday()).label},
            closed_weekly=True,
        )
    override = override_for(calendar, day)
    capacity = override.daily_capacity if override else hours.daily_capacity
    if capacity == 0:
        return DayPlan(day, override.reason if override else _("No service"))
    times = slot_times(hours, calendar.office.slot_minutes)
    zone = calendar.zone
    slots = tuple(
        PlannedSlot(
            starts_at=dt.datetime.combine(day, start, tzinfo=zone),
            ends_at=dt.datetime.combine(day, end, tzinfo=zone),
            capacity=part,
        )
        for (start, end), part in zip(times, spread(capacity, len(times)), strict=True)
        if part > 0
    )
    return DayPlan(day, None, slots)


def same_day_closed(office: Office, now: dt.datetime) -> bool:
    """Whether booking for today has closed at `now` (the same-day cut-off passed)."""
    if office.same_day_cutoff is None:
        return True
    return local_now(office, now).time() >= office.same_day_cutoff


def closed_reason_at(
    calendar: OfficeCalendar, at: dt.datetime, *, early: dt.timedelta = dt.timedelta(0)
) -> str | None:
    """Why the office is not serving at the instant `at`, in words a person reads, or
    None while it is: on a closed day (holiday, closure, weekday without hours), before
    opening (less `early`, how long before opening the door may already serve) and
    after closing. The midday break counts as open: people wait inside."""
    local = at.astimezone(calendar.zone)
    day = local.date()
    plan = plan_day(calendar, day)
    if not plan.is_open:
        return _("The office is closed today (%(reason)s).") % {"reason": plan.closed_reason}
    hours = calendar.hours[day.weekday()]
    opens = dt.datetime.combine(day, hours.opens_at, tzinfo=calendar.zone)
    closes = dt.datetime.combine(day, hours.closes_at, tzinfo=calendar.zone)
    if local < opens - early:
        return _("The office is not open yet: service starts at %(time)s.") % {
            "time": localtime.local_text(opens - early, calendar.office)
        }
    if local >= closes:
        return _("The office has closed for today (it closed at %(time)s).") % {
            "time": localtime.local_text(closes, calendar.office)
        }
    return None


def days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    for offset in range((end - start).days + 1):
        yield start + dt.timedelta(days=offset)
