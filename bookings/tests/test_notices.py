"""Every step of a booking queues its WhatsApp notice, in the same transaction."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from PIL import Image

from bookings.models import Booking
from bookings.qr import qr_png
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_confirm_payment,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    booking_reschedule,
    bookings_expire_no_shows,
    bookings_send_reminders,
)
from bookings.tests.factories import DAY, NOW, applicant, book, book_family, office
from immigration.errors import DomainError
from notifications.backends import locmem
from notifications.models import OutboundMessage, Urgency
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")


def _kinds(booking=None):
    rows = OutboundMessage.objects.order_by("pk")
    if booking is not None:
        rows = rows.filter(**booking.about.fields())
    return list(rows.values_list("kind", flat=True))


def test_a_booking_queues_its_confirmation_with_code_time_zone_and_qr():
    place = office(whatsapp_number="+6281100000001", whatsapp_phone_number_id="1234567890")
    booking = book(
        place, person=applicant("JOJO", dt.date(1978, 6, 27)), phone_number="0812-1111-2222"
    )
    message = OutboundMessage.objects.get()
    assert (message.kind, message.to, message.sender, message.phone_number_id) == (
        "booking_confirmed",
        "6281211112222",
        "+6281100000001",
        "1234567890",
    )
    assert booking.display_code in message.text
    assert "A-001" in message.text
    assert "Senin, 7 Desember 2026" in message.text
    assert "08:00 WIB" in message.text
    assert "07:30 WIB" in message.text
    assert "JOJO" in message.text
    assert message.text.startswith("Pemesanan Anda sudah terkonfirmasi.")
    # The QR is drawn by the worker when it sends, not by the booking request.
    assert (message.image_png, message.image_qr) == (None, booking.code)
    assert outbox_send(message_id=message.pk) == "sent"
    sent = locmem.outbox[-1]
    qr = Image.open(io.BytesIO(sent.image_png))
    assert qr.format == "PNG"
    assert sent.image_png == qr_png(booking.code)
    assert message.template_name == "antrean_booking_confirmed"
    assert booking.display_code in message.template_params


def test_english_speakers_get_english_notices():
    book(office(), language="en")
    text = OutboundMessage.objects.get().text
    assert "Your booking is confirmed." in text
    assert "Monday, 7 December 2026" in text


def test_a_refused_booking_queues_nothing():
    place = office(hours__daily_capacity=14)
    for _ in range(14):
        book(place)
    with pytest.raises(DomainError):
        book(place)
    assert OutboundMessage.objects.count() == 14


def test_each_family_member_gets_a_confirmation():
    book_family(office(), [applicant(), applicant(), applicant()])
    assert _kinds() == ["booking_confirmed"] * 3


def test_cancel_and_reschedule_queue_one_notice_each():
    place = office()
    first, second = book(place), book(place)
    booking_cancel(booking=first, actor=Actor.applicant("web"), now=NOW)
    moved = booking_reschedule(
        booking=second, date=dt.date(2026, 12, 8), actor=Actor.applicant("web"), now=NOW
    )
    assert _kinds(first) == ["booking_confirmed", "booking_cancelled"]
    assert _kinds(second) == ["booking_confirmed"]
    assert _kinds(moved) == ["booking_rescheduled"]


def test_no_shows_are_told_their_booking_was_forfeited():
    place = office()
    swept, late = book(place), book(place)
    clerk = Actor.staff(User.objects.create_user("loket"))
    with pytest.raises(DomainError):
        booking_check_in(
            office=place,
            code=late.code,
            actor=clerk,
            now=dt.datetime(2026, 12, 7, 8, 31, tzinfo=WIB),
        )
    bookings_expire_no_shows(now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB))
    assert _kinds(late) == ["booking_confirmed", "booking_expired"]
    assert _kinds(swept) == ["booking_confirmed", "booking_expired"]


def test_the_passport_steps_each_queue_a_notice():
    place = office()
    clerk = Actor.staff(User.objects.create_user("loket"))
    booking = book(place)
    booking = booking_check_in(
        office=place,
        code=booking.code,
        actor=clerk,
        now=dt.datetime(2026, 12, 7, 7, 45, tzinfo=WIB),
    )
    booking = booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code="820261234567890",
        counter=1,
        out_of_turn_reason="supervisor",
        actor=clerk,
    )
    fee = OutboundMessage.objects.get(kind="fee_billing")
    assert "Rp350.000" in fee.text
    assert "820261234567890" in fee.text
    booking = booking_confirm_payment(booking=booking, actor=clerk)
    booking = booking_mark_ready(booking=booking, actor=clerk)
    booking_mark_collected(booking=booking, actor=clerk)
    assert _kinds(booking) == [
        "booking_confirmed",
        "fee_billing",
        "payment_received",
        "passport_ready",
        "passport_collected",
    ]


def test_the_reminder_goes_out_the_day_before_once():
    place = office(timezone="Asia/Jayapura")
    booking = book(place)
    Booking.objects.filter(pk=booking.pk).update(created_at=NOW)
    day_before_early = dt.datetime(2026, 12, 6, 8, 59, tzinfo=ZoneInfo("Asia/Jayapura"))
    day_before = dt.datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo("Asia/Jayapura"))
    assert bookings_send_reminders(now=day_before_early) == 0
    assert bookings_send_reminders(now=day_before) == 1
    assert bookings_send_reminders(now=day_before + dt.timedelta(minutes=15)) == 0
    reminder = OutboundMessage.objects.get(kind="booking_reminder")
    assert "08:00 WIT" in reminder.text
    assert DAY.day == 7
    # Behind the confirmation when WhatsApp's limits cannot take both.
    confirmation = OutboundMessage.objects.get(kind="booking_confirmed", **booking.about.fields())
    assert (reminder.urgency, confirmation.urgency) == (Urgency.ROUTINE, Urgency.URGENT)


def test_a_booking_made_the_evening_before_gets_no_separate_reminder():
    place = office(same_day_cutoff=dt.time(12, 0))
    evening = dt.datetime(2026, 12, 6, 19, 0, tzinfo=WIB)
    booking = book(place, now=evening)
    Booking.objects.filter(pk=booking.pk).update(created_at=evening)
    assert bookings_send_reminders(now=evening + dt.timedelta(minutes=30)) == 0
