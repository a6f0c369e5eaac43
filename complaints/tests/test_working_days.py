"""Complaint deadlines across the year's end (complaints/working_days.py): Christmas, its
collective leave, New Year's Day and Isra' Mi'raj fall between 23 December 2026 and
6 January 2027, and the counting must carry on into the next year's calendar."""

import datetime as dt

import pytest

from complaints.working_days import add_working_days, is_working_day, working_days_between

WED_23_DEC = dt.date(2026, 12, 23)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # 24 Dec (cuti bersama), 25 Dec, the weekend: the first is Monday 28 December.
        (WED_23_DEC, 1, dt.date(2026, 12, 28)),
        # 28-31 Dec, then 1 Jan and the weekend: the fifth is Monday 4 January.
        (WED_23_DEC, 5, dt.date(2027, 1, 4)),
        # 5 January is Isra' Mi'raj.
        (WED_23_DEC, 6, dt.date(2027, 1, 6)),
        (dt.date(2026, 12, 31), 1, dt.date(2027, 1, 4)),
        (WED_23_DEC, 0, WED_23_DEC),
    ],
)
def test_deadlines_cross_the_years_end(start, days, due):
    assert add_working_days(start, days) == due


def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(WED_23_DEC, dt.date(2027, 1, 6)) == 6
    assert working_days_between(WED_23_DEC, dt.date(2026, 12, 27)) == 0
    assert working_days_between(WED_23_DEC, WED_23_DEC) == 0
    assert working_days_between(dt.date(2027, 1, 6), WED_23_DEC) == 0


def test_a_holiday_and_a_weekend_are_not_working_days():
    assert not is_working_day(dt.date(2026, 12, 24))  # collective leave
    assert not is_working_day(dt.date(2027, 1, 2))  # Saturday
    assert is_working_day(dt.date(2026, 12, 28))
