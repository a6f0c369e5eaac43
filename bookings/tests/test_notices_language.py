"""Every notice of a booking's life is worded in the booking's language, also those the
sweeps and the worker queue later with no applicant's request in sight (issue #21 §4):
the language is stored on the booking, copied onto the outbox row, and given to the
provider as the template's language when the worker sends."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from bookings.models import Booking
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_confirm_payment,
    booking_hold_confirm,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    booking_reschedule,
    bookings_expire_no_shows,
    bookings_send_reminders,
)
from bookings.tests.factories import NOW, book, office
from notifications.backends import locmem
from notifications.models import OutboundMessage
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db

WIT = ZoneInfo("Asia/Jayapura")
WEB = Actor.applicant("web")


def _papua():
    return office(timezone="Asia/Jayapura")


def _notice(booking: Booking, kind: str) -> OutboundMessage:
    return OutboundMessage.objects.get(subject=f"booking:{booking.code}", kind=kind)


_spacing = iter(dt.timedelta(minutes=n) for n in itertools.count()).__next__


def _sent_in_english(message: OutboundMessage) -> None:
    """Stored in English and handed to the provider as English by the worker."""
    assert message.language == "en"
    locmem.outbox.clear()
    # WhatsApp wants ~6 s between messages to one user: the sender spaces one phone's
    # notices, so each is sent as of a moment past the previous one's spacing.
    later = timezone.now() + dt.timedelta(minutes=5)
    assert outbox_send(message_id=message.pk, now=later + _spacing()) == "sent"
    assert locmem.outbox[-1].language == "en"


def test_the_confirmation_is_in_english_with_the_office_time_and_its_label():
    booking = book(_papua(), language="en")
    message = _notice(booking, "booking_confirmed")
    assert message.text.startswith("Your booking is confirmed.")
    assert "Monday, 7 December 2026 at 08:00 WIT" in message.text
    assert "Come by 07:30 WIT" in message.text
    _sent_in_english(message)


def test_the_hold_confirmation_is_in_the_language_the_hold_was_made_in():
    place = _papua()
    hold = book(place, language="en", phone_verified=False, hold_client="net:198.51.100.7")
    # The YA is Indonesian; the notice follows the booking, made on an English page.
    with translation.override("id"):
        booking_hold_confirm(
            office=place, phone=hold.phone, code=hold.code, now=NOW + dt.timedelta(minutes=2)
        )
    message = _notice(hold, "booking_confirmed")
    assert message.text.startswith("Your booking is confirmed.")
    assert "08:00 WIT" in message.text
    _sent_in_english(message)


def test_the_reminder_queued_by_the_sweep_is_in_english():
    booking = book(_papua(), language="en")
    Booking.objects.filter(pk=booking.pk).update(created_at=NOW)
    # The sweep runs with whatever language the worker has active.
    with translation.override("id"):
        assert bookings_send_reminders(now=dt.datetime(2026, 12, 6, 9, 0, tzinfo=WIT)) == 1
    message = _notice(booking, "booking_reminder")
    assert message.text.startswith("Reminder: tomorrow, Monday, 7 December 2026, 08:00 WIT")
    _sent_in_english(message)


def test_the_reschedule_notice_is_in_english_and_names_the_new_code():
    booking = book(_papua(), language="en")
    with translation.override("id"):
        moved = booking_reschedule(booking=booking, date=dt.date(2026, 12, 8), actor=WEB, now=NOW)
    assert moved.language == "en"
    message = _notice(moved, "booking_rescheduled")
    assert "It has a NEW booking code" in message.text
    assert "Tuesday, 8 December 2026 at 08:00 WIT" in message.text
    _sent_in_english(message)


def test_the_cancellation_notice_is_in_english():
    booking = book(_papua(), language="en")
    with translation.override("id"):
        booking_cancel(booking=booking, actor=WEB, now=NOW)
    message = _notice(booking, "booking_cancelled")
    assert message.text == (
        f"Booking {booking.display_code} for {booking.name} on Monday, 7 December 2026 at "
        f"{booking.office.name} has been cancelled."
    )
    _sent_in_english(message)


def test_the_forfeit_notice_of_the_no_show_sweep_is_in_english():
    booking = book(_papua(), language="en")
    with translation.override("id"):
        bookings_expire_no_shows(now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIT))
    message = _notice(booking, "booking_expired")
    assert "was forfeited: nobody checked in by 30 minutes after 08:00 WIT" in message.text
    _sent_in_english(message)


def test_the_passport_steps_are_in_english():
    place = _papua()
    clerk = Actor.staff(User.objects.create_user("loket"))
    booking = book(place, language="en")
    with translation.override("id"):
        booking = booking_check_in(
            office=place,
            code=booking.code,
            actor=clerk,
            now=dt.datetime(2026, 12, 7, 7, 45, tzinfo=WIT),
        )
        booking = booking_record_submission(
            booking=booking,
            fee_code="paspor-biasa-48",
            billing_code="820261234567890",
            counter=1,
            out_of_turn_reason="supervisor",
            actor=clerk,
        )
        booking = booking_confirm_payment(booking=booking, actor=clerk)
        booking = booking_mark_ready(booking=booking, actor=clerk)
        booking_mark_collected(booking=booking, actor=clerk)
    expected = {
        "fee_billing": "the passport fee is Rp350.000",
        "payment_received": "Payment received for",
        "passport_ready": "is ready. Collect it at",
        "passport_collected": "has been collected. Thank you.",
    }
    for kind, words in expected.items():
        message = _notice(booking, kind)
        assert words in message.text, kind
        _sent_in_english(message)


def test_an_indonesian_booking_keeps_indonesian_notices_whatever_the_worker_speaks():
    booking = book(_papua(), language="id")
    with translation.override("en"):
        booking_cancel(booking=booking, actor=WEB, now=NOW)
    message = _notice(booking, "booking_cancelled")
    assert message.language == "id"
    assert message.text.startswith(f"Pemesanan {booking.display_code} atas nama")
    assert "Senin, 7 Desember 2026" in message.text
