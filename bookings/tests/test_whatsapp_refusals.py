"""A WhatsApp booking message is one family on one day, booked all together or not at
all; every refusal names the line, the field and which date is which (issue #21 §4)."""

import datetime as dt

import pytest
from django.utils import translation

from bookings.conversation.parser import BIRTH_DATE, VISIT_DATE, parse
from bookings.conversation.refusals import Refusal, refusal_text
from bookings.models import Booking
from bookings.tests.factories import applicant, book
from bookings.tests.webhook import (
    NOW,
    SENDER,
    payload,
    post,
    replies,
)
from offices.models import Office

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("whatsapp_webhook", "whatsapp_clock"),
]

FORMAT = "#NAME#DDMMYYYY#DDMMYYYY#"


def _english(client):
    post(client, payload("EN", message_id="wamid.lang"))


def _send(client, text, message_id="wamid.1"):
    post(client, payload(text, message_id=message_id))
    kind, reply = replies()[-1]
    return kind, reply


# --- the parser says where ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "value", "reason"),
    [
        ("#A#01011980#07122026#\n#I#31021982#07122026#", 2, BIRTH_DATE, "31021982", "invalid_date"),
        ("#A#01011980#31022027#", 1, VISIT_DATE, "31022027", "invalid_date"),
        ("#A#01011980#07-12-26#", 1, VISIT_DATE, "07-12-26", "two_digit_year"),
        ("#A#01011980#07122026#\n#B#07122026#", 2, "", "", "bad_format"),
        ("#A#01011980#07122026#\n# #01011980#07122026#", 2, "name", "", "empty_name"),
    ],
)
def test_a_line_error_knows_its_line_and_field(text, line, field, value, reason):
    [error] = parse(text).errors
    assert (error.line, error.field, error.value, error.reason) == (line, field, value, reason)


def test_book_lines_know_their_numbers():
    command = parse("halo\n#A#01011980#07122026#\n#B#02021982#07122026#")
    assert [line.line for line in command.lines] == [1, 2]


def test_the_refusal_text_is_built_in_one_place_in_the_active_language():
    refusal = Refusal((2,), VISIT_DATE, "31-02-2027", "That date does not exist.")
    with translation.override("en"):
        assert refusal_text(refusal) == (
            "Line 2, the visit date 31-02-2027: That date does not exist. "
            "The second date is the visit date."
        )
        assert refusal_text(Refusal((1, 2, 3), "", "", "No.")) == "Lines 1-3: No."
    with translation.override("id"):
        assert refusal_text(refusal).startswith("Baris 2, tanggal kunjungan 31-02-2027:")


# --- each refusal through the webhook -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "lecture"),
    [
        # impossible dates
        (
            "#BAPAK#01011980#07122026#\n#IBU#31021982#07122026#",
            "Line 2, the birth date 31-02-1982: That date does not exist. "
            "The first date is the birth date.",
            True,
        ),
        (
            "#JOJO#27061978#31022027#",
            "Line 1, the visit date 31-02-2027: That date does not exist. "
            "The second date is the visit date.",
            True,
        ),
        # a past day
        (
            "#JOJO#27061978#27112026#",
            "Line 1, the visit date 27-11-2026: That day has passed. "
            "The second date is the visit date.",
            False,
        ),
        # a closed day (a Sunday), for the whole family
        (
            "#BAPAK#01011980#06122026#\n#IBU#02021982#06122026#",
            "Lines 1-2, the visit date 06-12-2026: The office is closed every Sunday",
            False,
        ),
        # a birth date in the future, on the second line
        (
            "#BAPAK#01011980#07122026#\n#IBU#02022030#07122026#",
            "Line 2, the birth date 02-02-2030: The birth date is in the future. "
            "The first date is the birth date.",
            False,
        ),
        # swapped dates
        (
            "#JOJO#07122026#27061978#",
            "Line 1, the birth date 07-12-2026: It comes after the visit date 27-06-1978: "
            "write the birth date first, then the day of the visit. "
            "The first date is the birth date.",
            False,
        ),
        # a name that is not one
        ("#BAPAK#01011980#07122026#\n#12#02021982#07122026#", "Line 2, the name 12:", False),
        # a family of six
        ("\n".join(f"#ORANG {c}#01011980#07122026#" for c in "ABCDEF"), "Line 6:", False),
    ],
)
def test_every_refusal_names_line_field_and_which_date_and_books_nobody(
    client, text, expected, lecture
):
    _english(client)
    kind, reply = _send(client, text)
    assert kind == "reply"
    assert not Booking.objects.exists()
    assert expected in reply
    assert (FORMAT in reply) is lecture
    if text.count("\n"):
        assert "Nothing was booked" in reply


