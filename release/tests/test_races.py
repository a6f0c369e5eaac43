"""Races on real PostgreSQL: two runs of one draw at once, and entries arriving while
the draw is being made, never give a place twice nor send a result twice."""

import datetime as dt

import pytest
from django.db.models import Count

from bookings.models import Booking
from bookings.tests.races import race
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from release.models import Draw, DrawEntry, DrawState, EntryResult, EntryStatus
from release.services import draw_entry_confirm, draw_run
from release.tests.factories import CLOSES, DAYS, committed, draw_office, enter, person

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_at_once_book_each_winner_once_and_tell_each_request_once():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    for _n in range(30):
        enter(office, [person()], [DAYS[0], DAYS[1]])
    _results, errors = race([lambda: draw_run(draw=draw, now=CLOSES) for _n in range(3)])
    assert not errors, errors
    assert Draw.objects.get(pk=draw.pk).state == DrawState.DONE
    won = DrawEntry.objects.filter(result=EntryResult.WON)
    assert Booking.objects.count() == won.count() == 28
    assert Booking.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
    per_phone = (
        OutboundMessage.objects.filter(kind="draw_result").values("to").annotate(n=Count("pk"))
    )
    assert sorted(row["n"] for row in per_phone) == [1] * 30


def test_a_confirmation_racing_the_draw_is_either_in_it_or_refused():
    office = draw_office(daily_capacity=14)
    draw = committed(office)
    pending = [enter(office, verified=False) for _n in range(8)]
    for _n in range(5):
        enter(office)
    just_before = CLOSES - dt.timedelta(microseconds=1)

    def confirm(entry):
        def call():
            try:
                return draw_entry_confirm(
                    office=office, phone=entry.phone, code=entry.reference, now=just_before
                )
            except DomainError as exc:
                return exc.code

        return call

    results, errors = race(
        [lambda: draw_run(draw=draw, now=CLOSES), *(confirm(entry) for entry in pending)]
    )
    assert not errors, errors
    draw.refresh_from_db()
    # Whatever the timing: an entry is in the draw's result exactly when it was entered.
    for entry in DrawEntry.objects.filter(draw=draw):
        assert (entry.status == EntryStatus.ENTERED) == (entry.rank is not None)
    refused = [r for r in results if r == "draw_closed"]
    entered = DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED).count()
    assert entered + len(refused) == 13
