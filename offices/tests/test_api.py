"""/api/v1/offices/: the list, one office, and its availability."""

import datetime as dt

import pytest
import time_machine

from offices.models import Office
from offices.tests.factories import OfficeFactory

pytestmark = pytest.mark.django_db


def test_the_list_has_every_active_office_with_its_public_fields(
    client, django_assert_max_num_queries
):
    OfficeFactory(is_active=False, code="closed-office")
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/offices/")
    assert response.status_code == 200
    offices = {o["code"]: o for o in response.json()}
    assert len(offices) == 26
    assert "closed-office" not in offices
    assert offices["tangerang"] == {
        "code": "tangerang",
        "name": "Kantor Imigrasi Kelas I Non TPI Tangerang",
        "city": "Kota Tangerang",
        "province": "Banten",
        "timezone": "Asia/Jakarta",
        "zone": "WIB",
        "whatsapp_number": "+628118119000",
        "whatsapp_number_is_placeholder": False,
        "daily_capacity": 250,
    }


def test_one_office_has_its_hours_and_slot_plan(client):
    body = client.get("/api/v1/offices/belakang-padang/").json()
    assert body["zone"] == "WIB"
    monday = body["hours"][0]
    assert monday["weekday"] == 0
    assert (monday["opens_at"], monday["closes_at"]) == ("07:30:00", "16:00:00")
    assert sum(slot["capacity"] for slot in monday["slots"]) == 50
    assert monday["slots"][0] == {"starts": "07:30", "ends": "08:30", "capacity": 8}


def test_an_unknown_office_is_404_in_the_error_shape(client):
    response = client.get("/api/v1/offices/atlantis/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@time_machine.travel(dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC), tick=False)
def test_availability_gives_slot_starts_with_the_offices_utc_offset(client):
    response = client.get("/api/v1/offices/jayapura/availability/?date=2026-12-07")
    assert response.status_code == 200
    body = response.json()
    assert (body["office"], body["timezone"], body["zone"]) == ("jayapura", "Asia/Jayapura", "WIT")
    day = body["days"][0]
    assert day["state"] == "open"
    assert day["slots"][0]["starts_at"] == "2026-12-07T08:00:00+09:00"
    assert day["slots"][0]["id"] is None
    assert sum(slot["remaining"] for slot in day["slots"]) == day["remaining"] == 50


@time_machine.travel(dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC), tick=False)
def test_availability_of_a_range_shows_each_days_state(client):
    response = client.get("/api/v1/offices/tangerang/availability/?start=2026-12-24&end=2027-01-04")
    days = {d["date"]: d for d in response.json()["days"]}
    assert days["2026-12-24"]["state"] == "closed"  # collective leave
    assert "Natal" in days["2026-12-25"]["reason"]
    assert days["2026-12-27"]["state"] == "closed"  # Sunday
    assert days["2026-12-28"]["state"] == "open"
    assert days["2027-01-04"]["state"] == "not_released"
    assert days["2027-01-04"]["release_at"] == "2026-12-05T08:00:00+07:00"


def test_availability_speaks_english_when_asked(client):
    response = client.get(
        "/api/v1/offices/tangerang/availability/?date=2030-12-25", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["days"][0]["reason"] == "Christmas Day"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=2026-02-30", "date"),  # no such day
        ("date=07-12-2026", "date"),
        ("start=2026-12-01", "non_field_errors"),
        ("", "non_field_errors"),
        ("date=2026-12-01&start=2026-12-01&end=2026-12-02", "non_field_errors"),
    ],
)
def test_bad_availability_queries_are_400_with_field_errors(client, query, field):
    response = client.get(f"/api/v1/offices/tangerang/availability/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("start=2026-12-10&end=2026-12-01", "invalid_range"),
        ("start=2026-12-01&end=2027-03-01", "range_too_long"),
    ],
)
def test_reversed_or_long_ranges_are_400_with_a_clear_message(client, query, code):
    response = client.get(f"/api/v1/offices/tangerang/availability/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_the_schema_describes_the_offices_endpoints(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "/api/v1/offices/" in paths
    assert "/api/v1/offices/{code}/" in paths
    availability = paths["/api/v1/offices/{code}/availability/"]["get"]
    assert {p["name"] for p in availability["parameters"]} >= {"date", "start", "end", "code"}
    assert "400" in availability["responses"]


def test_the_calendar_is_served_from_the_cache_for_a_moment(client, django_assert_num_queries):
    path = "/api/v1/offices/tangerang/availability/?start=2026-12-24&end=2027-01-04"
    first = client.get(path)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=2"
    with django_assert_num_queries(0):
        again = client.get(path)
    assert again.content == first.content
    # Each language is its own entry: the reasons are translated.
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert english.content != first.content
    assert "Christmas" in english.content.decode()


def test_without_the_cache_every_read_is_fresh(client, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 0
    path = "/api/v1/offices/tangerang/availability/?date=2026-12-07"
    client.get(path)
    Office.objects.filter(code="tangerang").update(is_active=False)
    assert client.get(path).status_code == 404
