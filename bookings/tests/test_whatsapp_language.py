"""WhatsApp replies in the language the applicant writes in (issue #21 §4)."""

import pytest

from bookings.tests.test_whatsapp import (  # noqa: F401  (autouse fixtures)
    _clock,
    _payload,
    _post,
    _replies,
    _whatsapp,
)
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


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
    _post(client, _payload(word))
    reply = _replies()[-1][1]
    assert expected in reply
    assert absent not in reply


def test_after_en_the_help_shows_the_english_command_words(client):
    _post(client, _payload("EN", message_id="wamid.lang"))
    reply = _replies()[-1][1]
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
    _post(client, _payload(f"{word} K7P2-MX4Q"))
    assert OutboundMessage.objects.order_by("pk").last().language == language


def test_the_language_a_command_word_chose_is_kept_for_the_next_message(client):
    _post(client, _payload("CANCEL K7P2-MX4Q"))
    _post(client, _payload("INFO", message_id="wamid.2"))
    assert "#NAME#DDMMYYYY#DDMMYYYY#" in _replies()[-1][1]


def test_status_keeps_the_chosen_language_because_the_indonesian_help_teaches_it(client):
    _post(client, _payload("STATUS K7P2-MX4Q"))
    assert OutboundMessage.objects.order_by("pk").last().language == "id"
    _post(client, _payload("EN", message_id="wamid.2"))
    _post(client, _payload("STATUS K7P2-MX4Q", message_id="wamid.3"))
    assert OutboundMessage.objects.order_by("pk").last().language == "en"
