"""An office without a published WhatsApp number takes no web or API hold: a hold is
confirmed only by `YA <code>` sent to the office's number, which nobody can send to a
number that is not public. WhatsApp, the desk and verified gateways still book there."""

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.models import Booking, BookingEvent
from bookings.tests.factories import DAY, NOW, book, office
from immigration.errors import DomainError
from offices.contacts import office_takes_holds, whatsapp_directory
from offices.models import ApiClient, Office, OfficerProfile, Slot

pytestmark = pytest.mark.django_db


def _nothing_written(place):
    assert not Booking.objects.filter(office=place).exists()
    assert not BookingEvent.objects.exists()
    assert not Slot.objects.filter(office=place, booked__gt=0).exists()


def test_a_hold_at_an_office_without_a_published_number_is_refused_and_changes_nothing():
    place = office(whatsapp_number_is_placeholder=True)
    with pytest.raises(DomainError) as refused:
        book(place, phone_verified=False, hold_client="net:198.51.100.7")
    assert refused.value.code == "office_without_whatsapp"
    assert refused.value.http_status == 409
    assert place.name in str(refused.value.message)
    _nothing_written(place)


def test_whatsapp_and_the_desk_still_book_confirmed_where_holds_are_refused():
    place = office(whatsapp_number_is_placeholder=True)
    assert book(place).status == "booked"  # phone proven: WhatsApp's sender, the desk


def test_publishing_the_number_is_what_opens_holds():
    place = office(whatsapp_number_is_placeholder=True)
    assert not office_takes_holds(place)
    place.whatsapp_number_is_placeholder = False
    place.save()
    assert office_takes_holds(place)
    assert book(place, phone_verified=False, hold_client="net:198.51.100.8").status == "held"


def test_the_offices_that_take_holds_are_those_the_home_page_publishes():
    directory = whatsapp_directory()
    published = {c.office for _p, contacts in directory.published for c in contacts}
    unpublished = {c.office for c in directory.unpublished}
    for place in Office.objects.filter(is_active=True):
        assert office_takes_holds(place) == (place.name in published)
        assert office_takes_holds(place) != (place.name in unpublished)
    assert len(unpublished) == 20  # the demo offices whose number is a placeholder


def _payload(**overrides):
    return {
        "office": "belakang-padang",
        "date": DAY.isoformat(),
        "name": "Siti Nur'aini",
        "birth_date": "1978-06-17",
        "phone": "0812-3456-7890",
        **overrides,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("language", "words"),
    [("id", "belum menerima pemesanan"), ("en", "does not take web or app bookings")],
)
def test_the_api_answers_office_without_whatsapp_in_the_request_language(client, language, words):
    _c, key = ApiClient.objects.create_key(name="kiosk", scopes=["bookings:read"])
    response = client.post(
        "/api/v1/bookings/",
        _payload(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 409, response.json()
    error = response.json()["error"]
    assert error["code"] == "office_without_whatsapp"
    assert words in error["message"]
    _nothing_written(Office.objects.get(code="belakang-padang"))


@time_machine.travel(NOW, tick=False)
def test_the_offices_own_desk_still_books_a_walk_in_there_through_the_api(client):
    officer = User.objects.create_user("desk-bp", password="x", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="belakang-padang"))
    client.force_login(officer)
    response = client.post("/api/v1/bookings/", _payload(), content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()[0]["status"] == "booked"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("language", "says", "shown"),
    [
        ("id", "belum menerima pemesanan lewat web", "Telepon"),
        ("en", "does not take web or app bookings yet", "Phone"),
    ],
)
def test_the_booking_page_says_so_instead_of_the_form_and_tells_what_to_do(
    client, language, says, shown
):
    client.cookies["django_language"] = language
    page = client.get("/pesan/", {"office": "belakang-padang", "date": DAY.isoformat()})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="no-holds"' in text
    assert says in text
    assert "walk-in" in text
    assert f"{shown}:</strong>" in text
    assert "+62 778 312419" in text  # the office's phone
    assert 'id="booking-form"' not in text
    assert 'class="calendar"' not in text
    # An office that publishes its number shows the calendar and the form as before.
    text = client.get("/pesan/", {"office": "tangerang", "date": DAY.isoformat()}).content
    assert b'id="booking-form"' in text
    assert b'data-testid="no-holds"' not in text


@time_machine.travel(NOW, tick=False)
def test_a_post_from_a_stale_booking_page_books_nothing_there(client):
    response = client.post(
        "/pesan/",
        {
            "office": "belakang-padang",
            "date": DAY.isoformat(),
            "slot": "",
            "service": "new",
            "name": "Siti Nur'aini",
            "birth_date": "1978-06-17",
            "phone": "0812 3456 7890",
            "nik": "",
        },
    )
    assert response.status_code == 200
    assert b'data-testid="no-holds"' in response.content
    _nothing_written(Office.objects.get(code="belakang-padang"))
