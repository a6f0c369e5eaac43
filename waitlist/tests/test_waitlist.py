"""The waiting list on real PostgreSQL: joining, positions, offers of freed places,
YA, silence, leaving. Transactional: the offer runs after the freeing commit."""

import datetime as dt

import pytest
import time_machine

from bookings.models import Booking, BookingStatus
from bookings.services import Actor, booking_cancel, holds_release_expired
from bookings.tests.factories import DAY, NOW, applicant, book, office, phone
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from waitlist.models import OfferState, RequestState, WaitlistOffer
from waitlist.services import (
    day_cutoff,
    offer_expiry,
    places_freed,
    waitlist_confirm,
    waitlist_leave,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_position,
    waitlist_sweep,
)
from waitlist.tests.helpers import assert_invariants, fill, join, later

pytestmark = pytest.mark.django_db(transaction=True)

APPLICANT = Actor.applicant("whatsapp")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def full(clock):
    place = office(hours__daily_capacity=14)  # one place in each of 14 slots
    return place, fill(place)


def test_positions_follow_the_order_of_joining_and_close_up_when_one_leaves(full):
    place, _ = full
    first, second, third = join(place), join(place, 2), join(place)
    assert [waitlist_position(request=r) for r in (first, second, third)] == [1, 2, 3]
    waitlist_leave(request=second)
    third.refresh_from_db()
    assert waitlist_position(request=third) == 2
    assert_invariants(place)


def test_a_cancellation_offers_the_place_to_the_first_request_that_fits(full):
    place, booked = full
    family = join(place, 2)
    single = join(place)
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    single.refresh_from_db()
    family.refresh_from_db()
    assert single.state == RequestState.OFFERED  # the family of two does not fit one place
    assert family.state == RequestState.WAITING
    offer = WaitlistOffer.objects.get(request=single)
    held = offer.first_booking
    assert held.status == BookingStatus.HELD
    assert held.hold_expires_at == offer.expires_at
    assert offer.expires_at == NOW + dt.timedelta(minutes=120)
    message = OutboundMessage.objects.get(kind="waitlist_offer")
    assert message.to == single.phone
    assert "YA" in message.text
    assert held.code not in message.text  # the reply is YA, not a hold code
    assert_invariants(place)
    # A second place: now the family of two fits? No, one place again; nobody fits.
    booking_cancel(booking=booked[1], actor=APPLICANT, now=NOW)
    family.refresh_from_db()
    assert family.state == RequestState.WAITING
    booking_cancel(booking=booked[2], actor=APPLICANT, now=NOW)
    family.refresh_from_db()
    assert family.state == RequestState.OFFERED
    assert WaitlistOffer.objects.get(request=family).places == 2
    assert_invariants(place)


def test_ya_books_the_offered_places_with_queue_numbers(full):
    place, booked = full
    request = join(place)
    booking_cancel(booking=booked[5], actor=APPLICANT, now=NOW)
    done = waitlist_offer_accept(office=place, phone=request.phone, now=later(30))
    assert [b.status for b in done] == [BookingStatus.BOOKED]
    assert done[0].queue_seq is not None
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED
    assert WaitlistOffer.objects.get(request=request).state == OfferState.ACCEPTED
    with pytest.raises(DomainError) as again:
        waitlist_offer_accept(office=place, phone=request.phone, now=later(31))
    assert again.value.code == "no_open_offer"
    assert_invariants(place, now=later(31))


def test_silence_passes_the_offer_on_to_the_next_request(full, clock):
    place, booked = full
    first, second = join(place), join(place)
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    clock.move_to(later(121))
    holds_release_expired(now=later(121))  # the hold sweep may run first: same result
    waitlist_sweep(now=later(121))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == RequestState.EXPIRED
    assert second.state == RequestState.OFFERED
    with pytest.raises(DomainError) as late:
        waitlist_offer_accept(office=place, phone=first.phone, now=later(122))
    assert late.value.code == "no_open_offer"
    assert_invariants(place, now=later(121))