def test_the_refusal_is_in_indonesian_for_an_indonesian_sender(client):
    _kind, reply = _send(client, "#BAPAK#01011980#07122026#\n#IBU#31021982#07122026#")
    assert (
        "Baris 2, tanggal lahir 31-02-1982: Tanggal itu tidak ada. "
        "Tanggal pertama adalah tanggal lahir."
    ) in reply


def test_every_line_at_fault_is_named_at_once(client):
    _english(client)
    _kind, reply = _send(
        client, "#BAPAK#01011980#07122026#\n#IBU#02022030#07122026#\n#ANAK#12#07122026#"
    )
    assert "Line 2, the birth date 02-02-2030: The birth date is in the future." in reply
    assert "Line 3, the birth date 12: Write the date as DDMMYYYY, for example 17061978." in reply
    assert "Line 1" not in reply
    assert FORMAT in reply
    assert not Booking.objects.exists()


def test_a_full_day_refuses_the_whole_family_and_names_days_with_room(client):
    tangerang = Office.objects.get(code="tangerang")
    tangerang.opening_hours.update(daily_capacity=2)
    book(tangerang, now=NOW, day=dt.date(2026, 12, 7))
    _english(client)
    _kind, reply = _send(client, "#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#")
    assert "Lines 1-2, the visit date 07-12-2026: There are not 2 places left" in reply
    assert "Days with room: Tuesday, 8 December 2026" in reply
    assert Booking.objects.count() == 1


def test_a_person_already_booked_that_day_is_named_by_line(client):
    tangerang = Office.objects.get(code="tangerang")
    book(tangerang, now=NOW, person=applicant("IBU", dt.date(1982, 2, 2)))
    _english(client)
    _kind, reply = _send(client, "#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#")
    assert "Line 2, the name IBU: IBU already has a booking at this office on that day." in reply
    assert Booking.objects.count() == 1


def test_the_same_person_twice_is_named_by_the_repeated_line(client):
    _english(client)
    _kind, reply = _send(
        client, "#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#\n#ibu#02-02-1982#07122026#"
    )
    assert "Line 3, the name ibu: The same person appears twice" in reply
    assert not Booking.objects.exists()


# --- one message, one family, one day ---------------------------------------------------------


def test_different_visit_dates_refuse_the_whole_message(client):
    _english(client)
    _kind, reply = _send(client, "#BAPAK#01011980#07122026#\n#IBU#02021982#08122026#")
    assert (
        "Line 2, the visit date 08-12-2026: It differs from the visit date of line 1, "
        "07-12-2026. One message books one day for everyone in it: send a separate "
        "message for each day."
    ) in reply
    assert "Nothing was booked" in reply
    assert not Booking.objects.exists()


def test_a_family_is_booked_together_in_one_group_on_one_day(client):
    post(
        client,
        payload("#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#\n#ANAK#03032012#07122026#"),
    )
    family = list(Booking.objects.order_by("queue_seq"))
    assert [b.name for b in family] == ["BAPAK", "IBU", "ANAK"]
    assert {b.group_code for b in family} == {family[0].code}
    assert [b.queue_seq for b in family] == [1, 2, 3]
    assert {b.phone for b in family} == {SENDER}


def test_what_a_refusal_echoes_is_made_harmless(client):
    """An attacker's line cannot make the office's number send markup, a link written
    with invisible characters, or a wall of text: values are echoed filtered and short."""
    _english(client)
    name = "*VISIT* evil\u200b.example\u202e" + "A" * 200
    _kind, reply = _send(client, f"#{name}#01011980#07122026#\n#IBU#\u202e1_2*#07122026#")
    assert not Booking.objects.exists()
    assert "Line 2, the birth date 12:" in reply
    assert "*" not in reply
    assert "\u200b" not in reply
    assert "\u202e" not in reply
    assert "A" * 60 not in reply


def test_a_swapped_first_line_is_not_the_day_the_others_are_compared_with(client):
    _english(client)
    _kind, reply = _send(client, "#SITI#07122026#17061978#\n#IBU#02021982#07122026#")
    assert "Line 1, the birth date 07-12-2026: It comes after the visit date 17-06-1978" in reply
    assert "Line 2" not in reply
    assert not Booking.objects.exists()
