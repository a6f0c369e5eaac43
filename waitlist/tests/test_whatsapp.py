"""The waiting list by WhatsApp: TUNGGU/WAIT, YA/YES for an offer, TIDAK, KELUAR,
STATUS with positions, and a full day's refusal pointing to the list."""

import pytest
import time_machine

from bookings.models import BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, book, office
from immigration.errors import DomainError
from waitlist.models import RequestState, WaitlistRequest
from waitlist.tests.helpers import fill, say

pytestmark = pytest.mark.django_db(transaction=True)

LINE = f"#SITI NUR'AINI#17061978#{DAY:%d%m%Y}#"


@pytest.fixture
def full():
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=14)
        yield place, fill(place)


def test_tunggu_joins_the_list_and_status_shows_the_position(full):
    place, _ = full
    reply = say(place, f"TUNGGU {LINE}")
    request = WaitlistRequest.objects.get(ref=reply.result["waitlist"])
    assert request.state == RequestState.WAITING
    assert request.phone == "6281234500001"
    assert "posisi 1" in reply.text or "position 1" in reply.text
    assert reply.language == "id"
    status = say(place, "STATUS")
    assert request.display_ref in status.text


def test_wait_in_english_and_a_bad_line_explains_the_format(full):
    place, _ = full
    reply = say(place, "WAIT #SITI#1706#", sender="6281234500002")
    assert reply.result["error"] == "bad_format"
    assert reply.language == "en"
    assert "WAIT" in reply.text or "TUNGGU" in reply.text


def test_ya_accepts_the_offer_and_tidak_passes_it_on(full):
    place, booked = full
    say(place, f"TUNGGU {LINE}", sender="6281234500003")
    say(place, f"TUNGGU #BUDI SANTOSO#01021980#{DAY:%d%m%Y}#", sender="6281234500004")
    booking_cancel(booking=booked[0], actor=Actor.applicant("whatsapp"), now=NOW)
    declined = say(place, "TIDAK", sender="6281234500003")
    assert declined.result["declined"]
    accepted = say(place, "YA", sender="6281234500004")
    assert len(accepted.result["accepted"]) == 1
    assert accepted.queued  # the booking's confirmation, with its code and queue number
    first = WaitlistRequest.objects.get(phone="6281234500003")
    assert first.state == RequestState.LEFT


def test_ya_with_a_hold_code_is_still_the_holds_confirmation(full):
    place, _ = full
    reply = say(place, "YA K7P2-MX4Q", sender="6281234500005")
    assert reply.result.get("error") == "hold_not_found"


def test_a_full_day_refusal_offers_the_waiting_list(full):
    place, _ = full
    reply = say(place, LINE, sender="6281234500006")
    assert reply.result["bookings"] == []
    assert f"TUNGGU {LINE}" in reply.text


def test_keluar_leaves_the_list(full):
    place, _ = full
    joined = say(place, f"TUNGGU {LINE}", sender="6281234500007")
    reply = say(place, "KELUAR", sender="6281234500007")
    assert reply.result["left"] == joined.result["waitlist"]
    assert WaitlistRequest.objects.get(ref=joined.result["waitlist"]).state == RequestState.LEFT


def test_a_stranger_cannot_accept_or_leave_someone_elses_offer(full):
    place, booked = full
    say(place, f"TUNGGU {LINE}", sender="6281234500008")
    booking_cancel(booking=booked[0], actor=Actor.applicant("whatsapp"), now=NOW)
    request = WaitlistRequest.objects.get(phone="6281234500008")
    thief = say(place, f"YA {request.display_ref}", sender="6281234599999")
    assert "accepted" not in thief.result
    leave = say(place, f"KELUAR {request.display_ref}", sender="6281234599999")
    assert leave.result["left"] is None
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    with pytest.raises(DomainError):
        book(place)  # nor can anyone else take the offered place


def test_booking_status_stays_with_bookings(full):
    place, booked = full
    reply = say(place, f"STATUS {booked[0].display_code}", sender=booked[0].phone)
    assert reply.result.get("booking") == booked[0].code
    assert booked[0].status == BookingStatus.BOOKED
