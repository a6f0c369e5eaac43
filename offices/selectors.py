"""Reads about offices that need thought: the calendar and availability of an office.

`office_availability` answers a month for one office in four queries (hours with the
release window and the draws holding days, overrides, closures, slots), whatever the
number of days or slots.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from immigration.compiled import CompiledLookup
from immigration.errors import DomainError
from offices import release_window, schedule
from offices.models import CapacityOverride, Closure, Office, OpeningHours, Slot

MAX_RANGE_DAYS = 62


class DayState:
    OPEN = "open"
    CLOSED = "closed"
    FULL = "full"
    NOT_RELEASED = "not_released"
    BY_DRAW = "by_draw"
    PAST = "past"


# In the API's order; the OpenAPI schema names this set DayStateEnum (settings).
DAY_STATES = (
    DayState.OPEN,
    DayState.CLOSED,
    DayState.FULL,
    DayState.NOT_RELEASED,
    DayState.BY_DRAW,
    DayState.PAST,
)


@dataclass(frozen=True)
class SlotAvailability:
    starts_at: dt.datetime  # aware, in the office's zone
    ends_at: dt.datetime
    capacity: int
    remaining: int
    slot_id: int | None = None  # None until the day's slots are rows


@dataclass(frozen=True)
class DayAvailability:
    date: dt.date
    state: str
    reason: str | None = None
    release_at: dt.datetime | None = None
    draw_closes_at: dt.datetime | None = None  # by_draw: when entries close (the draw)
    draw_url: str = ""  # by_draw: the draw's page
    capacity: int = 0
    remaining: int = 0
    slots: list[SlotAvailability] = field(default_factory=list)


def active_offices() -> QuerySet[Office]:
    return Office.objects.filter(is_active=True)


_ACTIVE_OFFICE = CompiledLookup(lambda code: active_offices().filter(code=code))


def active_office(code: str) -> Office | None:
    """The active office with this code, or None: `active_offices()` asked with SQL
    compiled once per process (immigration/compiled.py), the booking endpoint's lookup
    at every request of a rush. `code` is a validated slug (no NUL byte)."""
    return _ACTIVE_OFFICE.get(code)


_OFFICE_CODE = re.compile(r"[-a-zA-Z0-9_]{1,40}")


def office_with_code(offices: QuerySet[Office], code: str | None) -> Office | None:
    """The office of `offices` with this code, as a page's parameter gives it. Text no
    office code can be (a NUL byte, which PostgreSQL refuses even to compare) is no
    office, answered without a query."""
    if not code or not _OFFICE_CODE.fullmatch(code):
        return None
    return offices.filter(code=code).first()


def office_calendar(
    *, office: Office, start: dt.date, end: dt.date, annotate: dict | None = None
) -> schedule.OfficeCalendar:
    """Load what the calendar of `office` depends on between `start` and `end`.
    `annotate`: expressions read along with the hours rows (no query more)."""
    hours = office.opening_hours.all()
    if annotate:
        hours = hours.annotate(**annotate)
    return schedule.OfficeCalendar(
        office=office,
        hours={row.weekday: row for row in hours},
        overrides=tuple(office.capacity_overrides.filter(starts_on__lte=end, ends_on__gte=start)),
        closures={c.date: c for c in office.closures.filter(date__range=(start, end))},
    )


def validate_range(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise DomainError(
            code="invalid_range",
            message=_("The end date is before the start date."),
            fields={"end": [_("Must be on or after the start date.")]},
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(
            code="range_too_long",
            message=_("Ask for at most %(days)d days at a time.") % {"days": MAX_RANGE_DAYS},
            fields={
                "end": [_("At most %(days)d days after the start.") % {"days": MAX_RANGE_DAYS}]
            },
        )


def office_availability(
    *, office: Office, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> list[DayAvailability]:
    """Each day's state and each slot's remaining places, in the office's zone.

    A day is `past` before today, and today once the same-day cut-off has passed or
    every slot has started; `closed` on holidays, closures and weekdays without hours;
    `not_released` before its release time; `by_draw` while a draw not yet done holds
    it (settings.AVAILABILITY_DRAW_HOOK; booking it first come is refused), and once
    the draw is done released even before its own release time; `full` when
    no place is left; else `open`. A slot that has started is never offered.

    Queries: four; the release window and the draws holding days are read inside the
    hours query.
    """
    validate_range(start, end)
    now = now or timezone.now()
    holds = _draw_holds(office, start, end)
    # Read with the hours: the release window (its one definition is in SQL, the one
    # the booking is judged by) and the days draws hold.
    annotate = {"released_through": release_window.released_through(office, now)}
    if holds:
        annotate["draw_holds"] = holds.expression
    calendar = office_calendar(office=office, start=start, end=end, annotate=annotate)
    # An office without hours has no open day: none a draw could hold or that is released.
    first_hours = next(iter(calendar.hours.values()), None)
    held = holds.days(first_hours.draw_holds) if holds and first_hours else {}
    last_released = first_hours.released_through if first_hours else start - dt.timedelta(days=1)
    rows_by_day: dict[dt.date, list[Slot]] = {}
    # Retired slots (capacity 0, kept for the history of their bookings) are not offered.
    offered = Slot.objects.filter(office=office, date__range=(start, end), capacity__gt=0)
    for slot in offered.order_by("starts_at"):
        rows_by_day.setdefault(slot.date, []).append(slot)

    today = schedule.local_today(office, now)
    zone = calendar.zone
    result = []
    for day in schedule.days(start, end):
        if day < today or (day == today and schedule.same_day_closed(office, now)):
            result.append(DayAvailability(day, DayState.PAST))
            continue
        plan = schedule.plan_day(calendar, day)
        if not plan.is_open:
            result.append(DayAvailability(day, DayState.CLOSED, reason=plan.closed_reason))
            continue
        drawn = day in held and held[day].drawn
        if day in held and not drawn:
            # Before the single-day release rule: a draw's window opens when its first
            # day is released, and from then every day of the release is the draw's.
            result.append(
                DayAvailability(
                    day,
                    DayState.BY_DRAW,
                    draw_closes_at=held[day].closes_at.astimezone(zone),
                    draw_url=held[day].url,
                    capacity=plan.capacity,
                )
            )
            continue
        if day > last_released and not drawn:
            # A done draw released every day of its release at once.
            result.append(
                DayAvailability(
                    day,
                    DayState.NOT_RELEASED,
                    release_at=release_window.release_at(office, day),
                    capacity=plan.capacity,
                    remaining=plan.capacity,
                )
            )
            continue
        rows = rows_by_day.get(day)
        if rows is not None:
            slots = [
                SlotAvailability(
                    s.starts_at.astimezone(zone),
                    s.ends_at.astimezone(zone),
                    s.capacity,
                    s.remaining,
                    s.pk,
                )
                for s in rows
            ]
        else:
            slots = [
                SlotAvailability(p.starts_at, p.ends_at, p.capacity, p.capacity) for p in plan.slots
            ]
        capacity = sum(s.capacity for s in slots)
        upcoming = [s for s in slots if s.starts_at > now]
        if not upcoming:
            result.append(DayAvailability(day, DayState.PAST, capacity=capacity))
            continue
        remaining = sum(s.remaining for s in upcoming)
        state = DayState.OPEN if remaining > 0 else DayState.FULL
        result.append(
            DayAvailability(day, state, capacity=capacity, remaining=remaining, slots=upcoming)
        )
    return result


def _draw_holds(office: Office, start: dt.date, end: dt.date):
    """The days a draw holds (settings.AVAILABILITY_DRAW_HOOK, release/services.py
    `draw_holds`): an expression read with the hours, and how to read its value. Named
    in settings so offices imports no app above it."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    hook = getattr(settings, "AVAILABILITY_DRAW_HOOK", "")
    if not hook:
        return None
    return import_string(hook)(office=office, start=start, end=end)


