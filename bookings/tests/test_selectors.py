"""The questions the pages ask (may this booking be cancelled, moved? what replaced
it?) have the answers the services enforce: the same refusal, code for code."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bookings.models import ActorKind
from bookings.selectors import (
    booking_can_cancel,
    booking_can_reschedule,
    booking_cancel_refusal,
    booking_replacement,
    booking_reschedule_refusal,
)
from bookings.services import Actor, booking_cancel, booking_reschedule
from bookings.tests.factories import DAY, NOW, book, office
from immigration.errors import DomainError

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
APPLICANT = Actor.applicant("web")


def _service_refusal(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_a_fresh_booking_may_be_cancelled_and_moved():
    booking = book(office())
    assert booking_can_cancel(booking=booking, now=NOW)
    assert booking_can_reschedule(booking=booking, now=NOW)


def test_a_cancelled_booking_is_offered_nothing_and_the_service_agrees():
    booking = book(office())
    booking_cancel(booking=booking, actor=APPLICANT, now=NOW)
    booking.refresh_from_db()
    refusal = booking_cancel_refusal(booking=booking, actor_kind=ActorKind.APPLICANT, now=NOW)
    assert refusal.code == "not_cancellable"
    assert _service_refusal(lambda: booking_cancel(booking=booking, actor=APPLICANT, now=NOW)) == (
        refusal.code
    )
    assert booking_reschedule_refusal(booking=booking, now=NOW).code == "not_reschedulable"
    assert not booking_can_reschedule(booking=booking, now=NOW)


def test_once_the_slot_has_begun_the_applicant_may_not_cancel_but_staff_may():
    booking = book(office())
    begun = booking.slot.starts_at + dt.timedelta(minutes=1)
    assert not booking_can_cancel(booking=booking, now=begun)
    assert (
        booking_cancel_refusal(booking=booking, actor_kind=ActorKind.APPLICANT, now=begun).code
        == "cancel_too_late"
    )
    assert booking_can_cancel(booking=booking, actor_kind=ActorKind.STAFF, now=begun)
    assert (
        _service_refusal(lambda: booking_cancel(booking=booking, actor=APPLICANT, now=begun))
        == "cancel_too_late"
    )


def test_a_moved_booking_is_not_offered_another_move_and_the_service_agrees():
    moved = booking_reschedule(
        booking=book(office()), date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW
    )
    refusal = booking_reschedule_refusal(booking=moved, now=NOW)
    assert refusal.code == "reschedule_limit"
    assert not booking_can_reschedule(booking=moved, now=NOW)
    assert booking_can_cancel(booking=moved, now=NOW)  # cancelling stays possible
    assert (
        _service_refusal(
            lambda: booking_reschedule(
                booking=moved, date=dt.date(2026, 12, 9), actor=APPLICANT, now=NOW
            )
        )
        == refusal.code
    )


def test_on_the_day_of_the_visit_a_booking_is_not_offered_a_move():
    booking = book(office())
    on_the_day = dt.datetime.combine(DAY, dt.time(6, 0), tzinfo=WIB)
    assert booking_reschedule_refusal(booking=booking, now=on_the_day).code == (
        "reschedule_too_late"
    )
    the_day_before = on_the_day - dt.timedelta(hours=7)  # 23:00 WIB the evening before
    assert booking_can_reschedule(booking=booking, now=the_day_before)


def test_the_old_code_leads_to_the_booking_that_replaced_it(settings):
    settings.BOOKING_RESCHEDULE_MAX = 2
    place = office()
    first = book(place)
    assert booking_replacement(first) is None
    second = booking_reschedule(booking=first, date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW)
    assert booking_replacement(first) == second
    third = booking_reschedule(booking=second, date=dt.date(2026, 12, 9), actor=APPLICANT, now=NOW)
    assert booking_replacement(first) == third  # the latest, not the one in between
    assert booking_replacement(second) == third
    assert booking_replacement(third) is None


def test_another_persons_booking_is_never_a_replacement():
    place = office()
    mine, theirs = book(place), book(place)
    booking_reschedule(booking=theirs, date=dt.date(2026, 12, 8), actor=APPLICANT, now=NOW)
    assert booking_replacement(mine) is None
