"""WhatsApp replies in the language the applicant writes in (issue #21 §4)."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.tests.factories import book
from bookings.tests.webhook import (
    NOW,
    PHONE_ID,
    SENDER,
    payload,
    post,
    replies,
)
from notifications.backends import locmem
from notifications.models import OutboundMessage
from notifications.services import outbox_send
from offices.models import Office
from offices.tests.factories import OfficeFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("whatsapp_webhook", "whatsapp_clock"),
]


@pytest.mark.parametrize(
    ("word", "expected", "absent"),
    [
        ("HELP", "#NAME#DDMMYYYY#DDMMYYYY#", "#NAMA#"),
        ("help", "CANCEL <code>", "BATAL <kode>"),
        ("BANTUAN", "#NAMA#DDMMYYYY#DDMMYYYY#", "#NAME#"),
        ("bantuan", "BATAL <kode>", "CANCEL <code>"),
    ],
)
def test_help_from_a_new_number_answers_in_the_language_it_was_written_in(
    client, word, expected, absent
):
    post(client, payload(word))
    reply = replies()[-1][1]
    assert expected in reply
    assert absent not in reply


def test_after_en_the_help_shows_the_english_command_words(client):
    post(client, payload("EN", message_id="wamid.lang"))
    reply = replies()[-1][1]
    assert "#NAME#DDMMYYYY#DDMMYYYY#" in reply
    assert "CANCEL <code>" in reply
    assert "ID for Indonesian" in reply
    assert "BATAL" not in reply
    assert "EN for English" not in reply


@pytest.mark.parametrize(
    ("word", "language"),
    [("CHECK", "en"), ("CANCEL", "en"), ("YES", "en"), ("CEK", "id"), ("BATAL", "id")],
)
def test_a_command_word_sets_the_reply_language(client, word, language):
    post(client, payload(f"{word} K7P2-MX4Q"))
    assert OutboundMessage.objects.order_by("pk").last().language == language


def test_the_language_a_command_word_chose_is_kept_for_the_next_message(client):
    post(client, payload("CANCEL K7P2-MX4Q"))
    post(client, payload("INFO", message_id="wamid.2"))
    assert "#NAME#DDMMYYYY#DDMMYYYY#" in replies()[-1][1]


@pytest.mark.parametrize("text", ["STATUS", "STATUS K7P2-MX4Q", "status"])
def test_status_from_a_new_number_answers_in_english_and_keeps_a_chosen_language(client, text):
    # This test once pinned STATUS as language-neutral (the Indonesian help taught
    # `STATUS <kode>`). Issue #21 §4 asks plain English commands to be read as English:
    # the Indonesian help now teaches CEK, and STATUS answers in English a number that
    # has no language yet, while a number that has one keeps it.
    post(client, payload(text))
    reply = OutboundMessage.objects.order_by("pk").last()
    assert reply.language == "en"
    assert "booking" in reply.text
    post(client, payload("ID", message_id="wamid.2"))
    post(client, payload(text, message_id="wamid.3"))
    reply = OutboundMessage.objects.order_by("pk").last()
    assert reply.language == "id"
    assert "pemesanan" in reply.text


def test_cek_from_a_new_number_answers_in_indonesian(client):
    post(client, payload("CEK"))
    reply = OutboundMessage.objects.order_by("pk").last()
    assert reply.language == "id"
    assert "tidak memiliki pemesanan" in reply.text


def test_the_indonesian_help_teaches_cek_and_the_english_help_status(client):
    post(client, payload("BANTUAN"))
    assert "CEK <kode>" in replies()[-1][1]
    assert "STATUS" not in replies()[-1][1]
    post(client, payload("HELP", message_id="wamid.2"))
    assert "STATUS <code>" in replies()[-1][1]


def _wita_office():
    Office.objects.filter(code="tangerang").update(whatsapp_phone_number_id="")
    return OfficeFactory(timezone="Asia/Makassar", whatsapp_phone_number_id=PHONE_ID)


@pytest.mark.parametrize(
    ("word", "head", "how", "time"),
    [
        ("STATUS", "Pemesanan Anda yang akan datang", "BATAL ", "08:00 WITA"),
        ("CANCEL", "Your upcoming bookings", "send CANCEL", "08:00 WITA"),
        ("BATAL", "Pemesanan Anda yang akan datang", "kirim BATAL", "08:00 WITA"),
    ],
)
def test_status_or_cancel_without_a_code_lists_own_upcoming_bookings_in_office_time(
    client, word, head, how, time
):
    office = _wita_office()
    post(client, payload("#JOJO#27061978#07122026#"))
    booking = Booking.objects.get(office=office)
    post(client, payload(word, message_id="wamid.2"))
    reply = replies()[-1][1]
    assert head in reply
    assert booking.display_code in reply
    assert time in reply
    assert how in reply
    assert Booking.objects.get(pk=booking.pk).status == "booked"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("CEK", "tidak memiliki"), ("STATUS", "no upcoming"), ("CANCEL", "no upcoming")],
)
def test_status_without_a_code_never_lists_another_numbers_or_another_offices_bookings(
    client, word, expected
):
    tangerang = Office.objects.get(code="tangerang")
    post(client, payload("#JOJO#27061978#07122026#"))  # the victim, at this office
    other = OfficeFactory()
    book(other, now=NOW, day=dt.date(2026, 12, 7), phone_number="+6289999999999")
    post(client, payload(word, message_id="wamid.2", sender="6289999999999"))
    reply = replies()[-1][1]
    assert expected in reply
    assert Booking.objects.get(office=tangerang).display_code not in reply
    assert Booking.objects.get(office=other).display_code not in reply


def test_a_family_message_with_one_unreadable_line_books_no_one(client):
    post(client, payload("#BAPAK#01011980#07122026#\n#IBU#31021982#07122026#"))
    assert not Booking.objects.exists()
    reply = replies()[-1][1]
    assert "#IBU#31021982#07122026#" in reply
    assert "Tanggal itu tidak ada." in reply
    assert [kind for kind, _ in replies()] == ["reply"]


def _papua_office():
    Office.objects.filter(code="tangerang").update(whatsapp_phone_number_id="")
    return OfficeFactory(timezone="Asia/Jayapura", whatsapp_phone_number_id=PHONE_ID)


def test_end_to_end_an_english_conversation_at_an_office_in_wit(client):
    """Signed deliveries in, English replies in the outbox, times in Jayapura's own
    zone with its label; the worker hands them to the provider as English."""
    office = _papua_office()
    assert post(client, payload("HELP")).status_code == 200
    help_reply = OutboundMessage.objects.order_by("pk").last()
    assert help_reply.language == "en"
    assert "Opening hours: 08:00-16:00 WIT." in help_reply.text

    post(client, payload("#JOJO#27061978#07122026#", message_id="wamid.2"))
    booking = Booking.objects.get(office=office)
    assert booking.language == "en"
    confirmation = OutboundMessage.objects.get(kind="booking_confirmed")
    assert confirmation.language == "en"
    assert "Monday, 7 December 2026 at 08:00 WIT." in confirmation.text
    assert "Come by 07:30 WIT" in confirmation.text

    post(client, payload("STATUS", message_id="wamid.3"))
    listing = OutboundMessage.objects.order_by("pk").last()
    assert listing.language == "en"
    assert "Your upcoming bookings" in listing.text
    assert f"{booking.display_code} (JOJO): booked." in listing.text
    assert "08:00 WIT" in listing.text

    post(client, payload("#JOJO#27061978#31022027#", message_id="wamid.4"))
    refusal = OutboundMessage.objects.order_by("pk").last()
    assert "Line 1, the visit date 31-02-2027: That date does not exist." in refusal.text

    locmem.outbox.clear()
    start = timezone.now()
    for n, message in enumerate(OutboundMessage.objects.order_by("pk")):
        # WhatsApp wants ~6 s between messages to one user: the sender spaces them.
        later = start + dt.timedelta(seconds=10 * n)
        assert outbox_send(message_id=message.pk, now=later) == "sent"
    assert {sent.language for sent in locmem.outbox} == {"en"}
    assert all("WIB" not in sent.text for sent in locmem.outbox)


def test_status_from_a_new_number_lists_its_web_bookings_in_english_in_office_time(client):
    office = _papua_office()
    booking = book(office, now=NOW, day=dt.date(2026, 12, 7), phone_number=f"+{SENDER}")
    post(client, payload("STATUS"))
    reply = replies()[-1][1]
    assert reply.startswith("Your upcoming bookings at")
    assert booking.display_code in reply
    assert "Monday, 7 December 2026 at 08:00 WIT" in reply
