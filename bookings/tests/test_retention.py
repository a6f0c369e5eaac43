"""Applicants' personal data is erased a retention period after the visit; the figures
of the supervisors' dashboard stay exactly as they were."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from bookings.models import Booking, BookingEvent
from bookings.retention import bookings_due_for_erasure, bookings_erase_personal_data
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_confirm_payment,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    bookings_expire_no_shows,
    queue_call_next,
)
from bookings.tests.factories import DAY, applicant, book, book_family, office
from complaints import dashboard
from notifications.models import OutboundMessage
from offices.models import Office

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")
DESK = Actor.api_client("desk-app")
# A year and a day after the visit (BOOKING_RETENTION_DAYS defaults to 365).
LATER = dt.datetime.combine(DAY + dt.timedelta(days=366), dt.time(3, 0), tzinfo=WIB)


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.BOOKING_RETENTION_DAYS = 365


_KEPT = (
    "pk",
    "office",
    "date",
    "slot",
    "channel",
    "status",
    "queue_seq",
    "group_code",
    "code",
    "created_at",
    "updated_at",
    "fee_amount",
)
"""What erasure must leave as it was."""


def _at(hour, minute, day=DAY, zone=WIB):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _figures(place: Office) -> tuple:
    """What the dashboard shows for the week of the visit."""
    offices = Office.objects.filter(pk=place.pk)
    start, end = DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=3)
    return (
        dashboard.days(offices, start, end),
        dashboard.channels(offices, start, end),
        dashboard.median_wait_minutes(offices, start, end),
    )


def _a_busy_day(place: Office) -> dict[str, Booking]:
    """One booking in each state the dashboard counts, a family, and a wait."""
    person = applicant("SITI NUR'AINI", dt.date(1990, 5, 17), nik="3171011705900001")
    collected = book(place, person=person, phone_number="081299990001")
    booking_check_in(office=place, code=collected.code, actor=DESK, now=_at(7, 45))
    queue_call_next(office=place, counter=1, actor=DESK, now=_at(8, 5))
    booking_record_submission(
        booking=collected,
        fee_code="paspor-biasa-48",
        billing_code="820261207000123",
        counter=1,
        actor=DESK,
        now=_at(9, 0),
    )
    booking_confirm_payment(booking=collected, actor=DESK)
    booking_mark_ready(booking=collected, actor=DESK)
    booking_mark_collected(booking=collected, actor=DESK)
    ready = book(place)
    booking_check_in(office=place, code=ready.code, actor=DESK, now=_at(7, 50))
    cancelled = book(place)
    booking_cancel(booking=cancelled, actor=DESK, note="applicant phoned from 081299990001")
    no_show = book(place)
    family = book_family(place, [applicant(), applicant(), applicant()])
    bookings_expire_no_shows(now=_at(20, 0))
    return {
        "collected": collected,
        "checked_in": ready,
        "cancelled": cancelled,
        "no_show": no_show,
        "family": family[0],
    }


def test_erasure_blanks_the_person_and_keeps_every_dashboard_figure():
    place = office()
    bookings = _a_busy_day(place)
    before = _figures(place)
    kept = list(Booking.objects.order_by("pk").values_list(*_KEPT))
    assert before[0][3].booked == 6  # the visit day: all but the cancelled one
    assert before[2] is not None  # a wait was measured

    erased = bookings_erase_personal_data(now=LATER)

    assert erased == Booking.objects.count() == 7
    assert _figures(place) == before
    assert list(Booking.objects.order_by("pk").values_list(*_KEPT)) == kept
    for booking in Booking.objects.all():
        assert (booking.name, booking.birth_date, booking.nik, booking.phone) == ("", None, "", "")
        assert booking.billing_code == ""
        assert booking.personal_data_erased_at == LATER
    assert Booking.objects.filter(group_code=bookings["family"].code).count() == 3
    assert not BookingEvent.objects.exclude(note="").exists()
    assert BookingEvent.objects.filter(booking=bookings["collected"]).count() == 6


def test_a_booking_within_the_period_is_untouched():
    place = office()
    old = book(place)
    recent = book(place, day=DAY + dt.timedelta(days=2))
    assert bookings_erase_personal_data(now=LATER) == 1
    recent.refresh_from_db()
    assert recent.personal_data_erased_at is None
    assert recent.name.startswith("PEMOHON")
    assert recent.phone.startswith("62812")
    old.refresh_from_db()
    assert old.name == ""


def test_the_period_ends_at_midnight_in_the_offices_own_zone():
    jayapura = office(timezone="Asia/Jayapura")
    jakarta = office()
    eastern, western = book(jayapura), book(jakarta)
    last_kept = DAY + dt.timedelta(days=365)
    first_erased = last_kept + dt.timedelta(days=1)
    # 23:30 WIT on the last day kept (21:30 WIB): nothing is due anywhere.
    assert bookings_erase_personal_data(now=_at(23, 30, last_kept, WIT)) == 0
    # 00:30 WIT the next day is still 22:30 WIB on the last day kept: Jayapura's
    # booking is past its period, Jakarta's is not yet.
    assert bookings_erase_personal_data(now=_at(0, 30, first_erased, WIT)) == 1
    eastern.refresh_from_db()
    western.refresh_from_db()
    assert eastern.personal_data_erased_at is not None
    assert western.personal_data_erased_at is None
    assert bookings_erase_personal_data(now=_at(0, 0, first_erased, WIB)) == 1


def test_a_second_run_changes_nothing():
    place = office()
    first = book(place)
    assert bookings_erase_personal_data(now=LATER) == 1
    stamp = Booking.objects.get(pk=first.pk).personal_data_erased_at
    assert bookings_erase_personal_data(now=LATER + dt.timedelta(days=1)) == 0
    assert Booking.objects.get(pk=first.pk).personal_data_erased_at == stamp
    assert not bookings_due_for_erasure(now=LATER).exists()


def test_more_bookings_than_one_batch_are_all_erased():
    place = office()
    for _ in range(10):
        book(place)
    assert bookings_erase_personal_data(now=LATER, batch_size=3) == 10
    assert not Booking.objects.filter(personal_data_erased_at__isnull=True).exists()


def test_two_erased_bookings_holding_places_on_one_day_do_not_clash():
    """Both keep holding their places with the same empty name: their birth dates are
    NULL, which the one-person-per-day constraint treats as distinct."""
    place = office()
    first = book(place)
    book(place)
    assert bookings_erase_personal_data(now=LATER) == 2
    assert Booking.objects.filter(slot=first.slot, status="booked", name="").count() == 2


def test_only_erasure_empties_a_birth_date():
    booking = book(office())
    with (
        pytest.raises(IntegrityError, match="booking_birth_date_unless_erased"),
        transaction.atomic(),
    ):
        Booking.objects.filter(pk=booking.pk).update(birth_date=None)


def test_an_erased_booking_can_still_move_but_sends_nothing():
    place = office()
    booking = book(place)
    booking_check_in(office=place, code=booking.code, actor=DESK, now=_at(7, 45))
    bookings_erase_personal_data(now=LATER)
    messages = OutboundMessage.objects.count()
    booking_cancel(booking=booking, actor=DESK)
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert OutboundMessage.objects.count() == messages


def test_no_show_history_is_kept_as_long_as_the_no_show_rule_reads_it(settings):
    """The no-show rule recognises a person by the name and birth date of their
    expired bookings within BOOKING_NO_SHOW_WINDOW_DAYS; erasure comes later."""
    assert settings.BOOKING_RETENTION_DAYS >= settings.BOOKING_NO_SHOW_WINDOW_DAYS
    place = office()
    booking = book(place)
    bookings_expire_no_shows(now=_at(20, 0))
    window_end = _at(12, 0, DAY + dt.timedelta(days=settings.BOOKING_NO_SHOW_WINDOW_DAYS))
    assert bookings_erase_personal_data(now=window_end) == 0
    booking.refresh_from_db()
    assert booking.name != ""
