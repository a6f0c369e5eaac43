"""The WhatsApp booking line's optional 4th field, a priority claim checked at the door:
`#NAME#DDMMYYYY#DDMMYYYY#HAMIL#` (PREGNANT) or `#...#DISABILITAS#` (DISABLED)."""

import datetime as dt

import pytest

from bookings.conversation.handler import help_text
from bookings.conversation.parser import PRIORITY, BookLine, LineError, parse
from bookings.models import Booking, PriorityClaim
from bookings.tests.webhook import (
    NOW,
    payload,
    post,
    replies,
)
from offices.models import Office

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("whatsapp_webhook", "whatsapp_clock"),
]


@pytest.mark.parametrize(
    ("word", "claim"),
    [
        ("HAMIL", PriorityClaim.PREGNANT),
        ("pregnant", PriorityClaim.PREGNANT),
        (" Disabilitas ", PriorityClaim.DISABLED),
        ("DISABLED", PriorityClaim.DISABLED),
        ("", ""),
    ],
)
def test_the_parser_reads_the_claim_word(word, claim):
    [line] = parse(f"#JOJO#27061978#07122026#{word}#").lines
    assert line == BookLine("JOJO", dt.date(1978, 6, 27), dt.date(2026, 12, 7), claim)


def test_the_parser_refuses_an_unknown_word_naming_the_field():
    command = parse("#JOJO#27061978#07122026#\n#IBU#02021982#07122026#VIP#")
    [error] = command.errors
    assert isinstance(error, LineError)
    assert (error.line, error.field, error.value, error.reason) == (
        2,
        PRIORITY,
        "VIP",
        "unknown_priority",
    )


def test_a_line_with_the_marker_books_with_the_claim(client):
    post(client, payload("#IBU#02021982#07122026#HAMIL#\n#BAPAK#01011980#07122026"))
    claims = dict(Booking.objects.values_list("name", "priority"))
    assert claims == {"IBU": PriorityClaim.PREGNANT, "BAPAK": PriorityClaim.COMPANION}
    assert [kind for kind, _ in replies()] == ["booking_confirmed"] * 2


def test_an_unknown_marker_books_nobody_and_the_reply_names_line_and_field(client):
    post(client, payload("EN", message_id="wamid.lang"))
    post(client, payload("#BAPAK#01011980#07122026#\n#IBU#02021982#07122026#VIP#"))
    assert not Booking.objects.exists()
    _kind, reply = replies()[-1]
    assert "Line 2, the priority need VIP:" in reply
    assert "HAMIL/PREGNANT" in reply


def test_an_unknown_marker_is_refused_in_indonesian_too(client):
    post(client, payload("#IBU#02021982#07122026#RAJA#"))
    assert not Booking.objects.exists()
    _kind, reply = replies()[-1]
    assert "Baris 1" in reply
    assert "RAJA" in reply


@pytest.mark.parametrize(("language", "word"), [("en", "PREGNANT"), ("id", "HAMIL")])
def test_help_teaches_the_marker_in_both_languages(language, word):
    from django.utils import translation

    with translation.override(language):
        text = help_text(Office.objects.get(code="tangerang"), NOW)
    assert f"#{word}#" in text