def office_availability_cached(
    *, office: Office, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> list[DayAvailability]:
    """`office_availability`, kept in the cache for AVAILABILITY_CACHE_SECONDS (2 s)
    per office, range and language (a closed day's reason is worded in it).

    For the pages everyone reloads at release time (the booking page with a day
    chosen): a repeat within the seconds is one cache GET instead of four queries. The
    counts shown may be that many seconds old, as the calendar API's are; they only
    guide the choice, the booking itself is judged by PostgreSQL."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils.translation import get_language

    seconds = settings.AVAILABILITY_CACHE_SECONDS
    if not seconds:
        return office_availability(office=office, start=start, end=end, now=now)
    key = f"availability-days:{office.pk}:{start}:{end}:{get_language()}"
    days = cache.get(key)
    if days is None:
        days = office_availability(office=office, start=start, end=end, now=now)
        cache.set(key, days, seconds)
    return days


def offices_capacity(
    *, offices: QuerySet[Office], start: dt.date, end: dt.date
) -> dict[dt.date, int]:
    """Places per day over `offices`, as planned: a day whose slots are rows counts
    their capacity; an open day whose slots are not rows yet (nobody booked it, or it
    is not released) counts the capacity its hours and overrides plan; a closed day
    counts nothing. Five queries, whatever the number of offices or days."""
    offices = list(offices)
    ids = [o.pk for o in offices]
    hours: dict[int, dict[int, OpeningHours]] = {pk: {} for pk in ids}
    for row in OpeningHours.objects.filter(office_id__in=ids):
        hours[row.office_id][row.weekday] = row
    overrides: dict[int, list[CapacityOverride]] = {pk: [] for pk in ids}
    for row in CapacityOverride.objects.filter(
        office_id__in=ids, starts_on__lte=end, ends_on__gte=start
    ):
        overrides[row.office_id].append(row)
    closures: dict[int, dict[dt.date, Closure]] = {pk: {} for pk in ids}
    for row in Closure.objects.filter(office_id__in=ids, date__range=(start, end)):
        closures[row.office_id][row.date] = row
    rows = {
        (office_id, day): total
        for office_id, day, total in Slot.objects.filter(
            office_id__in=ids, date__range=(start, end)
        )
        .values_list("office_id", "date")
        .annotate(total=Sum("capacity"))
    }
    totals = dict.fromkeys(schedule.days(start, end), 0)
    for office in offices:
        calendar = schedule.OfficeCalendar(
            office=office,
            hours=hours[office.pk],
            overrides=tuple(overrides[office.pk]),
            closures=closures[office.pk],
        )
        for day in totals:
            if (office.pk, day) in rows:
                totals[day] += rows[office.pk, day]
            else:
                totals[day] += schedule.plan_day(calendar, day).capacity
    return totals
