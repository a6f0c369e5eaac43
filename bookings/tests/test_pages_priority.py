"""The booking page's per-person "priority need": a claim the officer checks at the door."""

import datetime as dt

import pytest
import time_machine

from bookings.models import Booking, PriorityClaim
from bookings.tests.pages import post_booking as _book

# These pages book at a demo office whose WhatsApp number is a placeholder: give it one.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("web_booking_office_published")]

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_form_offers_the_choice_and_says_it_is_checked_at_the_door(client):
    page = client.get("/pesan/?office=belakang-padang&date=2026-12-07").content.decode()
    assert 'name="priority"' in page
    assert 'name="family-0-priority"' in page
    assert 'value="pregnant"' in page
    assert 'value="disabled"' in page
    assert "diperiksa petugas di pintu" in page


def test_a_claim_per_person_is_booked_and_the_family_are_companions(client):
    response = _book(
        client,
        priority="pregnant",
        **{"family-0-name": "Budi", "family-0-birth_date": "1975-01-02"},
    )
    assert response.status_code == 302
    claims = dict(Booking.objects.values_list("name", "priority"))
    assert claims == {"SITI NUR'AINI": PriorityClaim.PREGNANT, "BUDI": PriorityClaim.COMPANION}


def test_no_claim_is_no_priority(client):
    assert _book(client).status_code == 302
    assert Booking.objects.get().priority == ""


def test_an_unknown_claim_is_refused_and_books_nothing(client):
    response = _book(
        client,
        priority="vip",
        **{
            "family-0-name": "Budi",
            "family-0-birth_date": "1975-01-02",
            "family-0-priority": "elderly",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "priority" in form.errors
    assert "family-0-priority" in form.errors
    assert not Booking.objects.exists()
