"""The calendar arithmetic: slots, capacity sums, holidays, overrides, release."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offices import schedule
from offices.models import OpeningHours
from offices.selectors import office_calendar
from offices.tests.factories import CapacityOverrideFactory, ClosureFactory, OfficeFactory

UTC = dt.UTC


@given(capacity=st.integers(min_value=0, max_value=5000), parts=st.integers(1, 100))
def test_spread_adds_up_and_differs_by_at_most_one(capacity, parts):
    shares = schedule.spread(capacity, parts)
    assert sum(shares) == capacity
    assert len(shares) == parts
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


def _hours(opens, closes, break_=None, capacity=100):
    return OpeningHours(
        weekday=0,
        opens_at=dt.time(*opens),
        closes_at=dt.time(*closes),
        break_starts_at=dt.time(*break_[0]) if break_ else None,
        break_ends_at=dt.time(*break_[1]) if break_ else None,
        daily_capacity=capacity,
    )


def test_slots_run_back_to_back_and_skip_the_break():
    times = schedule.slot_times(_hours((8, 0), (16, 0), ((12, 0), (13, 0))), 30)
    starts = [start.strftime("%H:%M") for start, _ in times]
    assert starts[:8] == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert starts[8:] == ["13:00", "13:30", "14:00", "14:30", "15:00", "15:30"]


def test_no_slot_runs_into_the_break_or_past_closing():
    times = schedule.slot_times(_hours((7, 30), (16, 0), ((11, 45), (13, 0))), 60)
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in times] == [
        ("07:30", "08:30"),
        ("08:30", "09:30"),
        ("09:30", "10:30"),
        ("10:30", "11:30"),
        ("13:00", "14:00"),
        ("14:00", "15:00"),
        ("15:00", "16:00"),
    ]


@given(
    opens=st.integers(6 * 60, 9 * 60),
    length=st.integers(4 * 60, 12 * 60),
    slot_minutes=st.sampled_from([15, 20, 30, 60]),
    capacity=st.integers(0, 1000),
)
def test_the_slots_of_a_normal_day_add_up_to_the_daily_capacity(
    opens, length, slot_minutes, capacity
):
    hours = _hours(
        divmod(opens, 60), divmod(min(opens + length, 23 * 60 + 59), 60), capacity=capacity
    )
    times = schedule.slot_times(hours, slot_minutes)
    assert times
    assert sum(schedule.spread(capacity, len(times))) == capacity


@pytest.mark.django_db
def test_a_normal_monday_has_its_daily_capacity_over_14_slots():
    office = OfficeFactory(hours__daily_capacity=250)
    day = dt.date(2026, 12, 7)  # a Monday
    plan = schedule.plan_day(office_calendar(office=office, start=day, end=day), day)
    assert plan.is_open
    assert len(plan.slots) == 14
    assert plan.capacity == 250
    assert plan.slots[0].starts_at == dt.datetime(
        2026, 12, 7, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta")
    )
    assert {slot.capacity for slot in plan.slots} == {17, 18}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "reason_part"),
    [
        (dt.date(2026, 8, 17), "Kemerdekaan"),  # Independence Day, a Monday
        (dt.date(2026, 3, 23), "Cuti Bersama"),  # collective leave after Idul Fitri
        (dt.date(2026, 12, 25), "Natal"),
    ],
)
def test_national_holidays_and_collective_leave_close_the_office(day, reason_part):
    office = OfficeFactory()
    plan = schedule.plan_day(office_calendar(office=office, start=day, end=day), day)
    assert not plan.is_open
    assert reason_part in plan.closed_reason


@pytest.mark.django_db
def test_holiday_names_follow_the_active_language():
    from django.utils import translation

    with translation.override("en"):
        assert schedule.national_holiday(dt.date(2026, 8, 17)) == "Independence Day"
    with translation.override("id"):
        assert "Kemerdekaan" in schedule.national_holiday(dt.date(2026, 8, 17))


@pytest.mark.django_db
def test_an_ad_hoc_closure_closes_the_day_with_its_reason():
    closure = ClosureFactory(reason="Renovasi ruang layanan")
    plan = schedule.plan_day(
        office_calendar(office=closure.office, start=closure.date, end=closure.date), closure.date
    )
    assert plan.closed_reason == "Renovasi ruang layanan"


@pytest.mark.django_db
def test_weekdays_without_hours_are_closed_and_saturday_opens_where_it_has_hours():
    office = OfficeFactory(hours__weekdays=(0, 1, 2, 3, 4, 5))
    saturday, sunday = dt.date(2026, 12, 5), dt.date(2026, 12, 6)
    calendar = office_calendar(office=office, start=saturday, end=sunday)
    assert schedule.plan_day(calendar, saturday).is_open
    assert not schedule.plan_day(calendar, sunday).is_open


@pytest.mark.django_db
def test_a_capacity_override_applies_inside_its_range_only():
    override = CapacityOverrideFactory(
        office=OfficeFactory(hours__daily_capacity=250),
        starts_on=dt.date(2027, 6, 7),
        ends_on=dt.date(2027, 6, 11),
        daily_capacity=400,
    )
    office = override.office
    calendar = office_calendar(office=office, start=dt.date(2027, 6, 4), end=dt.date(2027, 6, 14))
    assert schedule.plan_day(calendar, dt.date(2027, 6, 4)).capacity == 250
    assert schedule.plan_day(calendar, dt.date(2027, 6, 7)).capacity == 400
    assert schedule.plan_day(calendar, dt.date(2027, 6, 11)).capacity == 400
    assert schedule.plan_day(calendar, dt.date(2027, 6, 14)).capacity == 250


@pytest.mark.django_db
def test_a_zero_capacity_override_closes_the_day_with_its_reason():
    override = CapacityOverrideFactory(daily_capacity=0, reason="Gangguan sistem SIMKIM")
    day = override.starts_on
    plan = schedule.plan_day(office_calendar(office=override.office, start=day, end=day), day)
    assert plan.closed_reason == "Gangguan sistem SIMKIM"


@pytest.mark.django_db
def test_jayapura_is_on_the_next_day_while_jakarta_is_not():
    instant = dt.datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 22:30 WIB, 00:30 WIT
    assert schedule.local_today(OfficeFactory(timezone="Asia/Jakarta"), instant) == dt.date(
        2026, 12, 1
    )
    assert schedule.local_today(OfficeFactory(timezone="Asia/Jayapura"), instant) == dt.date(
        2026, 12, 2
    )
