"""Cancel, reschedule, check in, expire, and the passport's path to pickup."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from bookings.models import Booking, BookingEvent, BookingStatus, PriorityTicket
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_confirm_payment,
    booking_for_applicant,
    booking_mark_collected,
    booking_mark_ready,
    booking_record_submission,
    booking_reschedule,
    bookings_expire_no_shows,
    priority_ticket_issue,
    queue_call_next,
)
from bookings.tests.factories import DAY, NOW, applicant, book, office
from immigration.errors import DomainError
from offices.models import Slot

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
APPLICANT = Actor.applicant("web")


def _at(hour, minute, day=DAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


def _refusal(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


@pytest.fixture
def clerk(db):
    return Actor.staff(User.objects.create_user("loket"))


def test_an_applicant_finds_their_booking_only_with_the_right_birth_date():
    booking = book(office(), person=applicant("JOJO", dt.date(1978, 6, 27)))
    found = booking_for_applicant(
        code=booking.display_code.lower(), birth_date=dt.date(1978, 6, 27), client="ip:192.0.2.1"
    )
    assert found.pk == booking.pk
    assert _refusal(
        lambda: booking_for_applicant(
            code=booking.code, birth_date=dt.date(1978, 6, 28), client="ip:192.0.2.1"
        )
    ) == ("booking_not_found")
    assert _refusal(
        lambda: booking_for_applicant(
            code="nonsense", birth_date=dt.date(1978, 6, 27), client="ip:192.0.2.1"
        )
    ) == ("booking_not_found")


def test_cancelling_frees_the_place_at_once_and_records_who():
    place = office(hours__daily_capacity=14)
    booking = book(place)
    booking_cancel(booking=booking, actor=APPLICANT)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert Slot.objects.get(pk=booking.slot_id).booked == 0
    assert book(place, slot_id=booking.slot_id).queue_number == booking.queue_number
    assert list(booking.events.values_list("from_status", "to_status", "actor_kind")) == [
        ("", "booked", "applicant"),
        ("booked", "cancelled", "applicant"),
    ]
    assert _refusal(lambda: booking_cancel(booking=booking, actor=APPLICANT)) == "not_cancellable"


def test_rescheduling_moves_the_booking_and_frees_the_old_place():
    place = office()
    old = book(place)
    new = booking_reschedule(booking=old, date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW)
    old.refresh_from_db()
    assert old.status == "cancelled"
    assert (new.status, new.date, new.name, new.phone) == (
        "booked",
        dt.date(2026, 12, 8),
        old.name,
        old.phone,
    )
    assert new.rescheduled_from == old
    assert new.code != old.code
    assert Slot.objects.get(pk=old.slot_id).booked == 0


def test_rescheduling_to_a_full_day_keeps_the_old_booking():
    place = office(hours__daily_capacity=14)
    old = book(place)
    for _ in range(14):
        book(place, day=dt.date(2026, 12, 8))
    assert _refusal(
        lambda: booking_reschedule(booking=old, date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW)
    ) == ("day_full")
    old.refresh_from_db()
    assert old.status == "booked"
    assert Slot.objects.get(pk=old.slot_id).booked == 1


def test_a_booking_is_moved_once_and_up_to_the_day_before():
    place = office()
    moved = booking_reschedule(
        booking=book(place), date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW
    )
    assert _refusal(
        lambda: booking_reschedule(
            booking=moved, date=dt.date(2026, 12, 9), actor=APPLICANT, now=NOW
        )
    ) == ("reschedule_limit")
    other = book(place)
    on_the_day = _at(7, 0)
    assert (
        _refusal(
            lambda: booking_reschedule(
                booking=other, date=dt.date(2026, 12, 8), actor=APPLICANT, now=on_the_day
            )
        )
        == "reschedule_too_late"
    )


def test_check_in_admits_a_booking_in_its_window(clerk):
    place = office()
    booking = book(place)  # 08:00 slot
    checked = booking_check_in(office=place, code=booking.display_code, actor=clerk, now=_at(7, 40))
    assert checked.status == BookingStatus.CHECKED_IN
    event = checked.events.last()
    assert (event.actor_kind, event.actor_label, event.channel) == ("staff", "loket", "desk")
    assert _refusal(
        lambda: booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(7, 41))
    ) == ("already_checked_in")


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (_at(5, 59), "too_early"),  # the door opens two hours before the 08:00 slot
        (_at(9, 0, dt.date(2026, 12, 8)), "wrong_day"),
        (_at(9, 0, dt.date(2026, 12, 4)), "wrong_day"),
    ],
)
def test_check_in_refuses_outside_the_window_and_changes_nothing(clerk, when, code):
    place = office()
    booking = book(place)
    assert (
        _refusal(lambda: booking_check_in(office=place, code=booking.code, actor=clerk, now=when))
        == code
    )
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_check_in_at_another_office_is_not_found_and_names_no_office(clerk):
    place, other = office(), office()
    booking = book(place)
    with pytest.raises(DomainError) as caught:
        booking_check_in(office=other, code=booking.code, actor=clerk, now=_at(7, 40))
    assert caught.value.code == "booking_not_found"
    assert place.name not in str(caught.value.message)
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_a_late_applicant_is_refused_and_the_booking_forfeited_without_the_sweep(clerk):
    place = office()
    booking = book(place)  # 08:00 slot, forfeited after 08:30
    assert _refusal(
        lambda: booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(8, 31))
    ) == ("too_late")
    booking.refresh_from_db()
    assert booking.status == "expired"
    assert Slot.objects.get(pk=booking.slot_id).booked == 0
    assert _refusal(
        lambda: booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(8, 32))
    ) == ("expired")


def test_cancelled_and_unknown_codes_are_refused_at_the_door(clerk):
    place = office()
    booking = book(place)
    booking_cancel(booking=booking, actor=APPLICANT)
    assert _refusal(
        lambda: booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(7, 40))
    ) == ("cancelled")
    assert _refusal(
        lambda: booking_check_in(office=place, code="ZZZZ-ZZZZ", actor=clerk, now=_at(7, 40))
    ) == ("booking_not_found")


def test_the_sweep_expires_only_bookings_past_their_time_and_is_idempotent():
    place = office()
    early = book(place)  # 08:00
    late = book(place, slot_id=Slot.objects.get(office=place, date=DAY, starts_at=_at(15, 0)).pk)
    assert bookings_expire_no_shows(now=_at(8, 30)) == 1
    assert bookings_expire_no_shows(now=_at(8, 30)) == 0
    early.refresh_from_db()
    late.refresh_from_db()
    assert (early.status, late.status) == ("expired", "booked")
    assert (
        BookingEvent.objects.filter(booking=early, to_status="expired", actor_kind="system").count()
        == 1
    )


def test_the_operator_command_runs_the_sweep(capsys):
    book(office(), day=DAY)
    call_command("expire_no_shows")  # now is well before the booking: nothing to do
    assert "Expired 0 booking(s)." in capsys.readouterr().out


def test_the_passports_path_from_submission_to_collection(clerk):
    place = office()
    booking = booking_check_in(office=place, code=book(place).code, actor=clerk, now=_at(7, 45))
    queue_call_next(office=place, counter=2, actor=clerk, now=_at(8, 0))
    booking = booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code="820261234567890",
        counter=2,
        actor=clerk,
        now=_at(8, 10),
    )
    assert (booking.status, booking.fee_amount, booking.billing_code) == (
        "submitted",
        350_000,
        "820261234567890",
    )
    booking = booking_confirm_payment(booking=booking, actor=Actor.api_client("bank-gateway"))
    booking = booking_mark_ready(booking=booking, actor=clerk)
    booking = booking_mark_collected(booking=booking, actor=clerk)
    assert booking.status == "collected"
    assert list(booking.events.values_list("to_status", flat=True)) == [
        "booked",
        "checked_in",
        "submitted",
        "paid",
        "ready",
        "collected",
    ]
    assert Slot.objects.get(pk=booking.slot_id).booked == 1  # collected still held its place


def test_the_2017_fee_applies_to_a_2017_visit():
    from bookings.services import fee_current

    assert fee_current(code="paspor-biasa-48", on=dt.date(2017, 8, 8)).amount == 355_000
    assert fee_current(code="paspor-biasa-48", on=dt.date(2026, 12, 7)).amount == 350_000


def test_steps_out_of_order_and_bad_billing_codes_are_refused(clerk):
    place = office()
    booking = book(place)
    assert (
        _refusal(lambda: booking_mark_ready(booking=booking, actor=clerk)) == "invalid_transition"
    )
    checked = booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(7, 45))
    assert (
        _refusal(
            lambda: booking_record_submission(
                booking=checked,
                fee_code="paspor-biasa-48",
                billing_code="123",
                counter=1,
                actor=clerk,
            )
        )
        == "invalid_billing_code"
    )
    assert (
        _refusal(
            lambda: booking_record_submission(
                booking=checked, fee_code="nope", billing_code="8" * 15, counter=1, actor=clerk
            )
        )
        == "unknown_fee"
    )
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"


def test_priority_tickets_are_numbered_within_the_daily_quota(clerk):
    place = office(priority_quota=2)
    first = priority_ticket_issue(office=place, category="elderly", actor=clerk, now=_at(7, 0))
    second = priority_ticket_issue(office=place, category="child", actor=clerk, now=_at(7, 5))
    assert (first.number, second.number) == ("P-001", "P-002")
    assert _refusal(
        lambda: priority_ticket_issue(
            office=place, category="disabled", actor=clerk, now=_at(7, 10)
        )
    ) == ("priority_quota_reached")
    next_day = priority_ticket_issue(
        office=place, category="elderly", actor=clerk, now=_at(7, 0, dt.date(2026, 12, 8))
    )
    assert next_day.number == "P-001"
    assert PriorityTicket.objects.count() == 3


def test_an_applicant_cannot_cancel_once_the_slot_has_begun_but_staff_can(clerk):
    booking = book(office())  # 08:00
    with pytest.raises(DomainError) as caught:
        booking_cancel(booking=booking, actor=APPLICANT, now=_at(8, 0))
    assert caught.value.code == "cancel_too_late"
    assert booking_cancel(booking=booking, actor=clerk, now=_at(8, 5)).status == "cancelled"
