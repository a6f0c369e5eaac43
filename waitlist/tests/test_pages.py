"""The pages: /cek/tunggu/ shows a request's position and lets its owner leave; the
door tells the officer to check a priority booking; the admin is office-scoped."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.tests.factories import DAY, NOW, applicant, book, office
from offices.models import OfficerProfile
from offices.roles import DESK, ensure_role_groups
from waitlist.models import RequestState, WaitlistRequest
from waitlist.tests.helpers import fill, join

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
ELDER = dt.date(1950, 1, 1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _staff(name, place) -> User:
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=place)
    return user


def test_cek_shows_the_position_and_leaves_the_list(client):
    place = office()
    join(place)
    person = applicant(birth_date=dt.date(1985, 3, 4))
    request = join(place, people=[person])
    page = client.post(
        "/cek/tunggu/", {"ref": request.display_ref.lower(), "birth_date": "1985-03-04"}
    )
    assert 'data-testid="waitlist-position">2<' in page.content.decode()
    left = client.post(
        "/cek/tunggu/", {"ref": request.ref, "birth_date": "1985-03-04", "action": "leave"}
    )
    assert left.status_code == 200
    request.refresh_from_db()
    assert request.state == RequestState.LEFT


def test_cek_with_a_wrong_birth_date_reveals_nothing_and_changes_nothing(client):
    place = office()
    request = join(place, people=[applicant(birth_date=dt.date(1985, 3, 4))])
    page = client.post(
        "/cek/tunggu/", {"ref": request.ref, "birth_date": "1985-03-05", "action": "leave"}
    )
    text = page.content.decode()
    assert "waitlist-position" not in text
    assert request.office.name not in text
    request.refresh_from_db()
    assert request.state == RequestState.WAITING


def test_the_door_asks_the_officer_to_check_a_priority_booking(client):
    place = office()
    elder = book(place, person=applicant(birth_date=ELDER))
    ordinary = book(place)
    user = _staff("pintu", place)
    with time_machine.travel(dt.datetime(2026, 12, 7, 7, 45, tzinfo=WIB), tick=False):
        client.force_login(user)
        page = client.post("/loket/pintu/", {"code": elder.code}).content.decode()
        assert 'data-testid="priority-check"' in page
        plain = client.post("/loket/pintu/", {"code": ordinary.code}).content.decode()
        assert 'class="door ok"' in plain
        assert 'data-testid="priority-check"' not in plain


def test_an_officer_sees_only_the_lists_of_the_own_office(client):
    mine, other = office(), office()
    join(mine)
    theirs = join(other)
    client.force_login(_staff("petugas", mine))
    page = client.get("/admin/waitlist/waitlistrequest/")
    assert page.status_code == 200
    assert theirs.display_ref not in page.content.decode()
    assert client.get(f"/admin/waitlist/waitlistrequest/{theirs.pk}/change/").status_code in (
        302,
        404,
    )


def test_a_full_day_offers_its_waiting_list_and_the_web_request_waits_for_ya(client):
    place = office(hours__daily_capacity=14)
    fill(place)
    page = client.get(f"/pesan/?office={place.code}&date={DAY.isoformat()}").content.decode()
    assert 'data-testid="waitlist-join-link"' in page
    joined = client.post(
        "/tunggu/",
        {
            "office": place.code,
            "date": DAY.isoformat(),
            "name": "Siti Nur'aini",
            "birth_date": "1978-06-17",
            "phone": "0812 3456 7890",
        },
    )
    text = joined.content.decode()
    request = WaitlistRequest.objects.get(office=place)
    assert request.state == RequestState.PENDING
    assert request.phone == "6281234567890"
    assert f"YA {request.display_ref}" in text
    assert "wa.me" in text


def test_the_web_join_refuses_bad_input_and_changes_nothing(client):
    place = office()
    page = client.post(
        "/tunggu/",
        {
            "office": place.code,
            "date": DAY.isoformat(),
            "name": "X",
            "birth_date": "2090-01-01",
            "phone": "12",
        },
    )
    assert page.status_code == 200
    assert not WaitlistRequest.objects.exists()
