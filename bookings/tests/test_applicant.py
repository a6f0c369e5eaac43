import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookings.applicant import (
    normalise_name,
    normalise_phone,
    validate_birth_date,
    validate_name,
    validate_nik,
)
from immigration.errors import DomainError

TODAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("  siti   nur'aini ", "SITI NUR'AINI"),
        ("Muh. Fahrurozi", "MUH. FAHRUROZI"),
        ("jean-pierre\tdupont", "JEAN-PIERRE DUPONT"),
        ("SITI NUR\u2019AINI", "SITI NUR'AINI"),
        ("Soekarno", "SOEKARNO"),
    ],
)
def test_names_are_normalised_keeping_apostrophes_dots_and_hyphens(typed, name):
    assert validate_name(typed) == name


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    assert normalise_name(normalise_name(text)) == normalise_name(text)


@pytest.mark.parametrize("typed", ["", "   ", "12345", "JOJO 2", "#$%", "x" * 101, "--"])
def test_names_that_are_empty_long_or_not_letters_are_refused(typed):
    with pytest.raises(DomainError) as caught:
        validate_name(typed)
    assert caught.value.code == "invalid_name"


@pytest.mark.parametrize(
    ("typed", "phone"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("(0812) 3456.7890", "6281234567890"),
        ("+65 9123 4567", "6591234567"),
    ],
)
def test_phone_numbers_become_whatsapp_digits(typed, phone):
    assert normalise_phone(typed) == phone


@pytest.mark.parametrize(
    "typed", ["", "0812", "phone", "+62 0812 3456", "91234567", "081234567890123456"]
)
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(DomainError) as caught:
        normalise_phone(typed)
    assert caught.value.code == "invalid_phone"


def test_a_nik_must_match_the_birth_date_women_counting_40_on_the_day():
    assert validate_nik("3171061706780001", birth_date=dt.date(1978, 6, 17)) == "3171061706780001"
    assert validate_nik("3171065706780001", birth_date=dt.date(1978, 6, 17)) == "3171065706780001"
    assert validate_nik(" ", birth_date=dt.date(1978, 6, 17)) is None
    for bad in ("3171061806780001", "317106170678", "31710617067800a1"):
        with pytest.raises(DomainError) as caught:
            validate_nik(bad, birth_date=dt.date(1978, 6, 17))
        assert caught.value.code == "invalid_nik"


@pytest.mark.parametrize("birth_date", [dt.date(2026, 12, 1), dt.date(1906, 1, 1)])
def test_birth_dates_in_the_future_or_over_120_years_ago_are_refused(birth_date):
    with pytest.raises(DomainError) as caught:
        validate_birth_date(birth_date, today=TODAY)
    assert caught.value.code == "invalid_birth_date"


def test_a_birth_date_today_or_119_years_ago_is_fine():
    assert validate_birth_date(TODAY, today=TODAY) == TODAY
    assert validate_birth_date(dt.date(1907, 1, 1), today=TODAY)
