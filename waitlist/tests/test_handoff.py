"""The draw's losers handed to a day's list (`waitlist_append`) meet those who joined
it themselves: a person waits on a day's list at most once, the earlier place stands."""

import datetime as dt

import pytest
import time_machine
from django.db.models import Count

from bookings.applicant import Applicant
from bookings.models import Channel
from bookings.tests.factories import DAY, NOW, applicant, office
from immigration.errors import ConflictError
from waitlist.models import RequestState, WaitlistPerson, WaitlistRequest
from waitlist.services import (
    Arrival,
    waitlist_append,
    waitlist_confirm,
    waitlist_position,
    waitlist_positions_of_sources,
)
from waitlist.tests.helpers import fill, join

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def full():
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=14)
        fill(place)
        yield place


def _arrival(source, people, phone="6281234509999") -> Arrival:
    return Arrival(
        source=source, phone=phone, language="id", channel=Channel.WHATSAPP, applicants=people
    )


def _twice_on_the_list(place) -> list:
    return list(
        WaitlistPerson.objects.filter(
            request__office=place,
            request__date=DAY,
            request__state__in=[RequestState.WAITING, RequestState.OFFERED],
        )
        .values("name", "birth_date")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )


def test_a_draw_loser_already_waiting_by_tunggu_is_on_the_list_once(full):
    place = full
    before = join(place)
    siti = Applicant("siti  nur'aini", dt.date(1978, 6, 17))  # as typed, not normalised
    mine = join(place, people=[siti])
    added = waitlist_append(
        office=place, day=DAY, arrivals=[_arrival("draw:AAAA1111", [siti])], now=NOW
    )
    assert added == 0
    assert _twice_on_the_list(place) == []
    mine.refresh_from_db()
    # The earlier place stands and answers for the draw's entry.
    assert mine.source == "draw:AAAA1111"
    assert waitlist_position(request=mine) == 2
    assert waitlist_positions_of_sources(sources=["draw:AAAA1111"]) == {"draw:AAAA1111": 2}
    assert WaitlistRequest.objects.filter(office=place, date=DAY).count() == 2
    assert before.pk != mine.pk
    # A second (resumed) handoff adds nobody either.
    again = waitlist_append(
        office=place, day=DAY, arrivals=[_arrival("draw:AAAA1111", [siti])], now=NOW
    )
    assert again == 0


def test_the_rest_of_a_family_is_added_together_and_the_waiting_one_keeps_their_place(full):
    place = full
    mother, child, father = applicant(), applicant(), applicant()
    waiting = join(place, people=[mother])
    added = waitlist_append(
        office=place,
        day=DAY,
        arrivals=[_arrival("draw:BBBB2222", [mother, child, father])],
        now=NOW,
    )
    assert added == 1
    assert _twice_on_the_list(place) == []
    appended = WaitlistRequest.objects.get(source="draw:BBBB2222")
    assert appended.people_count == 2
    assert sorted(appended.people.values_list("name", flat=True)) == sorted(
        [child.name, father.name]
    )
    waiting.refresh_from_db()
    assert waiting.source == ""  # the arrival has a request of its own
    assert waitlist_position(request=waiting) == 1


def test_a_pending_web_request_is_no_place_and_its_late_ya_is_refused(full):
    place = full
    siti = applicant()
    pending = join(place, people=[siti], phone_verified=False, phone_number="081234508888")
    assert pending.state == RequestState.PENDING
    added = waitlist_append(
        office=place, day=DAY, arrivals=[_arrival("draw:CCCC3333", [siti])], now=NOW
    )
    assert added == 1
    with pytest.raises(ConflictError) as refusal:
        waitlist_confirm(office=place, phone=pending.phone, ref=pending.ref, now=NOW)
    assert refusal.value.code == "already_waiting"
    pending.refresh_from_db()
    assert pending.state == RequestState.PENDING  # refused, nothing changed
    assert _twice_on_the_list(place) == []


def test_someone_the_draw_put_on_the_list_cannot_join_it_again_by_tunggu(full):
    place = full
    siti = applicant()
    waitlist_append(office=place, day=DAY, arrivals=[_arrival("draw:DDDD4444", [siti])], now=NOW)
    with pytest.raises(ConflictError) as refusal:
        join(place, people=[siti])
    assert refusal.value.code == "already_waiting"
    assert _twice_on_the_list(place) == []


def test_a_large_handoff_keeps_each_arrivals_people_and_order(full):
    """The handoff inserts requests and people in one statement each: every request
    gets its own people and its place in the order given."""
    place = full
    arrivals = [
        _arrival(f"draw:L{n:07d}", [applicant() for _ in range(1 + n % 3)]) for n in range(300)
    ]
    assert waitlist_append(office=place, day=DAY, arrivals=arrivals, now=NOW) == 300
    requests = WaitlistRequest.objects.filter(source__startswith="draw:L").order_by("position")
    assert [r.source for r in requests] == [a.source for a in arrivals]
    for request, arrival in zip(requests, arrivals, strict=True):
        assert sorted(request.people.values_list("name", flat=True)) == sorted(
            p.name for p in arrival.applicants
        )
        assert request.people_count == len(arrival.applicants)
    assert len({r.ref for r in requests}) == 300
