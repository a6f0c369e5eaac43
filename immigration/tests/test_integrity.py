"""Which constraint a failed INSERT broke (immigration/integrity.py), read from the
database's report, and what a booking's insert does with each (bookings/services/allocation.py,
`_insert`): a code drawn twice is drawn again, a queue number taken is renumbered, the
same person twice is a clean refusal, anything else is not swallowed."""

import pytest
from django.db import IntegrityError, transaction

from bookings import codes
from bookings.models import Booking
from bookings.services import _insert
from bookings.tests.factories import applicant, book, office
from immigration.errors import ConflictError
from immigration.integrity import Violation, violated_constraint

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
    first = book(office())
    drawn = iter([first.code, "ZZZZ5555"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    second = _insert(_copy(first, name=applicant().name, queue_seq=first.queue_seq + 1))
    assert second.code == "ZZZZ5555"
    assert Booking.objects.filter(code="ZZZZ5555").exists()


def test_a_queue_number_taken_is_renumbered_after_the_days_last():
    first = book(office())
    last = book(first.office)
    row = _insert(_copy(first, name=applicant().name))
    assert row.queue_seq == max(first.queue_seq, last.queue_seq) + 1


def test_the_same_person_twice_is_a_clean_refusal():
    first = book(office())
    with pytest.raises(ConflictError) as caught:
        _insert(_copy(first, queue_seq=first.queue_seq + 50))
    assert caught.value.code == "duplicate_booking"


def test_another_constraint_is_not_swallowed():
    first = book(office())
    with pytest.raises(IntegrityError):
        _insert(_copy(first, name=applicant().name, queue_seq=0))
    assert Booking.objects.count() == 1
