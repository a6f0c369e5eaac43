"""office_availability: each day's state and the slots still on offer, per office zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from immigration.errors import DomainError
from offices.models import Slot
from offices.selectors import office_availability
from offices.services import slots_ensure
from offices.tests.factories import ClosureFactory, OfficeFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
WIB = ZoneInfo("Asia/Jakarta")


def _at(year, month, day, hour, minute, zone):
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def _day(office, day, now):
    return office_availability(office=office, start=day, end=day, now=now)[0]


def test_a_released_working_day_is_open_with_all_its_slots():
    office = OfficeFactory()
    now = _at(2026, 12, 1, 9, 0, "Asia/Jakarta")
    day = _day(office, dt.date(2026, 12, 7), now)
    assert day.state == "open"
    assert day.capacity == day.remaining == 140
    assert len(day.slots) == 14
    assert day.slots[0].starts_at.isoformat() == "2026-12-07T08:00:00+07:00"


def test_days_before_today_are_past():
    office = OfficeFactory()
    assert (
        _day(office, dt.date(2026, 11, 30), _at(2026, 12, 1, 9, 0, "Asia/Jakarta")).state == "past"
    )


def test_a_slot_that_has_started_is_never_offered():
    office = OfficeFactory(same_day_cutoff=dt.time(15, 0))
    day = _day(office, dt.date(2026, 12, 7), _at(2026, 12, 7, 10, 0, "Asia/Jakarta"))
    assert day.state == "open"
    assert day.slots[0].starts_at == _at(2026, 12, 7, 10, 30, "Asia/Jakarta")
    assert all(slot.starts_at > _at(2026, 12, 7, 10, 0, "Asia/Jakarta") for slot in day.slots)
    assert day.remaining == 90  # 9 slots of 10 left (10:30 to 11:30, 13:00 to 15:30)


def test_today_is_past_once_every_slot_has_started():
    office = OfficeFactory(same_day_cutoff=dt.time(23, 0))
    assert (
        _day(office, dt.date(2026, 12, 7), _at(2026, 12, 7, 15, 31, "Asia/Jakarta")).state == "past"
    )


def test_same_day_booking_closes_at_the_cutoff():
    office = OfficeFactory(same_day_cutoff=dt.time(11, 0))
    day = dt.date(2026, 12, 7)
    assert _day(office, day, _at(2026, 12, 7, 10, 59, "Asia/Jakarta")).state == "open"
    assert _day(office, day, _at(2026, 12, 7, 11, 0, "Asia/Jakarta")).state == "past"


def test_without_a_cutoff_today_is_never_bookable():
    office = OfficeFactory(same_day_cutoff=None)
    assert (
        _day(office, dt.date(2026, 12, 7), _at(2026, 12, 7, 7, 0, "Asia/Jakarta")).state == "past"
    )


def test_wita_and_wib_offices_differ_at_the_same_utc_instant():
    """04:10 UTC is 11:10 in Jakarta (before the 12:00 cut-off) and 12:10 in Makassar."""
    instant = dt.datetime(2026, 12, 7, 4, 10, tzinfo=UTC)
    day = dt.date(2026, 12, 7)
    wib = _day(OfficeFactory(timezone="Asia/Jakarta"), day, instant)
    wita = _day(OfficeFactory(timezone="Asia/Makassar"), day, instant)
    assert wib.state == "open"
    assert wib.slots[0].starts_at.isoformat() == "2026-12-07T11:30:00+07:00"
    assert wita.state == "past"


def test_a_wit_office_near_local_midnight_is_already_on_the_next_day():
    """15:30 UTC is 22:30 on 1 December in Jakarta but 00:30 on 2 December in Jayapura."""
    instant = dt.datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    jayapura = OfficeFactory(timezone="Asia/Jayapura", same_day_cutoff=dt.time(12, 0))
    jakarta = OfficeFactory(timezone="Asia/Jakarta", same_day_cutoff=dt.time(12, 0))
    # 1 December is yesterday in Jayapura, and today after the cut-off in Jakarta.
    assert _day(jayapura, dt.date(2026, 12, 1), instant).state == "past"
    assert _day(jakarta, dt.date(2026, 12, 1), instant).state == "past"
    # 2 December is tomorrow in Jakarta: its whole day is on offer.
    assert len(_day(jakarta, dt.date(2026, 12, 2), instant).slots) == 14
    # 2 December is today (before the cut-off) in Jayapura: its 08:00 WIT slot is on offer.
    today_wit = _day(jayapura, dt.date(2026, 12, 2), instant)
    assert today_wit.state == "open"
    assert today_wit.slots[0].starts_at.isoformat() == "2026-12-02T08:00:00+09:00"
    # Released days follow the office's own clock: at 00:30 WIT on 2 December the
    # release of 1 January (08:00 WIT) has not happened, 31 December's has.
    assert _day(jayapura, dt.date(2027, 1, 1), instant).state == "closed"  # New Year
    assert _day(jayapura, dt.date(2026, 12, 31), instant).state == "open"


def test_a_day_is_not_released_until_the_release_time_then_opens():
    office = OfficeFactory(booking_window_days=30, release_time=dt.time(8, 0))
    day = dt.date(2027, 1, 4)  # released at 08:00 WIB on 5 December
    before = _day(office, day, _at(2026, 12, 5, 7, 59, "Asia/Jakarta"))
    assert before.state == "not_released"
    assert before.release_at == _at(2026, 12, 5, 8, 0, "Asia/Jakarta")
    assert before.slots == []
    assert _day(office, day, _at(2026, 12, 5, 8, 0, "Asia/Jakarta")).state == "open"


def test_closed_days_say_why():
    office = OfficeFactory()
    ClosureFactory(office=office, date=dt.date(2026, 12, 8), reason="Pemadaman listrik")
    days = office_availability(
        office=office,
        start=dt.date(2026, 12, 6),
        end=dt.date(2026, 12, 8),
        now=_at(2026, 12, 1, 9, 0, "Asia/Jakarta"),
    )
    assert [(d.state, d.reason) for d in days] == [
        ("closed", "Tutup pada hari Minggu"),
        ("open", None),
        ("closed", "Pemadaman listrik"),
    ]


def test_a_day_whose_slots_are_all_taken_is_full():
    office = OfficeFactory()
    day = dt.date(2026, 12, 7)
    slots_ensure(office=office, day=day)
    Slot.objects.filter(office=office, date=day).update(booked=10)
    result = _day(office, day, _at(2026, 12, 1, 9, 0, "Asia/Jakarta"))
    assert result.state == "full"
    assert result.remaining == 0


def test_remaining_places_come_from_the_slot_rows():
    office = OfficeFactory()
    day = dt.date(2026, 12, 7)
    first = slots_ensure(office=office, day=day)[0]
    Slot.objects.filter(pk=first.pk).update(booked=7)
    result = _day(office, day, _at(2026, 12, 1, 9, 0, "Asia/Jakarta"))
    assert result.slots[0].slot_id == first.pk
    assert result.slots[0].remaining == 3
    assert result.remaining == 133


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (dt.date(2026, 12, 10), dt.date(2026, 12, 9), "invalid_range"),
        (dt.date(2026, 12, 1), dt.date(2027, 2, 1), "range_too_long"),
    ],
)
def test_reversed_or_too_long_ranges_are_refused(start, end, code):
    with pytest.raises(DomainError) as caught:
        office_availability(office=OfficeFactory(), start=start, end=end)
    assert caught.value.code == code


def test_a_62_day_range_is_accepted():
    days = office_availability(
        office=OfficeFactory(), start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 31)
    )
    assert len(days) == 62


def test_a_31_day_month_costs_a_handful_of_queries(django_assert_max_num_queries):
    office = OfficeFactory()
    now = _at(2026, 11, 30, 9, 0, "Asia/Jakarta")
    for offset in range(0, 31, 2):
        slots_ensure(office=office, day=dt.date(2026, 12, 1) + dt.timedelta(days=offset))
    ClosureFactory(office=office, date=dt.date(2026, 12, 10))
    with django_assert_max_num_queries(4):
        days = office_availability(
            office=office, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31), now=now
        )
    assert len(days) == 31
    assert sum(len(d.slots) for d in days) > 200
