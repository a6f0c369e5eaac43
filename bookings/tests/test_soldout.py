"""A day found sold out is refused by the web process for a moment without the database
(bookings/soldout.py): the same answer, nothing changed, and never a false booking."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings import soldout
from bookings.models import Booking
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, book, office
from offices.models import Slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_day():
    place = office(code="penuh", name="Kantor Imigrasi Penuh", hours__daily_capacity=14)
    bookings = [book(place) for _ in range(14)]
    return place, bookings


def _body(n, **overrides):
    body = {
        "office": "penuh",
        "date": DAY.isoformat(),
        "name": f"PEMOHON RUSH {chr(65 + n)}",
        "birth_date": "1980-01-01",
        "phone": f"08130000{n:04d}",
    }
    body.update(overrides)
    return body


def _post(client, body, **extra):
    return client.post("/api/v1/bookings/", body, content_type="application/json", **extra)


@time_machine.travel(NOW, tick=False)
def test_after_one_refusal_the_day_is_refused_without_the_database(client, full_day):
    first = _post(client, _body(0), HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 409
    assert first.json()["error"]["code"] == "day_full"

    with CaptureQueriesContext(connection) as queries:
        again = _post(client, _body(1), HTTP_ACCEPT_LANGUAGE="en")
    assert len(queries) == 0
    assert again.status_code == 409
    assert again.json() == first.json()  # the same answer as the whole way gives
    assert Booking.objects.count() == 14
    assert sum(Slot.objects.values_list("booked", flat=True)) == 14


@time_machine.travel(NOW, tick=False)
def test_the_shortcut_answers_in_the_callers_language_and_counts_a_family(client, full_day):
    _post(client, _body(0))
    indonesian = _post(client, _body(1)).json()["error"]["message"]
    assert "Kantor Imigrasi Penuh" in indonesian
    assert "Desember" in indonesian
    family = [{"name": "ANAK SATU", "birth_date": "2015-01-01"}]
    english = _post(client, _body(2, family=family), HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["error"]["message"].startswith("There are not 2 places left")


@time_machine.travel(NOW, tick=False)
def test_only_office_and_date_are_read_for_a_remembered_day(client, full_day):
    """The day is refused before the rest is read (the applicant must choose another
    day anyway); a body whose office or date cannot be read goes the whole way."""
    _post(client, _body(0))
    assert soldout.office_name_if_sold_out("penuh", DAY.isoformat())
    wrong_birth_date = _post(client, _body(1, birth_date="31-02-1980"))
    assert wrong_birth_date.json()["error"]["code"] == "day_full"
    for body in (_body(1, date="07-12-2026"), _body(1, office=["penuh"]), [_body(1)]):
        response = _post(client, body)
        assert response.status_code == 400, response.json()
    broken = client.post("/api/v1/bookings/", "{", content_type="application/json")
    assert broken.status_code == 400
    assert Booking.objects.count() == 14


@time_machine.travel(NOW, tick=False)
def test_a_cancellation_in_this_process_offers_the_place_at_once(client, full_day):
    _place, bookings = full_day
    _post(client, _body(0))
    booking_cancel(booking=bookings[0], actor=Actor.system(), now=NOW)
    response = _post(client, _body(1))
    assert response.status_code == 201, response.json()
    assert Booking.objects.filter(status__in=["booked", "held"]).count() == 14


@time_machine.travel(NOW, tick=False)
def test_the_day_is_asked_again_after_the_moment(client, full_day, settings, monotonic_clock):
    settings.BOOKING_SOLD_OUT_SECONDS = 0.05
    _post(client, _body(0))
    monotonic_clock.advance(0.1)
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, _body(1))
    assert response.json()["error"]["code"] == "day_full"
    assert len(queries) > 0  # asked the database again


@time_machine.travel(NOW, tick=False)
def test_zero_seconds_turns_the_shortcut_off(client, full_day, settings):
    settings.BOOKING_SOLD_OUT_SECONDS = 0
    _post(client, _body(0))
    assert soldout.office_name_if_sold_out("penuh", DAY.isoformat()) is None


@time_machine.travel(NOW, tick=False)
def test_a_day_with_places_left_is_never_remembered(client):
    place = office(code="lega", hours__daily_capacity=14)
    for _ in range(13):
        book(place)
    family = [{"name": "ANAK SATU", "birth_date": "2015-01-01"}]
    refused = _post(client, _body(0, office="lega", family=family))
    assert refused.json()["error"]["code"] == "day_full"  # 2 wanted, 1 left
    assert soldout.office_name_if_sold_out("lega", DAY.isoformat()) is None
    assert _post(client, _body(1, office="lega")).status_code == 201


@time_machine.travel(NOW, tick=False)
def test_a_remembered_refusal_is_one_access_line_not_also_a_warning(client, full_day, caplog):
    """A rush's thousands of refusals a second: the access log has each; Django's
    per-response warning ("Conflict: ...") is not written for them as well."""
    assert _post(client, _body(0)).status_code == 409  # the whole way: Django warns
    caplog.clear()
    caplog.set_level("INFO")
    assert _post(client, _body(1)).status_code == 409
    loggers = [record.name for record in caplog.records]
    assert loggers.count("immigration.access") == 1
    assert "django.request" not in loggers
