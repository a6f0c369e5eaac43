"""The applicant's booking pages, without a browser: the HTML contract."""

import datetime as dt
import re

import icalendar
import pytest
import time_machine
from django.utils import translation

from bookings.models import Booking
from bookings.services import booking_hold_confirm
from bookings.tests.pages import FORM
from bookings.tests.pages import post_booking as _book

# These pages book at a demo office whose WhatsApp number is a placeholder: give it one.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("web_booking_office_published")]

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _confirm(booking):
    """`YA <code>` from the typed number (the WhatsApp path: bookings/tests/test_holds.py)."""
    booking_hold_confirm(office=booking.office, phone=booking.phone, code=booking.code)


def test_the_calendar_shows_each_days_state(client):
    page = client.get("/pesan/?office=belakang-padang&month=2026-12").content.decode()
    assert 'class="open' in page
    assert 'class="closed"' in page  # Sundays and Christmas
    assert "Hari Raya Natal" in page
    assert 'class="not_released"' in page
    assert 'name="office"' in page


def test_a_booking_leads_to_the_confirmation_with_code_qr_and_calendar_file(client):
    response = _book(client)
    booking = Booking.objects.get()
    assert response.status_code == 302
    _confirm(booking)
    page = client.get(response["Location"]).content.decode()
    assert booking.display_code in page
    assert f"/api/v1/bookings/{booking.code}/qr.svg" in page
    assert "07:30 WIB" in page
    ics = client.get(f"/pesan/{booking.code}/kalender.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    # Arrive by 07:00 WIB (00:00 UTC), written in the office's own zone.
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
    assert event["dtstart"].params["TZID"] == "Asia/Jakarta"
    assert "DTSTART;TZID=Asia/Jakarta:20261207T070000" in ics.content.decode()


def test_the_confirmation_is_only_for_the_browser_that_booked(client, django_user_model):
    _book(client)
    booking = Booking.objects.get()
    client.cookies.clear()
    assert client.get(f"/pesan/{booking.code}/").status_code == 404


def test_errors_keep_what_was_typed(client):
    page = _book(client, name="12345", phone="0812 3456 7890").content.decode()
    assert 'role="alert"' in page
    assert 'value="0812 3456 7890"' in page
    assert not Booking.objects.exists()


def test_a_family_books_from_one_form(client):
    response = _book(client, **{"family-0-name": "Budi", "family-0-birth_date": "2012-03-04"})
    assert response.status_code == 302
    assert Booking.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "BUDI" in page


def test_check_and_cancel_with_code_and_birth_date(client):
    _book(client)
    booking = Booking.objects.get()
    wrong = client.post(
        "/cek/", {"code": booking.display_code, "birth_date": "1978-06-18", "action": "show"}
    )
    assert "SITI" not in wrong.content.decode()
    shown = client.post(
        "/cek/", {"code": booking.code.lower(), "birth_date": "1978-06-17", "action": "show"}
    )
    assert booking.display_code in shown.content.decode()
    assert "Menunggu konfirmasi" in shown.content.decode()  # a hold, not yet valid
    asked = client.post(
        "/cek/", {"code": booking.code, "birth_date": "1978-06-17", "action": "cancel"}
    )
    assert 'value="cancel_confirmed"' in asked.content.decode()
    booking.refresh_from_db()
    assert booking.status == "held"  # the first tap only asks
    client.post(
        "/cek/", {"code": booking.code, "birth_date": "1978-06-17", "action": "cancel_confirmed"}
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_bots_filling_the_honeypot_book_nothing(client):
    assert _book(client, website="x").status_code == 404
    assert not Booking.objects.exists()


def test_choosing_a_day_shows_the_form_with_its_times(client):
    page = client.get(
        "/pesan/?office=belakang-padang&month=2026-12&date=2026-12-07"
    ).content.decode()
    assert 'name="name"' in page
    assert "07:30 WIB (sisa 8)" in page
    assert 'name="family-0-name"' in page


def test_the_booking_page_is_light_and_self_contained(client):
    """Under 100 KB with its stylesheet, no web fonts, nothing from another host."""
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    html = client.get("/pesan/?office=belakang-padang&month=2026-12&date=2026-12-07").content
    paths = [
        p.decode().removeprefix("/static/")
        for p in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    ]
    assets = [Path(finders.find(path)).read_bytes() for path in paths]
    assert len(html) + sum(len(a) for a in assets) < 100_000
    assert not re.search(rb'(?:href|src)="(?:https?:)?//', html)
    assert not any(b"@font-face" in a for a in assets)
    assert b'<html lang="id">' in html


def test_reschedule_from_the_check_page(client):
    _book(client)
    booking = Booking.objects.get()
    _confirm(booking)
    response = client.post(
        "/cek/",
        {
            "code": booking.code,
            "birth_date": "1978-06-17",
            "action": "reschedule",
            "new_date": "2026-12-08",
        },
    )
    assert response.status_code == 302
    moved = Booking.objects.get(status="booked")
    assert moved.date == dt.date(2026, 12, 8)
    assert moved.display_code in client.get(response["Location"]).content.decode()


def _places_left(page: str) -> int:
    """Places left over the day's times, as their labels say ("07:30 WIB (sisa 3)")."""
    return sum(int(n) for n in re.findall(r"\(sisa (\d+)\)", page))


def test_the_booking_page_with_a_day_chosen_is_two_queries_on_a_repeat(
    client, django_assert_max_num_queries
):
    """The page everyone reloads at release time (#19): a repeat within
    AVAILABILITY_CACHE_SECONDS is the cached page, with the caller's own CSRF token."""
    from offices.models import Office
    from offices.services import slots_ensure

    # The day's slots are rows already, as on a released day someone has booked.
    slots_ensure(office=Office.objects.get(code="belakang-padang"), day=dt.date(2026, 12, 7))
    path = "/pesan/?office=belakang-padang&date=2026-12-07"
    with django_assert_max_num_queries(6):
        first = client.get(path)
    assert first.status_code == 200
    with django_assert_max_num_queries(2):
        again = client.get(path)
    assert _places_left(again.content.decode()) == _places_left(first.content.decode()) > 0
    # Each language is its own entry: a closed day's reason is worded in it. (The
    # override puts back this thread's language, which the request's middleware set.)
    with translation.override("id"):
        english = client.get(
            "/pesan/?office=belakang-padang&month=2026-12", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "Christmas" in english.content.decode()
    assert "Natal" not in english.content.decode()


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_a_cached_booking_page_carries_each_callers_own_csrf_token():
    """Served from the cache, the form still books: its token is the second caller's
    own (a token drawn for the first would be refused for the second, 403)."""
    from django.test import Client

    path = "/pesan/?office=belakang-padang&date=2026-12-07"
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_page = first.get(path).content.decode()
    response = second.get(path)
    page = response.content.decode()
    assert "csrftoken" in response.cookies
    assert _csrf(page) != _csrf(first_page)
    data = {**FORM, "csrfmiddlewaretoken": _csrf(page)}
    assert second.post("/pesan/", data).status_code == 302
    # The first caller's token is not the second's: the same post from it is refused.
    other = Client(enforce_csrf_checks=True)
    other.get(path)
    assert other.post("/pesan/", {**data, "phone": "0812 3456 7891"}).status_code == 403


def test_without_the_cache_the_booking_page_reads_the_day_afresh(client, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 0
    path = "/pesan/?office=belakang-padang&date=2026-12-07"
    before = _places_left(client.get(path).content.decode())
    assert _book(client).status_code == 302
    assert _places_left(client.get(path).content.decode()) == before - 1
