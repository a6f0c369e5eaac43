"""Working days as SP4N-LAPOR! counts them: Monday to Friday, without national
holidays and collective leave (the same calendar that closes the offices)."""

import datetime as dt

from offices.schedule import national_holiday


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and national_holiday(day) is None


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date `count` working days after `start` (`start` itself does not count)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    days, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days += 1
    return days
