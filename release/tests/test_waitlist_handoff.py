"""The draw hands the requests that won nothing to the waiting lists (issue #18), on real
PostgreSQL: in draw order on each request's first preferred day, after anyone already
waiting, once however often the draw runs, and first in line for a place freed later."""

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from bookings.models import Booking, BookingStatus
from bookings.services import Actor, booking_cancel
from notifications.models import OutboundMessage
from release.models import DrawEntry, EntryResult
from release.services import draw_run, draw_waitlist
from release.tests.factories import CLOSES, DAYS, committed, draw_office, enter, person
from waitlist.models import OfferState, RequestState, WaitlistRequest
from waitlist.services import places_freed, waitlist_position

pytestmark = pytest.mark.django_db


def _loser_text(entry: DrawEntry, position: int) -> str:
    with translation.override(entry.language):
        return _(
            "No place was drawn for your request. You are number %(position)d on the "
            "waiting list; we will write to you if a place frees up."
        ) % {"position": position}


def _list(office, day) -> list[WaitlistRequest]:
    return list(WaitlistRequest.objects.filter(office=office, date=day).order_by("position"))


def test_losers_wait_on_their_first_day_in_draw_order_with_their_people_and_language():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    for _n in range(20):
        enter(office, [person()], [DAYS[0], DAYS[1]])
    for _n in range(8):
        enter(office, [person(), person()], [DAYS[1]], language="en")
    draw = draw_run(draw=draw, now=CLOSES)
    losers = draw_waitlist(draw=draw)
    assert losers  # 36 people for 28 places
    for day in (DAYS[0], DAYS[1]):
        expected = [e for e in losers if e.preferences[0] == day.isoformat()]
        on_list = _list(office, day)
        assert [r.source for r in on_list] == [f"draw:{e.reference}" for e in expected]
        assert [r.position for r in on_list] == list(range(1, len(on_list) + 1))
        for request, entry in zip(on_list, expected, strict=True):
            assert request.state == RequestState.WAITING
            assert request.phone == entry.phone
            assert request.language == entry.language
            assert request.people_count == entry.people_count
            assert sorted(p.name for p in request.people.all()) == sorted(
                p["name"] for p in entry.people
            )
            # The result message gives the position on that day's list.
            told = OutboundMessage.objects.get(kind="draw_result", to=entry.phone)
            assert _loser_text(entry, waitlist_position(request=request)) in told.text
    assert WaitlistRequest.objects.filter(office=office).count() == len(losers)


def test_losers_come_after_those_already_waiting_and_a_second_run_adds_nobody():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    already = WaitlistRequest.objects.create(
        office=office,
        date=DAYS[0],
        ref="WAITED01",
        position=1,
        state=RequestState.WAITING,
        phone="6281300000000",
        channel="whatsapp",
        people_count=1,
        joined_at=CLOSES - dt.timedelta(days=1),
    )
    for _n in range(18):
        enter(office, [person()], [DAYS[0]])
    draw = draw_run(draw=draw, now=CLOSES)
    losers = draw_waitlist(draw=draw)
    assert len(losers) == 4
    on_list = _list(office, DAYS[0])
    assert on_list[0] == already
    assert [r.source for r in on_list[1:]] == [f"draw:{e.reference}" for e in losers]
    # The first loser is second on the day's list, and told so (not "number 1").
    first = OutboundMessage.objects.get(kind="draw_result", to=losers[0].phone)
    assert _loser_text(losers[0], 2) in first.text
    assert losers[0].waitlist_position == 1  # the draw's own order, kept for the public page

    snapshot = list(WaitlistRequest.objects.order_by("pk").values())
    draw_run(draw=draw, now=CLOSES + dt.timedelta(minutes=1))
    # A resumed run (as if it crashed after the draw): the handoff runs again.
    DrawEntry.objects.filter(draw=draw).update(notified_at=None)
    draw.refresh_from_db()
    draw.state = "drawn"
    draw.save(update_fields=["state"])
    draw_run(draw=draw, now=CLOSES + dt.timedelta(minutes=2))
    assert list(WaitlistRequest.objects.order_by("pk").values()) == snapshot


def test_a_place_freed_after_the_draw_is_offered_to_the_first_loser():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    for _n in range(17):
        enter(office, [person()], [DAYS[0]])
    draw = draw_run(draw=draw, now=CLOSES)
    losers = draw_waitlist(draw=draw)
    winner = DrawEntry.objects.filter(draw=draw, result=EntryResult.WON).order_by("rank")[0]
    booking = Booking.objects.get(code=winner.group_code)
    later = CLOSES + dt.timedelta(hours=2)
    booking_cancel(booking=booking, actor=Actor.applicant("whatsapp"), now=later)
    offers = places_freed(office=office, day=DAYS[0], now=later)
    assert len(offers) == 1
    offer = offers[0]
    assert offer.state == OfferState.OPEN
    assert offer.request.source == f"draw:{losers[0].reference}"
    held = Booking.objects.get(pk=offer.first_booking_id)
    assert held.status == BookingStatus.HELD
    assert held.phone == losers[0].phone
