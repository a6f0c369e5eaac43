"""The door, the queue with "call next", and the waiting-room board."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.models import CounterCall
from bookings.services import Actor, booking_check_in, priority_ticket_issue, queue_call_next
from bookings.tests.factories import applicant, book
from offices.models import Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
BOOKED_AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
DAY = dt.date(2026, 12, 7)
MORNING = dt.datetime(2026, 12, 7, 7, 10, tzinfo=WIB)


@pytest.fixture
def desk_user():
    user = User.objects.create_user("loket", password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code="belakang-padang"))
    return user


@pytest.fixture
def office():
    return Office.objects.get(code="belakang-padang")


def test_call_next_serves_priority_tickets_first_then_the_queue_in_order(office, desk_user):
    actor = Actor.staff(desk_user)
    first, second = book(office, now=BOOKED_AT, day=DAY), book(office, now=BOOKED_AT, day=DAY)
    with time_machine.travel(MORNING, tick=False):
        for booking in (second, first):
            booking_check_in(office=office, code=booking.code, actor=actor)
        priority_ticket_issue(office=office, category="elderly", actor=actor)
        calls = [queue_call_next(office=office, counter=c, actor=actor) for c in (1, 2, 1)]
        assert [call.number for call in calls] == ["P-001", "A-001", "A-002"]
        assert queue_call_next(office=office, counter=3, actor=actor) is None
    assert CounterCall.objects.count() == 3


def test_the_door_page_admits_and_refuses_in_large_colours(client, office, desk_user):
    booking = book(office, now=BOOKED_AT, day=DAY)
    with time_machine.travel(MORNING, tick=False):
        client.force_login(desk_user)  # sessions expire: log in on the day
        page = client.post("/loket/pintu/", {"code": booking.display_code.lower()}).content.decode()
        assert 'class="door ok"' in page
        assert "A-001" in page
        again = client.post("/loket/pintu/", {"code": booking.code}).content.decode()
        assert 'class="door refused"' in again
        assert "sudah tercatat hadir" in again
        unknown = client.post("/loket/pintu/", {"code": "ZZZZ-ZZZZ"}).content.decode()
        assert 'class="door refused"' in unknown


def test_desk_pages_need_staff_of_an_office(client):
    assert client.get("/loket/pintu/").status_code == 302  # to the login page
    client.force_login(User.objects.create_user("nobody", password="x", is_staff=True))
    assert client.get("/loket/pintu/").status_code == 403


def test_the_queue_page_calls_next_and_issues_tickets(client, office, desk_user):
    with time_machine.travel(MORNING, tick=False):
        client.force_login(desk_user)
        client.post(
            "/loket/antrean/", {"office": office.code, "action": "ticket", "category": "child"}
        )
        response = client.post("/loket/antrean/", {"office": office.code, "counter": "2"})
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "P-001: silakan menuju loket 2" in page


def test_the_board_shows_called_numbers_and_never_names(client, office, desk_user):
    booking = book(office, now=BOOKED_AT, day=DAY)
    actor = Actor.staff(desk_user)
    with time_machine.travel(MORNING, tick=False):
        booking_check_in(office=office, code=booking.code, actor=actor)
        queue_call_next(office=office, counter=4, actor=actor)
        page = client.get("/papan/belakang-padang/").content.decode()
    assert "A-001" in page
    assert 'http-equiv="refresh"' in page
    assert booking.name not in page


def test_the_door_page_asks_to_check_a_claimed_priority(client, office, desk_user):
    from bookings.tests.factories import book_family

    [claimed] = book_family(office, [applicant()], now=BOOKED_AT, day=DAY, priority=["pregnant"])
    plain = book(office, now=BOOKED_AT, day=DAY)
    with time_machine.travel(MORNING, tick=False):
        client.force_login(desk_user)
        page = client.post("/loket/pintu/", {"code": claimed.code}).content.decode()
        assert 'data-testid="priority-check"' in page
        assert "Ibu hamil" in page
        other = client.post("/loket/pintu/", {"code": plain.code}).content.decode()
        assert 'data-testid="priority-check"' not in other
