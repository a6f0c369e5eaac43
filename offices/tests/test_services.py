"""Slot rows: created once, re-planned safely, never left short of their bookings."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import F

from immigration.errors import ConflictError, DomainError
from offices.models import Closure, Office, OpeningHours, Slot
from offices.services import (
    closure_create,
    office_resync_slots,
    slots_ensure,
    slots_release_due,
    slots_sync,
)
from offices.tests.factories import CapacityOverrideFactory, OfficeFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_slots_ensure_creates_the_days_plan_once():
    office = OfficeFactory()
    first = slots_ensure(office=office, day=MONDAY)
    again = slots_ensure(office=office, day=MONDAY)
    assert len(first) == 14
    assert [s.pk for s in first] == [s.pk for s in again]
    assert sum(s.capacity for s in first) == 140
    assert Slot.objects.filter(office=office).count() == 14


def test_slots_ensure_gives_a_closed_day_no_slots():
    office = OfficeFactory()
    assert slots_ensure(office=office, day=dt.date(2026, 12, 25)) == []  # Christmas
    assert not Slot.objects.exists()


def test_the_database_refuses_more_bookings_than_places():
    slot = slots_ensure(office=OfficeFactory(), day=MONDAY)[0]
    with pytest.raises(IntegrityError):
        Slot.objects.filter(pk=slot.pk).update(booked=F("capacity") + 1)


def test_a_conditional_increment_stops_at_capacity():
    slot = slots_ensure(office=OfficeFactory(), day=MONDAY)[0]
    taken = sum(
        Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
        for _ in range(slot.capacity + 5)
    )
    assert taken == slot.capacity


@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_of_one_day_create_each_slot_once():
    office = OfficeFactory()
    errors = []
    barrier = threading.Barrier(6)

    def release():
        try:
            barrier.wait()
            slots_ensure(office=office, day=MONDAY)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=release) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert errors == []
    assert Slot.objects.filter(office=office, date=MONDAY).count() == 14


def test_raising_capacity_updates_existing_slots():
    office = OfficeFactory()
    slots_ensure(office=office, day=MONDAY)
    OpeningHours.objects.filter(office=office).update(daily_capacity=280)
    assert office_resync_slots(office=office, now=NOW) == 1
    assert (
        sum(Slot.objects.filter(office=office, date=MONDAY).values_list("capacity", flat=True))
        == 280
    )


def test_lowering_capacity_below_bookings_is_refused_and_changes_nothing():
    office = OfficeFactory()
    first = slots_ensure(office=office, day=MONDAY)[0]
    Slot.objects.filter(pk=first.pk).update(booked=9)
    CapacityOverrideFactory(office=office, starts_on=MONDAY, ends_on=MONDAY, daily_capacity=70)
    with pytest.raises(ConflictError) as caught:
        slots_sync(office=office, day=MONDAY)
    assert caught.value.code == "capacity_below_booked"
    assert "08:00 WIB" in str(caught.value.message)
    assert "9" in str(caught.value.message)
    assert set(
        Slot.objects.filter(office=office, date=MONDAY).values_list("capacity", flat=True)
    ) == {10}


def test_shorter_hours_delete_unbooked_slots_and_keep_the_sum():
    office = OfficeFactory()
    slots_ensure(office=office, day=MONDAY)
    OpeningHours.objects.filter(office=office).update(closes_at=dt.time(15, 0))
    slots = slots_sync(office=office, day=MONDAY)
    assert len(slots) == 12
    assert slots[-1].starts_at.astimezone(ZoneInfo("Asia/Jakarta")).time() == dt.time(14, 30)
    assert sum(s.capacity for s in slots) == 140


def test_release_due_creates_only_released_days():
    office = OfficeFactory(booking_window_days=7)
    Office.objects.exclude(pk=office.pk).update(is_active=False)
    created = slots_release_due(now=NOW)
    dates = set(Slot.objects.filter(office=office).values_list("date", flat=True))
    # 1-8 December, weekdays only, today included (before the cut-off).
    assert dates == {dt.date(2026, 12, d) for d in (1, 2, 3, 4, 7, 8)}
    assert created == 6
    assert slots_release_due(now=NOW) == 0


def test_closing_a_day_removes_its_free_slots():
    office = OfficeFactory()
    slots_ensure(office=office, day=MONDAY)
    closure = closure_create(office=office, date=MONDAY, reason=" Pemadaman listrik ", now=NOW)
    assert closure.reason == "Pemadaman listrik"
    assert not Slot.objects.filter(office=office, date=MONDAY).exists()
    assert slots_ensure(office=office, day=MONDAY) == []


def test_closing_a_day_with_bookings_is_refused_for_now():
    office = OfficeFactory()
    first = slots_ensure(office=office, day=MONDAY)[0]
    Slot.objects.filter(pk=first.pk).update(booked=1)
    with pytest.raises(ConflictError):
        closure_create(office=office, date=MONDAY, reason="Banjir", now=NOW)
    assert not Closure.objects.exists()
    assert Slot.objects.filter(office=office, date=MONDAY).count() == 14


@pytest.mark.parametrize(
    ("day", "reason", "code"),
    [
        (dt.date(2026, 11, 30), "Banjir", "closure_in_past"),
        (MONDAY, "   ", "closure_reason_required"),
    ],
)
def test_bad_closures_are_refused(day, reason, code):
    with pytest.raises(DomainError) as caught:
        closure_create(office=OfficeFactory(), date=day, reason=reason, now=NOW)
    assert caught.value.code == code
    assert not Closure.objects.exists()


def test_closing_a_day_twice_is_refused():
    office = OfficeFactory()
    closure_create(office=office, date=MONDAY, reason="Banjir", now=NOW)
    with pytest.raises(ConflictError):
        closure_create(office=office, date=MONDAY, reason="Banjir lagi", now=NOW)


def test_closing_a_day_whose_slots_hold_only_cancelled_bookings_keeps_their_rows():
    from bookings.services import Actor, booking_cancel
    from bookings.tests.factories import book

    office = OfficeFactory()
    booking = book(office, day=MONDAY, now=NOW)
    booking_cancel(booking=booking, actor=Actor.system(), now=NOW)
    closure_create(office=office, date=MONDAY, reason="Banjir", now=NOW)
    kept = Slot.objects.get(office=office, date=MONDAY)
    assert (kept.pk, kept.capacity, kept.booked) == (booking.slot_id, 0, 0)
    from offices.selectors import office_availability

    day = office_availability(office=office, start=MONDAY, end=MONDAY, now=NOW)[0]
    assert (day.state, day.slots) == ("closed", [])


def test_shorter_hours_retire_a_slot_with_only_cancelled_bookings():
    from bookings.services import Actor, booking_cancel
    from bookings.tests.factories import book

    office = OfficeFactory()
    last = (
        Slot.objects.get(
            office=office,
            date=MONDAY,
            starts_at=dt.datetime(2026, 12, 7, 15, 30, tzinfo=ZoneInfo("Asia/Jakarta")),
        )
        if slots_ensure(office=office, day=MONDAY)
        else None
    )
    booking_cancel(
        booking=book(office, day=MONDAY, now=NOW, slot_id=last.pk), actor=Actor.system(), now=NOW
    )
    OpeningHours.objects.filter(office=office).update(closes_at=dt.time(15, 0))
    office_resync_slots(office=office, now=NOW)
    last.refresh_from_db()
    assert last.capacity == 0
    assert Slot.objects.filter(office=office, date=MONDAY, capacity__gt=0).count() == 12


@pytest.mark.django_db(transaction=True)
def test_a_closure_racing_bookings_never_leaves_a_booking_on_a_closed_day():
    from bookings.tests.factories import applicant, book

    office = OfficeFactory()
    barrier = threading.Barrier(9)
    outcomes = []

    def booker():
        try:
            barrier.wait()
            book(office, day=MONDAY, now=NOW, person=applicant())
            outcomes.append("booked")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    def closer():
        try:
            barrier.wait()
            closure_create(office=office, date=MONDAY, reason="Banjir", now=NOW)
            outcomes.append("closed")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=booker) for _ in range(8)] + [
        threading.Thread(target=closer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    from bookings.models import Booking

    holding = Booking.objects.filter(office=office, date=MONDAY, status="booked").count()
    if Closure.objects.filter(office=office, date=MONDAY).exists():
        assert holding == 0
        assert set(outcomes) <= {"closed", "day_closed"}
    else:
        assert "capacity_below_booked" in outcomes
        assert holding >= 1
