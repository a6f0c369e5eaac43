"""Many places freed and many `YA` at once, each in its own connection to the real
PostgreSQL: a freed place is offered exactly once, never to two requests, never left
empty while a waiting request fits; an accepted offer books exactly its places."""

import pytest
import time_machine

from bookings.models import Booking, BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, office
from bookings.tests.races import race
from immigration.errors import DomainError
from immigration.locks import BusyError
from offices.models import Slot
from waitlist.models import OfferState, RequestState, WaitlistOffer, WaitlistRequest
from waitlist.services import places_freed, waitlist_offer_accept
from waitlist.tests.helpers import assert_invariants, fill, join

pytestmark = pytest.mark.django_db(transaction=True)

APPLICANT = Actor.applicant("whatsapp")
SIZES = [1, 2, 1, 1, 3, 1, 2, 1, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1]


@pytest.fixture
def day_with_list():
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=28)  # two places in each of 14 slots
        booked = fill(place)
        requests = [join(place, size) for size in SIZES]
        yield place, booked, requests


def _offered_places(place) -> int:
    return sum(
        WaitlistOffer.objects.filter(office=place, date=DAY, state=OfferState.OPEN).values_list(
            "places", flat=True
        )
    )


def _cancel(booking):
    return lambda: booking_cancel(booking=booking, actor=APPLICANT, now=NOW)


def _only_busy(errors) -> int:
    """How many calls were refused `busy` (a lock not granted within
    LOCK_TIMEOUT_SECONDS on a loaded machine: nothing changed, try again); any other
    error fails the test."""
    assert all(isinstance(e, BusyError) and e.code == "busy" for e in errors), errors
    return len(errors)


def test_many_cancellations_at_once_offer_each_freed_place_exactly_once(day_with_list):
    place, booked, _ = day_with_list
    results, errors = race([_cancel(b) for b in booked[:12]])
    busy = _only_busy(errors)
    assert len(results) == 12 - busy
    cancelled = Booking.objects.filter(office=place, status=BookingStatus.CANCELLED).count()
    assert cancelled == 12 - busy  # a busy refusal cancelled nothing
    # A hand-off refused busy is the beat sweep's to finish: run it as the sweep would.
    places_freed(office=place, day=DAY, now=NOW)
    # Every freed place is held by exactly one open offer (the list is long enough).
    assert _offered_places(place) == cancelled
    assert sum(s.booked for s in Slot.objects.filter(office=place, date=DAY)) == 28
    assert_invariants(place)
    # Offers went in list order: nobody waits ahead of a request that was offered
    # places unless it is bigger than what was left when its turn came.
    offered = WaitlistRequest.objects.filter(office=place, state=RequestState.OFFERED)
    last_offered = max(r.position for r in offered)
    skipped = WaitlistRequest.objects.filter(
        office=place, state=RequestState.WAITING, position__lt=last_offered
    )
    assert all(r.people_count > 1 for r in skipped)


@pytest.mark.parametrize("timeout", [0.05, 0.2])
def test_many_cancellations_under_short_lock_timeouts_refuse_busy_and_lose_no_place(
    day_with_list, settings, timeout
):
    """What a loaded machine does to the race above, made likely: a lock timeout far
    below LOCK_TIMEOUT_SECONDS. A cancellation that waited too long is the clean
    `busy` refusal (never a raw OperationalError) and changed nothing; the others
    freed their places, each offered exactly once."""
    settings.LOCK_TIMEOUT_SECONDS = timeout
    place, booked, _ = day_with_list
    _results, errors = race([_cancel(b) for b in booked[:12]])
    busy = _only_busy(errors)
    for booking in booked[:12]:
        booking.refresh_from_db()
    assert sum(b.status == BookingStatus.CANCELLED for b in booked[:12]) == 12 - busy
    assert all(b.status in (BookingStatus.CANCELLED, BookingStatus.BOOKED) for b in booked[:12])
    settings.LOCK_TIMEOUT_SECONDS = 5
    places_freed(office=place, day=DAY, now=NOW)
    assert _offered_places(place) == 12 - busy
    assert sum(s.booked for s in Slot.objects.filter(office=place, date=DAY)) == 28
    assert_invariants(place)


def test_ya_and_more_cancellations_at_once_never_give_a_place_twice(day_with_list):
    place, booked, _ = day_with_list
    _results, errors = race([_cancel(b) for b in booked[:10]])
    freed = 10 - _only_busy(errors)
    places_freed(office=place, day=DAY, now=NOW)  # a hand-off refused busy: the sweep's
    offers = list(WaitlistOffer.objects.filter(office=place, state=OfferState.OPEN))
    phones = [offer.request.phone for offer in offers]
    accept = [
        (lambda number=number: waitlist_offer_accept(office=place, phone=number, now=NOW))
        for number in phones + phones[:3]  # WhatsApp delivers some YA twice
    ]
    results, errors = race(accept + [_cancel(b) for b in booked[10:18]])
    assert {e.code for e in errors if isinstance(e, DomainError)} <= {
        "no_open_offer",
        "offer_closed",
        "busy",  # a lock not granted in time on a loaded machine: nothing changed
    }
    assert len([e for e in errors if not isinstance(e, DomainError)]) == 0, errors
    assert len(results) + len(errors) == len(accept) + 8
    # A YA refused busy kept its offer open: the applicant sends it again.
    for offer in WaitlistOffer.objects.filter(
        pk__in=[o.pk for o in offers], state=OfferState.OPEN
    ).select_related("request"):
        waitlist_offer_accept(office=place, phone=offer.request.phone, now=NOW)
    later = Booking.objects.filter(
        pk__in=[b.pk for b in booked[10:18]], status=BookingStatus.CANCELLED
    ).count()
    places_freed(office=place, day=DAY, now=NOW)
    accepted = WaitlistOffer.objects.filter(office=place, state=OfferState.ACCEPTED)
    assert accepted.count() == len(offers)
    accepted_places = sum(o.places for o in accepted)
    assert accepted_places == freed
    # The later places: offered (held) to the next requests, each exactly once.
    assert _offered_places(place) == later
    live = Booking.objects.filter(
        office=place, date=DAY, status__in=[BookingStatus.BOOKED, BookingStatus.HELD]
    )
    assert live.count() == 28
    assert live.filter(status=BookingStatus.BOOKED).count() == 28 - later
    seqs = list(live.exclude(queue_seq=None).values_list("queue_seq", flat=True))
    assert len(seqs) == len(set(seqs))
    assert_invariants(place)


def test_places_freed_run_by_many_workers_at_once_offers_once(day_with_list):
    place, booked, _ = day_with_list
    with time_machine.travel(NOW, tick=False):
        # Free places behind the hook's back (as a crashed worker would leave them).
        Booking.objects.filter(pk__in=[b.pk for b in booked[:6]]).update(
            status=BookingStatus.CANCELLED
        )
        for booking in booked[:6]:
            Slot.objects.filter(pk=booking.slot_id).update(
                booked=Slot.objects.get(pk=booking.slot_id).booked - 1
            )
    results, errors = race([lambda: places_freed(office=place, day=DAY, now=NOW) for _ in range(8)])
    # A run that waited for the list lock past LOCK_TIMEOUT_SECONDS (behind the others,
    # on a loaded machine) is refused busy and did nothing; the first never waits.
    assert _only_busy(errors) < 8
    assert sum(len(offers) for offers in results) == WaitlistOffer.objects.count()
    assert _offered_places(place) == 6
    assert_invariants(place)