def test_ya_after_the_offer_lapsed_is_refused_and_passed_on(full):
    place, booked = full
    first, second = join(place), join(place)
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    with pytest.raises(DomainError) as late:
        waitlist_offer_accept(office=place, phone=first.phone, now=later(125))
    assert late.value.code == "offer_expired"
    second.refresh_from_db()
    assert second.state == RequestState.OFFERED
    assert not Booking.objects.filter(phone=first.phone, status=BookingStatus.BOOKED).exists()


def test_declining_or_leaving_releases_the_places_to_the_next(full):
    place, booked = full
    first, second, third = join(place), join(place), join(place)
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    waitlist_offer_decline(office=place, phone=first.phone, now=later(1))
    second.refresh_from_db()
    assert second.state == RequestState.OFFERED
    waitlist_leave(request=second, now=later(2))
    third.refresh_from_db()
    assert third.state == RequestState.OFFERED
    first.refresh_from_db()
    assert first.state == RequestState.LEFT
    assert_invariants(place, now=later(2))


def test_web_request_waits_for_ya_ref_from_its_phone(full):
    place, booked = full
    number = phone()
    request = join(place, phone_number=number, phone_verified=False)
    assert request.state == RequestState.PENDING
    assert request.position is None
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    request.refresh_from_db()
    assert request.state == RequestState.PENDING  # not on the list: not offered
    with pytest.raises(DomainError) as stranger:
        waitlist_confirm(office=place, phone="6281299999999", ref=request.ref, now=later(1))
    assert stranger.value.code == "waitlist_not_found"
    waitlist_confirm(office=place, phone=request.phone, ref=request.display_ref, now=later(1))
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED  # the free place went to it at once


def test_join_refuses_people_already_waiting_or_booked_and_changes_nothing(full):
    place, booked = full
    person = applicant()
    join(place, people=[person])
    with pytest.raises(DomainError) as twice:
        join(place, people=[person])
    assert twice.value.code == "already_waiting"
    holder = booked[0]
    with pytest.raises(DomainError) as has_booking:
        join(place, people=[applicant(holder.name, holder.birth_date)])
    assert has_booking.value.code == "duplicate_booking"
    with pytest.raises(DomainError) as too_many:
        join(place, 6)
    assert too_many.value.code == "family_too_large"
    number = phone()
    join(place, 5, phone_number=number)
    with pytest.raises(DomainError) as limit:
        join(place, 1, phone_number=number)
    assert limit.value.code == "limit_reached"
    assert place.waitlist.count() == 2


def test_join_refuses_a_day_past_its_cutoff(clock):
    place = office(hours__daily_capacity=14)
    cutoff = day_cutoff(place, DAY)
    clock.move_to(cutoff)
    with pytest.raises(DomainError) as closed:
        join(place, now=cutoff)
    assert closed.value.code == "waitlist_closed"


def test_offers_get_shorter_as_the_day_nears_and_never_pass_its_cutoff():
    place = office()
    cutoff = day_cutoff(place, DAY)
    assert cutoff.hour == 12  # same_day_cutoff 12:00 WIB
    assert offer_expiry(place, DAY, NOW) == NOW + dt.timedelta(minutes=120)
    six_hours_before = cutoff - dt.timedelta(hours=6)
    assert offer_expiry(place, DAY, six_hours_before) == six_hours_before + dt.timedelta(minutes=90)
    ten_minutes_before = cutoff - dt.timedelta(minutes=10)
    assert offer_expiry(place, DAY, ten_minutes_before) == cutoff


def test_a_day_with_room_offers_it_at_once_and_places_freed_twice_offers_once(clock):
    place = office(hours__daily_capacity=14)
    fill(place)
    request = join(place)
    assert places_freed(office=place, day=DAY, now=NOW) == []
    booking = Booking.objects.filter(office=place, status=BookingStatus.BOOKED).first()
    booking_cancel(booking=booking, actor=APPLICANT, now=NOW)
    assert places_freed(office=place, day=DAY, now=NOW) == []  # already offered
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    assert WaitlistOffer.objects.filter(request=request).count() == 1
    assert_invariants(place)


def test_an_ordinary_booking_cannot_take_an_offered_place(full):
    place, booked = full
    join(place)
    booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
    with pytest.raises(DomainError) as taken:
        book(place)
    assert taken.value.code == "day_full"
