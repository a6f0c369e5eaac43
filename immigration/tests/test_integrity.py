"""Which constraint a failed INSERT broke (immigration/integrity.py), read from the
database's report, and what a booking's insert does (bookings/sql/booking_place.sql):
a code drawn twice is drawn again, a slot whose numbers are taken numbers after the
day's last, the same person twice is a clean refusal."""

import pytest
from django.db import IntegrityError, transaction

from bookings import codes
from bookings.models import Booking
from bookings.tests.factories import applicant, book, office
from immigration.errors import ConflictError
from immigration.integrity import Violation, violated_constraint
from offices.models import Slot

pytestmark = pytest.mark.django_db


def _copy(booking: Booking, **changes) -> Booking:
    twin = Booking.objects.get(pk=booking.pk)
    twin.pk = None
    twin._state.adding = True
    for name, value in changes.items():
        setattr(twin, name, value)
    return twin


def _broken(row: Booking) -> Violation:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        row.save()
    return violated_constraint(caught.value, Booking)


def test_the_database_names_the_constraint_and_its_columns():
    first = book(office())
    other = applicant()
    same_code = _copy(first, name=other.name, queue_seq=first.queue_seq + 50)
    assert _broken(same_code).columns == ("code",)
    assert _broken(same_code).constraint  # the name PostgreSQL gave `unique=True`

    same_number = _copy(first, code="ZZZZ2222", name=other.name)
    assert _broken(same_number) == Violation(
        "booking_unique_queue_number", ("office_id", "date", "queue_seq")
    )

    same_person = _copy(first, code="ZZZZ3333", queue_seq=first.queue_seq + 50)
    assert _broken(same_person).constraint == "booking_one_per_person_office_day"

    not_positive = _copy(first, code="ZZZZ4444", name=other.name, queue_seq=0)
    assert _broken(not_positive).constraint == "booking_queue_seq_positive"


def test_an_error_without_diagnostics_names_no_constraint():
    # Not from the database (nothing to read the constraint from): no guess from the text.
    report = IntegrityError("duplicate key value violates unique constraint")
    assert violated_constraint(report, Booking) == Violation(None, ())


def test_a_code_drawn_twice_is_drawn_again(monkeypatch):
    """booking_place (bookings/sql/booking_place.sql) takes the next code drawn when
    one is taken: the first code drawn for the second booking is the first's."""
    first = book(office())
    drawn = iter([first.code, "ZZZZ5555", "ZZZZ6666", "ZZZZ7777"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    second = book(first.office)
    assert second.code == "ZZZZ5555"
    assert Booking.objects.filter(code="ZZZZ5555").exists()
    assert Booking.objects.filter(code=first.code).count() == 1


def test_a_slot_whose_numbers_are_all_taken_numbers_after_the_days_last():
    """After a re-plan moved the ranges, a slot's range may be taken by bookings of
    another slot: the booking is numbered after the day's last."""
    first = book(office())
    slot = first.slot
    later = Slot.objects.filter(office=slot.office, date=slot.date, starts_at__gt=slot.starts_at)
    other = book(first.office, slot_id=later.order_by("starts_at").first().pk)
    # The first slot's range is now one number wide, and another slot's booking has it.
    Slot.objects.filter(pk=slot.pk).update(capacity=2, queue_base=0)
    Booking.objects.filter(pk=first.pk).update(queue_seq=2)
    Booking.objects.filter(pk=other.pk).update(queue_seq=1)
    row = book(first.office)
    assert row.slot_id == slot.pk
    assert row.queue_seq == 3  # the day's last (2) + 1


def test_the_same_person_twice_is_a_clean_refusal():
    first = book(office())
    same = applicant(name=first.name, birth_date=first.birth_date)
    with pytest.raises(ConflictError) as caught:
        book(first.office, person=same)
    assert caught.value.code == "duplicate_booking"
    assert Booking.objects.count() == 1
