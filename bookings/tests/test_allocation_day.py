"""The day loaded once for a booking (bookings/services/allocation.py, BookingDay, #19
and #20 §4): the rules of time, the room and the day's lapsed holds from one query,
the client's live holds read with the anti-calo rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking
from bookings.services.allocation import load_booking_day
from bookings.tests.factories import DAY, NOW, applicant, book, office
from immigration.errors import ConflictError
from offices.models import Slot

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(minutes=16)  # past BOOKING_HOLD_MINUTES (15)


def _hold(place, client="net:198.51.100.1", **kwargs):
    return book(place, phone_verified=False, hold_client=client, **kwargs)


def test_the_day_counts_its_room_and_its_lapsed_holds_in_one_query_beside_the_release_gate():
    place = office(hours__daily_capacity=14)
    _hold(place)  # the day's slots become rows
    _hold(place, client="net:198.51.100.2", now=NOW + dt.timedelta(minutes=10))
    with CaptureQueriesContext(connection) as queries:
        day = load_booking_day(place, DAY, LATER)
    # The day's room and lapsed holds in one; the other is the release gate's read of
    # the office's release policy (first come or a draw, release/services.py).
    assert len(queries) == 2, [q["sql"][:80] for q in queries]
    assert "release_releasepolicy" in queries[0]["sql"]
    assert (day.offered, day.left, day.lapsed, day.lapsed_free) == (14, 12, 1, 1)
    assert day.room == 13


def test_a_hold_takes_two_statements_fewer_than_before():
    """The release policy (1), office-day room and lapsed holds (1), locks (1), the
    rules' rows with the client's holds (1), the place (1), the booking in a savepoint
    (3), its event (1), and this test's own savepoint around the service (2): no
    separate count of the client's holds and no search for lapsed holds when the day
    has none."""
    place = office(hours__daily_capacity=14)
    _hold(place)
    with CaptureQueriesContext(connection) as queries:
        _hold(place, client="net:198.51.100.2")
    assert len(queries) == 11, [q["sql"][:80] for q in queries]


def test_a_persons_own_lapsed_hold_on_a_day_with_room_is_released_when_they_book_again():
    place = office(hours__daily_capacity=14)
    person = applicant()
    first = _hold(place, person=person)
    again = _hold(place, person=person, now=LATER)
    first.refresh_from_db()
    assert (first.status, again.status) == ("released", "held")
    held = Booking.objects.filter(office=place, status="held").count()
    assert sum(Slot.objects.filter(office=place).values_list("booked", flat=True)) == held


def test_the_client_limit_counts_its_live_holds_only(settings):
    settings.BOOKING_HOLD_CLIENT_MAX = 2
    place = office(hours__daily_capacity=14)
    _hold(place)
    _hold(place)
    with pytest.raises(ConflictError) as refused:
        _hold(place)
    assert refused.value.code == "hold_limit_reached"
    # Once the first two lapse, the client may hold again.
    assert _hold(place, now=LATER).status == "held"
