"""Places kept for the people UU 25/2009 names: only a booking with a priority person
takes them; unused ones go to the waiting list, then to everyone, before the day."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import PriorityClaim
from bookings.priority import priority_claims
from bookings.tests.factories import DAY, NOW, applicant, book, book_family, office
from immigration.errors import DomainError
from offices.models import Slot
from waitlist.models import PriorityDay, PriorityQuota, RequestState
from waitlist.services import (
    priority_places_keep,
    priority_places_keep_due,
    priority_places_release_due,
)
from waitlist.tests.helpers import assert_invariants, fill, join

pytestmark = pytest.mark.django_db(transaction=True)

ELDER = dt.date(1950, 1, 1)
TODDLER = dt.date(2024, 1, 1)


@pytest.fixture
def kept():
    """A 14-place day keeping 3 for priority, released 48 hours before the day."""
    with time_machine.travel(NOW, tick=False) as clock:
        place = office(hours__daily_capacity=14)
        PriorityQuota.objects.create(office=place, valid_from=DAY, places=3)
        priority_places_keep(office=place, day=DAY, now=NOW)
        yield place, clock


def _kept(place) -> int:
    return sum(Slot.objects.filter(office=place, date=DAY).values_list("priority_kept", flat=True))


def test_claims_follow_age_and_a_family_with_one_priority_person_is_priority():
    adult, elder = applicant(), applicant(birth_date=ELDER)
    assert priority_claims([adult], DAY) == [""]
    assert priority_claims([adult, elder], DAY) == [PriorityClaim.COMPANION, PriorityClaim.ELDERLY]
    assert priority_claims([applicant(birth_date=TODDLER)], DAY) == [PriorityClaim.CHILD]
    assert priority_claims([adult], DAY, ["pregnant"]) == [PriorityClaim.PREGNANT]
    with pytest.raises(DomainError) as bad:
        priority_claims([adult], DAY, ["vip"])
    assert bad.value.code == "invalid_priority"


def test_the_quota_is_kept_once_and_ordinary_bookings_cannot_take_it(kept):
    place, _ = kept
    assert _kept(place) == 3
    assert priority_places_keep(office=place, day=DAY, now=NOW) is None  # once
    assert _kept(place) == 3
    booked = fill(place)
    assert len(booked) == 11
    with pytest.raises(DomainError) as full:
        book(place)
    assert full.value.code == "day_full"
    elder = book(place, person=applicant(birth_date=ELDER))
    assert elder.priority == PriorityClaim.ELDERLY
    family = book_family(place, [applicant(), applicant(birth_date=TODDLER)])
    assert [b.priority for b in family] == [PriorityClaim.COMPANION, PriorityClaim.CHILD]
    assert _kept(place) == 0
    for slot in Slot.objects.filter(office=place, date=DAY):
        assert slot.booked <= slot.capacity


def test_a_priority_booking_uses_up_a_kept_place_even_when_ordinary_room_is_left(kept):
    place, _ = kept
    book(place, person=applicant(birth_date=ELDER))
    assert _kept(place) == 2
    fill(place)  # 14 - 1 priority - 2 kept = 11 ordinary
    assert sum(Slot.objects.filter(office=place).values_list("booked", flat=True)) == 12


def test_unused_places_go_to_the_waiting_list_first_then_to_everyone(kept):
    place, clock = kept
    fill(place)
    waiting = join(place)
    release = PriorityDay.objects.get(office=place, date=DAY).release_at
    assert release == dt.datetime(2026, 12, 5, 0, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert priority_places_release_due(now=release - dt.timedelta(minutes=1)) == 0
    clock.move_to(release)
    assert priority_places_release_due(now=release) == 1
    assert _kept(place) == 0
    waiting.refresh_from_db()
    assert waiting.state == RequestState.OFFERED
    assert_invariants(place, now=release)
    assert book(place, now=release).priority == ""  # the other two: anyone's
    book(place, now=release)
    with pytest.raises(DomainError):
        book(place, now=release)
    assert priority_places_release_due(now=release) == 0  # once


def test_a_waiting_priority_request_may_take_a_kept_place_at_once(kept):
    place, _ = kept
    fill(place)
    ordinary = join(place)
    elder = join(place, people=[applicant(birth_date=ELDER)])
    ordinary.refresh_from_db()
    elder.refresh_from_db()
    assert ordinary.state == RequestState.WAITING
    assert elder.state == RequestState.OFFERED


def test_the_sweep_keeps_the_places_of_the_next_day_before_its_release():
    with time_machine.travel(NOW, tick=False):
        place = office(hours__daily_capacity=14)
        PriorityQuota.objects.create(office=place, valid_from=DAY, places=2)
        # DAY + 30 is released at 08:00 WIB of DAY: the day before, its places are kept.
        eve = NOW.replace(day=6, month=12)
        later_day = DAY + dt.timedelta(days=30)
        priority_places_keep_due(now=eve)
        assert PriorityDay.objects.filter(office=place, date=later_day).exists()
        assert (
            sum(
                Slot.objects.filter(office=place, date=later_day).values_list(
                    "priority_kept", flat=True
                )
            )
            == 2
        )


def test_a_claimed_pregnant_applicant_takes_a_kept_place_a_plain_one_cannot(kept):
    """Disability and pregnancy cannot be read from the birth date: the claim alone
    makes the booking a priority one (the officer checks it at the door)."""
    place, _ = kept
    fill(place)
    with pytest.raises(DomainError) as plain:
        book_family(place, [applicant()])
    assert plain.value.code == "day_full"
    with pytest.raises(DomainError) as unknown:
        book_family(place, [applicant()], priority=["vip"])
    assert unknown.value.code == "invalid_priority"
    assert _kept(place) == 3  # refusals change nothing
    [pregnant] = book_family(place, [applicant()], priority=["pregnant"])
    assert pregnant.priority == PriorityClaim.PREGNANT
    family = book_family(place, [applicant(), applicant()], priority=["", "disabled"])
    assert [b.priority for b in family] == [PriorityClaim.COMPANION, PriorityClaim.DISABLED]
    assert _kept(place) == 0
