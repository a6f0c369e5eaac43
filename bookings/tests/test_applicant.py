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


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("S\u0130T\u0130 NURA\u0130N\u0130", "SITI NURAINI"),  # dotted capital I
        ("Zo\u00eb Nu\u0301r", "ZOE NUR"),  # composed and combining accents
        ("\uff33\uff29\uff34\uff29", "SITI"),  # full-width letters
    ],
)
def test_look_alike_latin_letters_fold_to_the_letters_on_a_ktp(typed, name):
    assert validate_name(typed) == name


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_a_valid_name_is_its_own_normal_form(text):
    try:
        name = validate_name(text)
    except DomainError:
        return
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "12345",
        "JOJO 2",
        "#$%",
        "x" * 101,
        "--",
        "S\u0406T\u0406",  # Cyrillic look-alikes
        "\ua731\u026a\u1d1b\u026a",  # Latin small capitals
        "SI\u200dTI",  # zero-width joiner
        "\u202eITIS",  # right-to-left override
        "S\u0337I\u0338T\u0335I",  # marks that belong to no letter
        "<script>",
    ],
)
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
