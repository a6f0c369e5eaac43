"""The supervisor's view of the counter (issue 17, section 5): the serving order, counts
per officer and day beside the walk-ins staff booked, and both as CSV."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.models import Channel
from bookings.services import (
    Actor,
    booking_check_in,
    booking_record_submission,
    priority_ticket_issue,
    queue_call_next,
)
from bookings.tests.factories import DAY, book, office
from offices.models import OfficerProfile
from offices.roles import DESK, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIT = ZoneInfo("Asia/Jayapura")


def _at(hour, minute):
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=WIT)


def _user(name, role, place):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=place)
    return user


def _submit(booking, user, counter, at, **kwargs):
    return booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code="820261207000123",
        counter=counter,
        actor=Actor.staff(user),
        now=at,
        **kwargs,
    )


@pytest.fixture
def day_at_the_counter():
    """At a WIT office: loket-a serves A-001 in turn at counter 1 and issues a priority
    ticket; loket-b calls A-002 to counter 2 but serves A-003 out of turn, and books a
    walk-in at the desk."""
    place = office(timezone="Asia/Jayapura")
    a, b = _user("loket-a", DESK, place), _user("loket-b", DESK, place)
    first, second, third = (book(place) for _ in range(3))
    with time_machine.travel(_at(7, 45), tick=False):
        for booking in (first, second, third):
            booking_check_in(office=place, code=booking.code, actor=Actor.staff(a))
    for user, counter, minute in ((a, 1, 0), (b, 2, 1)):
        with time_machine.travel(_at(8, minute), tick=False):  # called_at is the clock's
            queue_call_next(office=place, counter=counter, actor=Actor.staff(user))
    _submit(first, a, 1, _at(8, 20))
    _submit(third, b, 2, _at(8, 25), out_of_turn_reason="other", out_of_turn_note="=HYPERLINK(1)")
    priority_ticket_issue(office=place, category="elderly", actor=Actor.staff(a), now=_at(8, 30))
    book(place, actor=Actor.staff(b, Channel.DESK))
    return place


@pytest.fixture
def supervisor_client(client, day_at_the_counter):
    client.force_login(_user("spv", SUPERVISOR, day_at_the_counter))
    return client


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_counts_per_officer_and_day_beside_the_walk_ins(supervisor_client):
    with time_machine.travel(_at(9, 0), tick=False):
        rows = {r["officer"]: r for r in _rows(supervisor_client.get("/dasbor/?csv=serving"))}
    assert set(rows) == {"loket-a", "loket-b"}
    a, b = rows["loket-a"], rows["loket-b"]
    assert (a["date"], a["served"], a["in_turn"], a["out_of_turn"]) == ("2026-12-07", "1", "1", "0")
    assert (b["served"], b["in_turn"], b["out_of_turn"], b["out_of_turn_other"]) == (
        "1",
        "0",
        "1",
        "1",
    )
    assert b["called_not_served"] == "1"  # A-002, called to counter 2 and passed over
    assert (a["priority_tickets"], b["walk_in_bookings"]) == ("1", "1")
    assert (a["walk_in_bookings"], b["priority_tickets"]) == ("0", "0")


def test_the_out_of_turn_csv_has_local_times_with_the_zone_and_no_formulas(supervisor_client):
    with time_machine.travel(_at(9, 0), tick=False):
        (row,) = _rows(supervisor_client.get("/dasbor/?csv=out-of-turn"))
    assert (row["number"], row["counter"], row["officer"], row["reason"]) == (
        "A-003",
        "2",
        "loket-b",
        "other",
    )
    assert row["served_at"] == "2026-12-07 08:25 WIT"
    assert row["called_at"] == ""  # never called
    assert row["note"] == "'=HYPERLINK(1)"


def test_the_page_lists_the_serving_order_with_reasons(supervisor_client):
    with time_machine.travel(_at(9, 0), tick=False):
        page = supervisor_client.get("/dasbor/").content.decode()
    assert "Layanan loket per petugas dan hari" in page
    order = page[page.index('id="serving-order"') :]
    assert order.index("A-003") < order.index("A-001")  # newest first
    assert "2026-12-07 08:25 WIT" in order
    assert "2026-12-07 08:00 WIT" in order  # A-001's call, beside its service
    assert "Lainnya (sebutkan alasannya)" in order
    supervisor_client.cookies["django_language"] = "en"
    with time_machine.travel(_at(9, 0), tick=False):
        english = supervisor_client.get("/dasbor/").content.decode()
    assert "Counter service per officer and day" in english
    assert "Other (say why)" in english


def test_a_desk_officer_cannot_open_the_serving_report(client, day_at_the_counter):
    client.force_login(User.objects.get(username="loket-b"))
    assert client.get("/dasbor/?csv=out-of-turn").status_code == 403
    assert client.get("/dasbor/").status_code == 403
