"""The counter page (/loket/layanan/): the officer calls the next in turn, records the
submission, or serves someone out of turn with a reason; fees in force; local times."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.models import Booking, CounterService
from bookings.services import Actor, booking_check_in, queue_call_next
from bookings.tests.factories import DAY, book, office
from offices.models import OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

URL = "/loket/layanan/"
BILLING = "820261207000123"


def _local(place, hour, minute):
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=ZoneInfo(place.timezone))


def _officer(place, name="loket-a", role=True):
    user = User.objects.create_user(name, password="x", is_staff=True)
    if role:
        user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=place)
    return user


def _arrived(place, user, count=1):
    bookings = [book(place) for _ in range(count)]
    for booking in bookings:
        booking_check_in(
            office=place, code=booking.code, actor=Actor.staff(user), now=_local(place, 7, 45)
        )
    return bookings


def test_the_counter_page_needs_staff_of_an_office(client):
    assert client.get(URL).status_code == 302
    client.force_login(User.objects.create_user("nobody", password="x", is_staff=True))
    assert client.get(URL).status_code == 403


def test_call_next_then_record_in_turn_from_the_page(client):
    place = office()
    user = _officer(place)
    (booking,) = _arrived(place, user)
    client.force_login(user)
    with time_machine.travel(_local(place, 8, 0), tick=False):
        response = client.post(URL, {"counter": "4", "action": "call"})
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "A-001 dipanggil ke loket 4." in page
        assert 'id="serve-in-turn"' in page
        assert booking.name in page
        assert "08:00 WIB" in page
        served = client.post(
            URL,
            {
                "counter": "4",
                "code": booking.code,
                "fee": "paspor-biasa-48",
                "billing_code": BILLING,
            },
        )
        assert served.status_code == 302
        page = client.get(served["Location"]).content.decode()
    assert "A-001 dilayani: berkas diserahkan." in page
    service = CounterService.objects.get(booking=booking)
    assert (service.in_turn, service.counter, service.officer) == (True, 4, user)
    assert 'id="serve-in-turn"' not in page  # served: nothing left to record in turn


def test_out_of_turn_without_a_reason_is_refused_on_the_page_and_changes_nothing(client):
    place = office()
    user = _officer(place)
    _first, second = _arrived(place, user, count=2)
    client.force_login(user)
    with time_machine.travel(_local(place, 8, 0), tick=False):
        queue_call_next(office=place, counter=1, actor=Actor.staff(user))
        form = {
            "counter": "1",
            "code": second.display_code.lower(),
            "fee": "paspor-biasa-48",
            "billing_code": BILLING,
        }
        refused = client.post(URL, form)
        assert refused.status_code == 400
        body = refused.content.decode()
        assert "tidak dipanggil ke loket ini sesuai urutan" in body
        assert BILLING in body  # what was typed is kept
        assert Booking.objects.get(pk=second.pk).status == "checked_in"
        assert not CounterService.objects.exists()
        client.cookies["django_language"] = "en"
        english = client.post(URL, form).content.decode()
        assert "not called to this counter in turn" in english
        done = client.post(URL, {**form, "out_of_turn_reason": "priority"})
        assert done.status_code == 302
    service = CounterService.objects.get(booking=second)
    assert (service.in_turn, service.out_of_turn_reason) == (False, "priority")
    page = client.get(f"{URL}?counter=1").content.decode()
    assert "Priority case" in page


def test_times_are_the_offices_own_with_its_label(client):
    """08:00 in Jayapura is 06:00 in Jakarta: the page says 08:00 WIT."""
    place = office(timezone="Asia/Jayapura")
    user = _officer(place)
    _arrived(place, user)
    client.force_login(user)
    with time_machine.travel(_local(place, 8, 0), tick=False):
        queue_call_next(office=place, counter=2, actor=Actor.staff(user))
        page = client.get(f"{URL}?counter=2").content.decode()
    assert "08:00 WIT" in page
    assert "06:00" not in page


def test_the_page_shows_the_fees_in_force_and_where_they_are_paid(client):
    place = office()
    client.force_login(_officer(place))
    with time_machine.travel(_local(place, 8, 0), tick=False):
        page = client.get(URL).content.decode()
    assert "Rp350.000" in page
    assert "Rp355.000" not in page  # the 2017 fee is no longer in force
    assert "tidak pernah di loket" in page


def test_an_account_without_the_desk_role_cannot_serve(client):
    place = office()
    user = _officer(place, role=False)
    (booking,) = _arrived(place, _officer(place, "loket-b"))
    client.force_login(user)
    with time_machine.travel(_local(place, 8, 0), tick=False):
        response = client.post(
            URL,
            {
                "counter": "1",
                "code": booking.code,
                "fee": "paspor-biasa-48",
                "billing_code": BILLING,
                "out_of_turn_reason": "supervisor",
            },
        )
        assert response.status_code == 403
        assert client.post(URL, {"counter": "1", "action": "call"}).status_code == 403
    assert not CounterService.objects.exists()


def test_an_unknown_counter_is_refused_with_a_message(client):
    place = office()
    client.force_login(_officer(place))
    response = client.post(URL, {"counter": "99", "action": "call"})
    assert response.status_code == 400
    assert "Loket tidak dikenal." in response.content.decode()


# --- the same through the API -------------------------------------------------------------


def _post(client, path, body=None, **extra):
    return client.post(path, body or {}, content_type="application/json", **extra)


def test_the_api_calls_next_and_then_the_submission_is_in_turn(client):
    place = office()
    user = _officer(place)
    first, second = _arrived(place, user, count=2)
    client.force_login(user)
    submission = {"fee": "paspor-biasa-48", "billing_code": BILLING, "counter": 5}
    with time_machine.travel(_local(place, 8, 0), tick=False):
        called = _post(client, f"/api/v1/offices/{place.code}/counters/5/call-next/")
        assert called.status_code == 200
        assert called.json()["called"] == {
            "number": "A-001",
            "counter": 5,
            "office": place.code,
            "zone": "WIB",
            "called_at": "2026-12-07T08:00:00+07:00",
            "code": first.display_code,
        }
        served = _post(client, f"/api/v1/bookings/{first.code}/submission/", submission)
        assert served.status_code == 200
        refused = _post(client, f"/api/v1/bookings/{second.code}/submission/", submission)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "out_of_turn_reason_required"
        assert "out_of_turn_reason" in refused.json()["error"]["fields"]
        other = {**submission, "out_of_turn_reason": "other"}
        no_note = _post(client, f"/api/v1/bookings/{second.code}/submission/", other)
        assert no_note.json()["error"]["code"] == "out_of_turn_note_required"
        done = _post(
            client,
            f"/api/v1/bookings/{second.code}/submission/",
            {**other, "out_of_turn_note": "dipanggil supervisor"},
        )
        assert done.status_code == 200
        call_next = f"/api/v1/offices/{place.code}/counters/{{}}/call-next/"
        assert _post(client, call_next.format(5)).json() == {"called": None}
        assert _post(client, call_next.format(51)).status_code == 400
    services = dict(CounterService.objects.values_list("booking_id", "in_turn"))
    assert services == {first.pk: True, second.pk: False}


def test_an_api_submission_without_a_counter_is_refused(client):
    place = office()
    user = _officer(place)
    (booking,) = _arrived(place, user)
    client.force_login(user)
    with time_machine.travel(_local(place, 8, 0), tick=False):
        response = _post(
            client,
            f"/api/v1/bookings/{booking.code}/submission/",
            {"fee": "paspor-biasa-48", "billing_code": BILLING, "out_of_turn_reason": "other"},
        )
    assert response.status_code == 400
    assert "counter" in response.json()["error"]["fields"]
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"
