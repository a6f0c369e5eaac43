"""Who may be booked and what they bring (issue #21 §2): Indonesian mobile numbers
only, names of two letters or more, and a child's documents instead of a KTP."""

import datetime as dt

import pytest
from django.utils import translation

from bookings.applicant import normalise_booking_phone, validate_name
from bookings.models import Booking
from bookings.notices import what_to_bring
from bookings.tests.factories import DAY, applicant, book, book_family, office
from immigration.errors import DomainError
from notifications.models import OutboundMessage


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("0857 1234 567", "628571234567"),
    ],
)
def test_indonesian_mobile_numbers_are_accepted(typed, digits):
    assert normalise_booking_phone(typed) == digits


@pytest.mark.parametrize(
    "typed",
    [
        "+1 202 555 0143",  # the United States
        "+65 9123 4567",  # Singapore
        "021 555 0123",  # a Jakarta landline: no WhatsApp notice would reach it
        "+62 21 555 0123",
        "0812 345",
    ],
)
def test_numbers_that_are_not_indonesian_mobiles_are_refused_saying_what_to_type(typed):
    with pytest.raises(DomainError) as caught:
        normalise_booking_phone(typed)
    assert caught.value.code == "invalid_phone"
    with translation.override("id"):
        assert "08" in str(caught.value.fields["phone"][0])
        assert "nomor HP Indonesia" in str(caught.value.message)
    with translation.override("en"):
        assert "Indonesian mobile number" in str(caught.value.message)


@pytest.mark.django_db
def test_a_booking_from_a_foreign_number_is_refused_and_books_nothing():
    with pytest.raises(DomainError) as caught:
        book(office(), phone_number="+1 202 555 0143")
    assert caught.value.code == "invalid_phone"
    assert not Booking.objects.exists()


@pytest.mark.parametrize("typed", ["A", "a.", " B ", "X-"])
def test_a_one_letter_name_is_refused(typed):
    with pytest.raises(DomainError) as caught:
        validate_name(typed)
    assert caught.value.code == "invalid_name"
    with translation.override("id"):
        assert "lengkap" in str(caught.value.fields["name"][0])


@pytest.mark.parametrize("typed", ["JO", "SUKARNO", "O'A"])
def test_short_and_single_names_are_fine(typed):
    assert validate_name(typed) == typed


@pytest.mark.django_db
def test_a_child_under_17_brings_the_parents_documents_not_a_ktp():
    place = office()
    sixteen = dt.date(DAY.year - 17, DAY.month, DAY.day + 1)  # 17 the day after the visit
    seventeen = dt.date(DAY.year - 17, DAY.month, DAY.day)  # 17 on the day of the visit
    parent, child, grown = book_family(
        place,
        [
            applicant("BAPAK BUDI", dt.date(1980, 1, 1)),
            applicant("ANAK BUDI", sixteen),
            applicant("KAKAK BUDI", seventeen),
        ],
    )
    with translation.override("id"):
        assert what_to_bring(parent).startswith("KTP")
        assert what_to_bring(grown).startswith("KTP")
        assert not what_to_bring(child).startswith("KTP")
        assert "KTP kedua orang tua" in what_to_bring(child)
    with translation.override("en"):
        assert "both parents' KTP" in what_to_bring(child)
    notice = OutboundMessage.objects.get(**child.about.fields())
    assert "KTP kedua orang tua" in notice.text
