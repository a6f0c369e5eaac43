"""The booking API's optional per-applicant `priority` claim."""

import datetime as dt

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from bookings.models import Booking, PriorityClaim

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def _payload(**overrides):
    body = {
        "office": "tangerang",
        "date": "2026-12-07",
        "name": "Siti Nur'aini",
        "birth_date": "1978-06-17",
        "phone": "0812-3456-7890",
    }
    body.update(overrides)
    return body


def _post(client, body):
    return client.post("/api/v1/bookings/", body, content_type="application/json")


@time_machine.travel(NOW, tick=False)
def test_claims_per_applicant_are_booked(client):
    body = _payload(
        priority="disabled",
        family=[
            {"name": "Budi", "birth_date": "1975-01-02"},
            {"name": "Ani", "birth_date": "1990-03-04", "priority": "pregnant"},
        ],
    )
    response = _post(client, body)
    assert response.status_code == 201, response.json()
    claims = dict(Booking.objects.values_list("name", "priority"))
    assert claims == {
        "SITI NUR'AINI": PriorityClaim.DISABLED,
        "BUDI": PriorityClaim.COMPANION,
        "ANI": PriorityClaim.PREGNANT,
    }


@time_machine.travel(NOW, tick=False)
def test_without_a_claim_nothing_is_priority(client):
    assert _post(client, _payload(priority="")).status_code == 201
    assert Booking.objects.get().priority == ""


@pytest.mark.parametrize(
    "body",
    [
        _payload(priority="vip"),
        # Age groups are read from the birth date, never claimed.
        _payload(priority="elderly"),
        _payload(family=[{"name": "Budi", "birth_date": "1975-01-02", "priority": "companion"}]),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_an_unknown_claim_is_400_and_books_nothing(client, body):
    response = _post(client, body)
    assert response.status_code == 400
    assert "priority" in str(response.json())
    assert not Booking.objects.exists()


def test_the_schema_documents_the_claim():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("BookingCreate", "FamilyMember"):
        assert "priority" in schemas[name]["properties"], name
        assert "priority" not in schemas[name].get("required", [])
