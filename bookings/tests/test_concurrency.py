"""Races on real PostgreSQL: separate connections, released together by a barrier."""

import datetime as dt
import threading

import pytest
from django.db import connection

from bookings.models import Booking, BookingEvent
from bookings.retention import bookings_erase_personal_data
from bookings.services import bookings_expire_no_shows
from bookings.tests.factories import DAY, NOW, applicant, book, office
from bookings.tests.races import race
from immigration.errors import DomainError
from offices.models import Slot

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_bookings_of_a_five_place_slot_give_exactly_five():
    place = office(hours__daily_capacity=70)  # five places a slot
    slot = book(place).slot
    Booking.objects.all().delete()
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    results, errors = race([lambda: book(place, slot_id=slot.pk) for _ in range(50)])
    assert len(results) == 5
    assert len(errors) == 45
    assert all(isinstance(e, DomainError) and e.code == "slot_full" for e in errors), errors[:3]
    slot.refresh_from_db()
    assert slot.booked == 5
    assert Booking.objects.filter(slot=slot).count() == 5
    assert sorted(b.queue_seq for b in results) == [1, 2, 3, 4, 5]


def test_a_rush_on_a_day_never_overbooks_any_slot():
    place = office(hours__daily_capacity=28)  # two places in each of 14 slots
    results, errors = race([lambda: book(place) for _ in range(40)])
    assert len(results) == 28
    assert {e.code for e in errors} == {"day_full"}
    for slot in Slot.objects.filter(office=place):
        assert slot.booked == slot.capacity == slot.bookings.count()
    seqs = list(Booking.objects.values_list("queue_seq", flat=True))
    assert sorted(seqs) == list(range(1, 29))


def test_the_same_person_racing_twice_gets_one_booking():
    place = office()
    person = applicant("JOJO", dt.date(1978, 6, 27))
    results, errors = race([lambda: book(place, person=person) for _ in range(8)])
    assert len(results) == 1
    assert {e.code for e in errors} == {"duplicate_booking"}


def test_the_same_person_racing_at_two_offices_gets_one_booking():
    first, second = office(), office()
    person = applicant("JOJO", dt.date(1978, 6, 27))
    calls = [lambda p=p: book(p, person=person) for p in (first, second) * 4]
    results, errors = race(calls)
    assert len(results) == 1
    assert {e.code for e in errors} == {"duplicate_booking"}


def test_two_sweeps_at_once_expire_each_no_show_once():
    place = office()
    for _ in range(30):
        book(place)
    later = dt.datetime(2026, 12, 7, 20, 0, tzinfo=NOW.tzinfo)
    results, errors = race(
        [lambda: bookings_expire_no_shows(now=later, batch_size=7) for _ in range(2)]
    )
    assert errors == []
    assert sum(results) == 30
    assert Booking.objects.filter(status="expired").count() == 30
    assert BookingEvent.objects.filter(to_status="expired").count() == 30
    assert sum(Slot.objects.filter(office=place, date=DAY).values_list("booked", flat=True)) == 0


def test_a_full_day_is_refused_without_waiting_for_any_lock():
    """Once a day is sold out, the rush's refusals must not queue on the slot rows or
    the office-day lock: with every slot row and an exclusive office-day lock held by
    another transaction, a refusal still comes at once (lock_timeout would turn any
    wait into an error other than day_full)."""
    from immigration.locks import advisory_xact_lock, office_day_key

    place = office(hours__daily_capacity=14)
    for _ in range(14):
        book(place)
    held, release = threading.Event(), threading.Event()

    def hold_everything():
        from django.db import transaction

        try:
            with transaction.atomic():
                list(Slot.objects.select_for_update().filter(office=place, date=DAY))
                advisory_xact_lock(office_day_key(place.pk, DAY))
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_everything)
    holder.start()
    try:
        assert held.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        with pytest.raises(DomainError) as refused:
            book(place)
        assert refused.value.code == "day_full"
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")


def test_two_erasure_runs_at_once_erase_each_booking_once(settings):
    settings.BOOKING_RETENTION_DAYS = 365
    place = office()
    for _ in range(30):
        book(place)
    later = dt.datetime(2027, 12, 9, 3, 0, tzinfo=NOW.tzinfo)
    results, errors = race(
        [lambda: bookings_erase_personal_data(now=later, batch_size=7) for _ in range(2)]
    )
    assert errors == []
    assert sum(results) == 30
    assert Booking.objects.filter(personal_data_erased_at=later, name="", phone="").count() == 30


def test_with_every_slot_being_booked_a_booking_waits_and_takes_the_next_with_room():
    """SKIP LOCKED finds no free slot while another transaction holds them all; the
    booking then waits for the earliest, finds it filled when the holder commits, and
    takes the next slot with room: no error, no overbooking."""
    from django.db import transaction
    from django.db.models import F

    place = office(hours__daily_capacity=14)  # one place in each of 14 slots
    book(place)  # makes the day's slots
    Booking.objects.all().delete()
    Slot.objects.filter(office=place).update(booked=0)
    first, second = Slot.objects.filter(office=place, date=DAY).order_by("starts_at")[:2]
    held, release = threading.Event(), threading.Event()

    def hold_every_slot_and_fill_the_first():
        try:
            with transaction.atomic():
                list(Slot.objects.select_for_update().filter(office=place, date=DAY))
                Slot.objects.filter(pk=first.pk).update(booked=F("capacity"))
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_every_slot_and_fill_the_first)
    holder.start()
    outcome = {}

    def booker():
        try:
            outcome["booking"] = book(place)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    try:
        assert held.wait(30)
        waiting = threading.Thread(target=booker)
        waiting.start()
        with connection.cursor() as cursor:  # until the booker waits on a row lock
            for _ in range(300):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
            else:
                pytest.fail("the booking never waited for the slot rows")
    finally:
        release.set()
        holder.join(30)
    waiting.join(60)
    assert "error" not in outcome, outcome
    assert outcome["booking"].slot_id == second.pk
    assert list(
        Slot.objects.filter(pk__in=[first.pk, second.pk]).values_list("booked", flat=True)
    ) == [1, 1]
