"""The booking form and /cek/ as issue #21 §2-3 asks: errors where the eye is, the
language switch keeping the form, the days not yet open in words, the offices'
WhatsApp numbers, cancel with confirmation, the new code after a move, the QR."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings

from bookings.models import Booking
from bookings.services import booking_hold_confirm
from bookings.tests.pages import BIRTH, post_booking
from notifications.models import OutboundMessage
from offices.models import Office
from offices.selectors import DayState, office_availability

# These pages book at a demo office whose WhatsApp number is a placeholder: give it one.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("web_booking_office_published")]

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _book(client, **overrides):
    response = post_booking(client, **overrides)
    if response.status_code == 302:
        # The applicant sends `YA <code>` by WhatsApp from the typed number (the holds
        # themselves: bookings/tests/test_holds.py).
        for hold in Booking.objects.filter(status="held"):
            booking_hold_confirm(office=hold.office, phone=hold.phone, code=hold.code)
    return response


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


# --- the booking form -------------------------------------------------------------------


def test_a_refused_submit_lists_every_error_on_top_linked_to_its_field(client):
    page = _book(client, name="A", phone="+1 202 555 0143", birth_date="").content.decode()
    summary = _summary(page)
    for field in ("name", "phone", "birth_date"):
        assert f'href="#id_{field}"' in summary
        assert f'id="id_{field}"' in page  # the link lands on the field
    assert "Belum ada yang dipesan." in summary
    assert "nomor HP Indonesia" in summary
    # The summary comes before the first field, and the page lands at the form.
    assert page.index('class="error-summary"') < page.index('name="name"')
    assert 'action="/pesan/#form"' in page
    assert '<h2 id="form">' in page
    assert "<title>Belum terpesan:" in page
    assert not Booking.objects.exists()


def test_the_error_summary_speaks_english_too(client):
    _english(client)
    page = _book(client, name="A", phone="+1 202 555 0143").content.decode()
    summary = _summary(page)
    assert "Nothing has been booked yet." in summary
    assert "Indonesian mobile number" in summary
    assert "Write the name in full" in summary


def test_a_family_members_error_opens_the_family_section_and_names_the_person(client):
    page = _book(client, **{"family-0-name": "B", "family-0-birth_date": "2012-03-04"})
    page = page.content.decode()
    assert "<details open>" in page
    assert 'href="#id_family-0-name"' in _summary(page)
    assert "Orang ke-2: Nama" in _summary(page)
    assert not Booking.objects.exists()


def test_each_persons_birth_date_and_nik_errors_sit_beside_that_persons_fields(client):
    page = _book(
        client,
        nik="3171061806780001",  # the birth-date digits say 18 June, not 17
        **{
            "family-0-name": "Budi",
            "family-0-birth_date": "2027-01-01",  # not born yet
            "family-1-name": "Ani",
            "family-1-birth_date": "2012-03-04",
            "family-1-nik": "12345",
        },
    ).content.decode()
    summary = _summary(page)
    assert 'href="#id_nik"' in summary
    assert 'href="#id_family-0-birth_date"' in summary
    assert 'href="#id_family-1-nik"' in summary
    assert 'href="#id_birth_date"' not in summary  # the first person's date is right
    assert "periksa tahunnya" in summary
    assert not Booking.objects.exists()


def test_a_refusal_by_the_service_shows_in_the_summary(client):
    _book(client)
    again = _book(client).content.decode()  # the same person, the same day
    assert "SITI NUR&#x27;AINI" in _summary(again) or "SITI NUR'AINI" in _summary(again)
    assert Booking.objects.count() == 1


def test_switching_language_keeps_what_was_typed_and_books_nothing(client):
    response = _book(
        client,
        language="en",
        name="Budi Santoso",
        **{"family-0-name": "Ani", "family-0-birth_date": "2015-01-02"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in page
    assert 'value="Budi Santoso"' in page
    assert 'value="0812 3456 7890"' in page
    assert f'value="{BIRTH}"' in page
    assert 'value="Ani"' in page
    assert "<details open>" in page
    assert 'class="error-summary"' not in page  # nothing was submitted yet
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert not Booking.objects.exists()
    # The header's buttons submit the booking form itself, without JavaScript.
    assert 'form="booking-form"' in page
    assert 'id="booking-form"' in page


def test_an_unknown_language_is_not_a_switch(client):
    response = _book(client, language="xx")
    assert response.status_code == 302  # an ordinary submit: booked
    assert Booking.objects.count() == 1
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_days_not_yet_open_say_when_in_words(client):
    office = Office.objects.get(code="belakang-padang")
    days = office_availability(
        office=office, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31), now=NOW
    )
    waiting = [d for d in days if d.state == DayState.NOT_RELEASED]
    assert waiting
    release = waiting[0].release_at.astimezone(dt.timezone(dt.timedelta(hours=7)))
    page = client.get("/pesan/?office=belakang-padang&month=2026-12").content.decode()
    assert f"buka {release.day} Des" in page
    assert f"{release.day}/{release.month}<" not in page
    _english(client)
    page = client.get("/pesan/?office=belakang-padang&month=2026-12").content.decode()
    assert f"opens {release.day} Dec" in page


def test_the_home_page_lists_the_offices_real_whatsapp_numbers(client):
    page = client.get("/").content.decode()
    published = Office.objects.filter(whatsapp_number_is_placeholder=False)
    assert published.exists()
    for office in published:
        digits = office.whatsapp_number.lstrip("+")
        assert f'href="https://wa.me/{digits}"' in page
        assert office.name in page
    for office in Office.objects.filter(whatsapp_number_is_placeholder=True):
        assert office.whatsapp_number.lstrip("+") not in page  # never published
        assert office.name in page  # but said to have none yet
    assert "+62 811 8119 000" in page  # Tangerang, readable


def test_a_child_is_told_to_bring_the_parents_documents(client):
    response = _book(client, name="Anak Budi", birth_date="2015-03-04")
    page = client.get(response["Location"]).content.decode()
    assert "KTP kedua orang tua" in page


# --- /cek/ ---------------------------------------------------------------------------


def _check(client, code, action="show", birth=BIRTH, **extra):
    return client.post("/cek/", {"code": code, "birth_date": birth, "action": action, **extra})


def test_the_qr_shows_after_the_birth_date_check_only(client):
    _book(client)
    booking = Booking.objects.get()
    qr = f"/api/v1/bookings/{booking.code}/qr.svg"
    assert qr not in client.get("/cek/").content.decode()
    assert qr not in _check(client, booking.code, birth="1978-06-18").content.decode()
    client.cookies.clear()  # another browser than the one that booked
    assert qr in _check(client, booking.code).content.decode()


def test_cancelling_asks_first_and_cancels_only_when_confirmed(client):
    _book(client)
    booking = Booking.objects.get()
    asked = _check(client, booking.code, action="cancel").content.decode()
    assert "Batalkan pemesanan ini?" in asked
    assert 'value="cancel_confirmed"' in asked
    assert 'value="show"' in asked
    booking.refresh_from_db()
    assert booking.status == "booked"
    done = _check(client, booking.code, action="cancel_confirmed").content.decode()
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert "Pemesanan sudah dibatalkan." in done
    assert 'value="cancel"' not in done
    assert 'value="reschedule"' not in done
    assert f"{booking.code}/qr.svg" not in done  # a cancelled code opens no door


def test_cancel_confirmation_in_english(client):
    _english(client)
    _book(client)
    booking = Booking.objects.get()
    asked = _check(client, booking.code, action="cancel").content.decode()
    assert "Cancel this booking?" in asked
    assert "No, keep it" in asked


def test_a_wrong_birth_date_cancels_nothing(client):
    _book(client)
    booking = Booking.objects.get()
    page = _check(client, booking.code, action="cancel_confirmed", birth="1978-06-18")
    booking.refresh_from_db()
    assert booking.status == "booked"
    assert "SITI" not in page.content.decode()


def _move(client, code, to="2026-12-08"):
    return _check(client, code, action="reschedule", new_date=to)


def test_after_a_move_the_page_and_the_notice_say_the_new_code_replaces_the_old(client):
    _book(client)
    old = Booking.objects.get()
    response = _move(client, old.code)
    new = Booking.objects.get(status="booked")
    page = client.get(response["Location"]).content.decode()
    assert "Pemesanan Anda sudah dipindahkan" in page
    assert f"kode baru, {new.display_code}</strong>, yang menggantikan {old.display_code}" in page
    notice = OutboundMessage.objects.get(kind="booking_rescheduled")
    assert f"BARU, {new.display_code}, menggantikan {old.display_code}" in notice.text


def test_a_moved_booking_is_not_offered_another_move_and_says_why(client):
    _book(client)
    old = Booking.objects.get()
    _move(client, old.code)
    new = Booking.objects.get(status="booked")
    page = _check(client, new.code).content.decode()
    assert 'value="reschedule"' not in page
    assert "sudah dipindah 1 kali" in page
    assert 'value="cancel"' in page  # cancelling is still allowed


def test_the_old_code_leads_its_owner_to_the_new_booking(client):
    _book(client)
    old = Booking.objects.get()
    _move(client, old.code)
    new = Booking.objects.get(status="booked")
    client.cookies.clear()
    page = _check(client, old.display_code).content.decode()
    assert new.display_code in page
    assert f"/api/v1/bookings/{new.code}/qr.svg" in page
    assert f"Pemesanan dengan kode {old.display_code} sudah dipindahkan" in page
    # A stranger with the old code but not the birth date learns nothing of the new one.
    stranger = _check(client, old.display_code, birth="1978-06-18").content.decode()
    assert new.display_code not in stranger


def test_cancelling_through_the_old_code_cancels_the_new_booking_after_confirmation(client):
    _book(client)
    old = Booking.objects.get()
    _move(client, old.code)
    new = Booking.objects.get(status="booked")
    asked = _check(client, old.code, action="cancel").content.decode()
    assert f'name="code" value="{new.code}"' in asked  # what is confirmed is what was shown
    _check(client, new.code, action="cancel_confirmed")
    new.refresh_from_db()
    assert new.status == "cancelled"


def test_switching_language_on_cek_keeps_the_code_and_shows_the_booking(client):
    _book(client)
    booking = Booking.objects.get()
    response = _check(client, booking.display_code, language="en")
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert booking.display_code in page
    assert "Queue number" in page
    assert 'form="check-form"' in page
