"""One database call per booking (#19, bookings/sql/booking_place.sql): the day's room
and lapsed holds in one query, a hold or a confirmed family in one call."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.models import Booking
from bookings.services import day_places_left
from bookings.tests.factories import DAY, NOW, applicant, book, office
from immigration.errors import ConflictError
from offices.models import Slot

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(minutes=16)  # past BOOKING_HOLD_MINUTES (15)


def _hold(place, client="net:198.51.100.1", **kwargs):
    return book(place, phone_verified=False, hold_client=client, **kwargs)


def test_the_day_counts_its_room_and_its_lapsed_holds_in_one_query():
    place = office(hours__daily_capacity=14)
    _hold(place)  # the day's slots become rows
    _hold(place, client="net:198.51.100.2", now=NOW + dt.timedelta(minutes=10))
    with CaptureQueriesContext(connection) as queries:
        left = day_places_left(office=place, day=DAY, now=LATER, priority=False)
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    # 14 places, 2 taken by holds of which the first has lapsed: its place is free.
    assert left == 13


def test_a_hold_is_one_database_call():
    """One call of booking_place (the rules with the draw's gate, the place, the
    booking, its event), inside the service's savepoint."""
    place = office(hours__daily_capacity=14)
    _hold(place)
    with CaptureQueriesContext(connection) as queries:
        _hold(place, client="net:198.51.100.2")
    statements = [q["sql"] for q in queries]
    assert len(statements) == 3, [sql[:80] for sql in statements]
    assert statements[0].startswith("SAVEPOINT")
    assert statements[1].startswith("SELECT booking_place(")
    assert statements[2].startswith("RELEASE SAVEPOINT")


def test_a_confirmed_family_is_one_database_call_with_its_confirmations():
    from bookings.tests.factories import book_family
    from notifications.models import OutboundMessage

    place = office(hours__daily_capacity=14)
    book(place)
    people = [applicant(), applicant(), applicant()]
    with CaptureQueriesContext(connection) as queries:
        bookings = book_family(place, people)
    calls = [q["sql"] for q in queries if "booking_place" in q["sql"]]
    assert len(calls) == 1
    assert len(queries) == 3, [q["sql"][:80] for q in queries]
    assert [b.queue_seq for b in bookings] == [2, 3, 4]
    sent = OutboundMessage.objects.filter(about_id__in=[b.pk for b in bookings])
    assert sent.count() == 3


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
