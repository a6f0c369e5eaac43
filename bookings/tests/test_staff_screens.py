"""The staff's screens say things in words: an office picker instead of a bare 403,
"P-001: please go to counter 1" after a call, priority tickets only while the office
serves, styled error pages in both languages, and an admin that reads "A-043" under
translated headers, with history notes in the reader's language."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from bookings.models import BookingEvent, PriorityCategory, PriorityTicket
from bookings.services import (
    Actor,
    booking_cancel,
    booking_check_in,
    booking_create,
    booking_reschedule,
    bookings_expire_no_shows,
    priority_ticket_issue,
)
from bookings.tests.factories import DAY, NOW, applicant, book, office
from immigration.errors import DomainError
from offices.models import Closure, OfficerProfile
from offices.roles import DESK, INSPECTOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _staff(name: str, role: str, place=None) -> User:
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=place, is_headquarters=place is None)
    return user


# --- the office picker ---------------------------------------------------------------


@pytest.mark.parametrize("page", ["desk-door", "desk-queue"])
def test_an_hq_inspector_gets_an_office_picker_not_a_bare_403(client, page):
    first, second = office(name="Kantor Imigrasi Satu"), office(name="Kantor Imigrasi Dua")
    client.force_login(_staff("inspektur", INSPECTOR))
    response = client.get(reverse(page))
    assert response.status_code == 200
    text = _text(response)
    assert "Pilih kantor" in text
    for place in (first, second):
        assert f'href="{reverse(page)}?office={place.code}"' in text
    assert 'href="/static/css/site' in text  # the site's style, not Django's bare page


def test_the_picker_says_why_an_office_out_of_reach_is_refused(client):
    mine, other = office(name="Kantor Imigrasi Milik Saya"), office(name="Kantor Imigrasi Lain")
    client.force_login(_staff("loket", DESK, mine))
    response = client.get(f"{reverse('desk-door')}?office={other.code}")
    assert response.status_code == 403
    text = _text(response)
    assert "Anda tidak bertugas di kantor itu" in text
    assert other.name not in text  # an officer sees only their own offices
    assert mine.name in text
    assert f"?office={mine.code}" in text


def test_an_officer_cannot_act_for_another_office_by_posting_its_code(client):
    mine, other = office(), office()
    client.force_login(_staff("loket", DESK, mine))
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB), tick=False):
        issued = client.post(
            reverse("desk-queue"), {"office": other.code, "action": "ticket", "category": "child"}
        )
    assert issued.status_code == 403
    assert not PriorityTicket.objects.exists()


def test_a_staff_user_linked_to_no_office_gets_a_styled_403_with_the_reason(client):
    client.force_login(User.objects.create_user("nobody", password="x", is_staff=True))
    response = client.get(reverse("desk-door"))
    assert response.status_code == 403
    text = _text(response)
    assert "belum terhubung ke kantor" in text
    assert "You may not open this page" in text  # the other language below
    assert 'href="/static/css/site' in text


# --- call next ---------------------------------------------------------------------------


def test_call_next_says_who_goes_to_which_counter_and_when_nobody_waits(client):
    place = office()
    client.force_login(_staff("loket", DESK, place))
    with time_machine.travel(dt.datetime(2026, 12, 7, 8, 30, tzinfo=WIB), tick=False):
        client.post(
            reverse("desk-queue"), {"office": place.code, "action": "ticket", "category": "child"}
        )
        issued = _text(client.get(f"{reverse('desk-queue')}?office={place.code}"))
        client.post(reverse("desk-queue"), {"office": place.code, "counter": "1"})
        called = _text(client.get(f"{reverse('desk-queue')}?office={place.code}"))
        client.post(reverse("desk-queue"), {"office": place.code, "counter": "1"})
        nobody = _text(client.get(f"{reverse('desk-queue')}?office={place.code}"))
    assert "Tiket prioritas P-001 diterbitkan." in issued
    assert "P-001: silakan menuju loket 1" in called
    assert "-&gt;" not in called
    assert "Tidak ada yang menunggu." in nobody


def test_call_next_in_english(client):
    place = office()
    client.force_login(_staff("loket", DESK, place))
    client.cookies["django_language"] = "en"
    with time_machine.travel(dt.datetime(2026, 12, 7, 8, 30, tzinfo=WIB), tick=False):
        client.post(
            reverse("desk-queue"), {"office": place.code, "action": "ticket", "category": "elderly"}
        )
        client.post(reverse("desk-queue"), {"office": place.code, "counter": "3"})
        called = _text(client.get(f"{reverse('desk-queue')}?office={place.code}"))
    assert "P-001: please go to counter 3" in called


# --- priority tickets only while the office serves ----------------------------------------


@pytest.mark.parametrize(
    ("local", "allowed"),
    [
        (dt.datetime(2026, 12, 7, 23, 0), False),  # Monday night
        (dt.datetime(2026, 12, 7, 6, 59), False),  # before the hour ahead of opening
        (dt.datetime(2026, 12, 7, 7, 0), True),  # an hour before 08:00
        (dt.datetime(2026, 12, 7, 12, 30), True),  # the midday break: people wait inside
        (dt.datetime(2026, 12, 7, 15, 59), True),
        (dt.datetime(2026, 12, 7, 16, 0), False),  # closed at 16:00
        (dt.datetime(2026, 12, 6, 10, 0), False),  # Sunday
        (dt.datetime(2026, 12, 25, 10, 0), False),  # Christmas
    ],
)
def test_priority_tickets_only_while_the_office_serves(local, allowed):
    place = office(timezone="Asia/Jayapura")
    user = _staff("loket", DESK, place)
    now = local.replace(tzinfo=WIT)
    if allowed:
        ticket = priority_ticket_issue(
            office=place, category=PriorityCategory.ELDERLY, actor=Actor.staff(user), now=now
        )
        assert ticket.number == "P-001"
        return
    with pytest.raises(DomainError) as refused:
        priority_ticket_issue(
            office=place, category=PriorityCategory.ELDERLY, actor=Actor.staff(user), now=now
        )
    assert refused.value.code == "office_closed_now"
    assert not PriorityTicket.objects.exists()


def test_a_priority_ticket_at_night_is_refused_with_the_opening_time_on_the_office_clock():
    place = office(timezone="Asia/Jayapura")
    user = _staff("loket", DESK, place)
    for language, words in [("en", "service starts at 07:00 WIT"), ("id", "mulai pukul 07:00 WIT")]:
        with pytest.raises(DomainError) as refused, translation.override(language):
            priority_ticket_issue(
                office=place,
                category=PriorityCategory.CHILD,
                actor=Actor.staff(user),
                now=dt.datetime(2026, 12, 8, 5, 0, tzinfo=WIT),
            )
        assert words in str(refused.value.message)


def test_an_office_closure_refuses_priority_tickets_with_its_reason():
    place = office()
    Closure.objects.create(office=place, date=DAY, reason="Pemadaman listrik")
    user = _staff("loket", DESK, place)
    with pytest.raises(DomainError) as refused:
        priority_ticket_issue(
            office=place,
            category=PriorityCategory.CHILD,
            actor=Actor.staff(user),
            now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB),
        )
    assert "Pemadaman listrik" in str(refused.value.message)


@override_settings(PRIORITY_TICKET_OPENS_BEFORE_MINUTES=0)
def test_how_early_tickets_start_is_a_setting():
    place = office()
    user = _staff("loket", DESK, place)
    with pytest.raises(DomainError):
        priority_ticket_issue(
            office=place,
            category=PriorityCategory.CHILD,
            actor=Actor.staff(user),
            now=dt.datetime(2026, 12, 7, 7, 30, tzinfo=WIB),
        )


def test_the_queue_page_shows_a_refused_ticket_as_an_alert(client):
    place = office()
    client.force_login(_staff("loket", DESK, place))
    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 0, tzinfo=WIB), tick=False):
        client.post(
            reverse("desk-queue"), {"office": place.code, "action": "ticket", "category": "child"}
        )
        page = _text(client.get(f"{reverse('desk-queue')}?office={place.code}"))
    assert 'class="error-box" role="alert"' in page
    assert "Kantor sudah tutup hari ini (tutup pukul 16:00 WIB)" in page


# --- error pages -----------------------------------------------------------------------


def test_a_missing_page_is_styled_and_bilingual(client):
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    text = _text(response)
    assert "Halaman tidak ditemukan" in text
    assert "Page not found" in text
    assert 'href="/static/css/site' in text
    client.cookies["django_language"] = "en"
    english = _text(client.get("/tidak-ada/"))
    assert english.index("Page not found") < english.index("Halaman tidak ditemukan")


def test_a_server_error_is_styled_and_bilingual(rf):
    from immigration.db_outage import server_error

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = server_error(rf.get("/pesan/"))
    assert response.status_code == 500
    page = _text(response)
    assert "Terjadi kesalahan di sistem kami" in page
    assert "Something went wrong on our side" in page
    assert "/static/css/site" in page
    assert "boom" not in page


def test_too_many_requests_is_styled_and_bilingual(rf):
    from django.shortcuts import render

    request = rf.get("/lapor/ABCD1234/")
    with translation.override("id"):
        page = _text(render(request, "429.html", status=429))
    assert "Terlalu banyak permintaan" in page
    assert "Too many requests" in page
    assert "/static/css/site" in page


# --- admin -------------------------------------------------------------------------------


def test_the_admin_shows_queue_numbers_and_translated_headers(client):
    place = office(hours__daily_capacity=140)
    bookings = [book(place) for _ in range(3)]
    client.force_login(User.objects.create_superuser("hq", password="x"))
    page = _text(client.get(reverse("admin:bookings_booking_changelist")))
    assert "A-003" in page
    assert "Nomor antrean" in page or "NOMOR ANTREAN" in page.upper()
    assert "QUEUE NUMBER" not in page.upper().replace("NOMOR ANTREAN", "")
    detail = _text(client.get(reverse("admin:bookings_booking_change", args=[bookings[2].pk])))
    assert "A-003" in detail


def test_history_notes_are_stored_in_english_and_shown_in_the_readers_language(client):
    place = office()
    user = User.objects.create_superuser("hq", password="x")
    with translation.override("id"):  # whoever moved it spoke Indonesian
        booking = book(place)
        moved = booking_reschedule(
            booking=booking, date=DAY + dt.timedelta(days=1), actor=Actor.staff(user), now=NOW
        )
    notes = set(BookingEvent.objects.exclude(note="").values_list("note", flat=True))
    assert notes == {"rescheduled"}
    client.force_login(user)
    page = _text(client.get(reverse("admin:bookings_booking_change", args=[moved.pk])))
    assert "dijadwalkan ulang" in page
    client.cookies["django_language"] = "en"
    page = _text(client.get(reverse("admin:bookings_booking_change", args=[moved.pk])))
    assert "rescheduled" in page


def test_a_no_show_note_is_translated_too(client):
    place = office()
    booking = book(place)
    bookings_expire_no_shows(now=dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB))
    client.force_login(User.objects.create_superuser("hq", password="x"))
    page = _text(client.get(reverse("admin:bookings_booking_change", args=[booking.pk])))
    assert "tidak hadir" in page


def test_door_check_in_then_the_admin_names_the_slot_by_place_and_local_time(client):
    place = office(city="Kota Tangerang")
    booking = book(place)
    user = _staff("loket", DESK, place)
    booking_check_in(
        office=place,
        code=booking.code,
        actor=Actor.staff(user),
        now=dt.datetime(2026, 12, 7, 7, 45, tzinfo=WIB),
    )
    assert str(booking.slot) == "Kota Tangerang, 7 Des 2026 08:00 WIB"


# --- refusals in words ---------------------------------------------------------------------


def test_cancelling_a_cancelled_booking_says_so_plainly():
    booking = book(office())
    booking_cancel(booking=booking, actor=Actor.applicant("web"), now=NOW)
    with pytest.raises(DomainError) as refused, translation.override("id"):
        booking_cancel(booking=booking, actor=Actor.applicant("web"), now=NOW)
    with translation.override("id"):
        assert str(refused.value.message) == "Pemesanan ini sudah dibatalkan."
    with translation.override("en"):
        assert str(refused.value.message) == "This booking has already been cancelled."


def test_a_saturday_says_the_office_is_closed_every_saturday_once():
    place = office()
    with pytest.raises(DomainError) as refused, translation.override("id"):
        booking_create(
            office=place,
            date=dt.date(2026, 12, 5),
            applicant=applicant(),
            phone="081234560000",
            actor=Actor.applicant("web"),
            now=NOW,
        )
    with translation.override("id"):
        message = str(refused.value.message)
    assert message == "Kantor tutup setiap hari Sabtu; pilih hari lain."
    assert message.count("Sabtu") == 1


def test_a_holiday_names_the_date_and_the_holiday():
    place = office()
    with pytest.raises(DomainError) as refused, translation.override("en"):
        book(place, day=dt.date(2026, 12, 25))
    with translation.override("en"):
        message = str(refused.value.message)
    assert message.startswith("The office is closed on Friday, 25 December 2026 (")
    assert message.endswith("); choose another day.")


def test_family_members_are_numbered_without_a_loose_dash(client):
    place = office()
    with time_machine.travel(NOW, tick=False):
        page = _text(client.get(f"/pesan/?office={place.code}&date=2026-12-07"))
    assert "Orang ke-2" in page
    assert "Orang ke- " not in page


def test_an_expired_form_gets_a_styled_bilingual_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("booking-check"), {"code": "x"})
    assert response.status_code == 403
    page = _text(response)
    assert "Formulir sudah kedaluwarsa" in page
    assert "The form has expired" in page
    assert "/static/css/site" in page
