""" "YA accepts; anything else, or silence, passes the offer on": a reply from the
offered phone that is neither YA nor a command of the conversation passes the offer to
the next on the list and says so; commands are answered as always and leave the offer
open; a race of such a reply with a freed place (or with the same phone's YA) never
gives a place twice nor leaves one empty while a request fits."""

from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import Booking, BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, office
from bookings.tests.races import race
from waitlist.models import OfferState, RequestState, WaitlistOffer, WaitlistRequest
from waitlist.tests.helpers import assert_invariants, fill, join, say

pytestmark = pytest.mark.django_db(transaction=True)

APPLICANT = Actor.applicant("whatsapp")


@pytest.fixture
def offered():
    """A full day, three single requests waiting, and one place freed: the first
    request holds an offer."""
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=14)
        booked = fill(place)
        requests = [join(place, phone_number=f"08123450000{i}") for i in range(3)]
        booking_cancel(booking=booked[0], actor=APPLICANT, now=NOW)
        for request in requests:
            request.refresh_from_db()
        assert [r.state for r in requests] == [RequestState.OFFERED, *[RequestState.WAITING] * 2]
        yield place, booked, requests


def _open_offer_of(request):
    return WaitlistOffer.objects.filter(request=request, state=OfferState.OPEN).first()


@pytest.mark.parametrize(
    "text", ["maaf, saya tidak bisa hari itu", "ok", "Thanks", "nanti saja", "🙏"]
)
def test_any_other_reply_passes_the_offer_on_and_says_so(offered, text):
    place, _, (first, second, _third) = offered
    reply = say(place, text, first.phone)
    assert reply.result == {"passed_on": first.ref}
    assert "YA" in reply.text
    assert first.display_ref in reply.text
    assert "berikutnya" in reply.text  # the request's language (Indonesian)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == RequestState.LEFT
    assert _open_offer_of(first) is None
    assert second.state == RequestState.OFFERED  # the place went on at once
    assert Booking.objects.filter(phone=first.phone, status=BookingStatus.HELD).count() == 0
    assert_invariants(place)


def test_the_reply_is_in_the_language_the_request_chose(offered):
    place, _, (first, _second, _third) = offered
    WaitlistRequest.objects.filter(pk=first.pk).update(language="en")
    reply = say(place, "sorry, not that day", first.phone)
    assert reply.language == "en"
    assert "next on the waiting list" in reply.text


@pytest.mark.parametrize(
    "text",
    [
        "STATUS",
        "CEK",
        "HELP",
        "BANTUAN",
        "EN",
        "BATAL K7P2-MX4Q",
        "LAPOR CALO someone asked for money at the gate",
        f"#BUDI SANTOSO#01021980#{DAY:%d%m%Y}#",
        "TUNGGU",
    ],
)
def test_a_command_is_answered_as_always_and_the_offer_stays(offered, text):
    place, _, (first, second, _third) = offered
    reply = say(place, text, first.phone)
    assert "passed_on" not in reply.result
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == RequestState.OFFERED
    assert _open_offer_of(first) is not None
    assert second.state == RequestState.WAITING


def test_status_tells_the_offer_s_deadline_on_the_office_s_clock(offered):
    place, _, (first, _second, _third) = offered
    reply = say(place, "STATUS", first.phone)
    offer = _open_offer_of(first)
    until = offer.expires_at.astimezone(ZoneInfo(place.timezone)).strftime("%H:%M")
    assert f"{until} WIB" in reply.text
    assert first.display_ref in reply.text


@pytest.mark.parametrize("text", ["YA", "iya", "Ya, saya mau", "YES please"])
def test_yes_in_its_forms_books_the_offer(offered, text):
    place, _, (first, _second, _third) = offered
    reply = say(place, text, first.phone)
    assert len(reply.result["accepted"]) == 1
    first.refresh_from_db()
    assert first.state == RequestState.ACCEPTED


def test_another_phone_s_chatter_changes_nothing(offered):
    place, _, (first, _second, _third) = offered
    reply = say(place, "maaf, tidak bisa", "6281299999999")
    assert "passed_on" not in reply.result
    first.refresh_from_db()
    assert first.state == RequestState.OFFERED


def test_a_message_without_text_is_no_answer(offered):
    place, _, (first, _second, _third) = offered
    say(place, "", first.phone)  # a photo or a voice note: nothing we can read
    first.refresh_from_db()
    assert first.state == RequestState.OFFERED


def test_a_reply_racing_a_freed_place_gives_each_place_once(offered):
    place, booked, (first, second, third) = offered
    results, errors = race(
        [
            lambda: say(place, "tidak jadi, terima kasih", first.phone),
            lambda: booking_cancel(booking=booked[1], actor=APPLICANT, now=NOW),
        ]
    )
    assert errors == []
    assert len(results) == 2
    for request in (first, second, third):
        request.refresh_from_db()
    assert first.state == RequestState.LEFT
    # Two places free (the passed-on one and the cancelled one), two requests waiting:
    # each is offered exactly one place, and no place is left empty.
    assert second.state == RequestState.OFFERED
    assert third.state == RequestState.OFFERED
    open_offers = WaitlistOffer.objects.filter(office=place, date=DAY, state=OfferState.OPEN)
    assert sorted(o.request_id for o in open_offers) == sorted([second.pk, third.pk])
    assert sum(o.places for o in open_offers) == 2
    assert_invariants(place)


def test_a_reply_racing_the_same_phone_s_ya_ends_one_way_only(offered):
    place, _, (first, second, _third) = offered
    _results, errors = race(
        [
            lambda: say(place, "YA", first.phone),
            lambda: say(place, "maaf tidak bisa", first.phone),
        ]
    )
    assert errors == []
    first.refresh_from_db()
    second.refresh_from_db()
    booked = Booking.objects.filter(phone=first.phone, status=BookingStatus.BOOKED).count()
    if first.state == RequestState.ACCEPTED:
        assert booked == 1
        assert second.state == RequestState.WAITING
    else:
        assert first.state == RequestState.LEFT
        assert booked == 0
        assert second.state == RequestState.OFFERED
    assert_invariants(place)
