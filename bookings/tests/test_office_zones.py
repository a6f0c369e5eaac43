"""Every time a person reads is on the office's own clock with its label: an 08:00 slot
at Jayapura reads "08:00 WIT" on every page, notice, admin screen and refusal, never
the WIB time the server's default zone would give ("06:00 WIT" was the bug)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from bookings.models import Booking, PriorityCategory
from bookings.services import Actor, booking_check_in, priority_ticket_issue, queue_call_next
from bookings.tests.factories import NOW, book, office
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from offices import localtime

pytestmark = pytest.mark.django_db

ZONES = [
    pytest.param("Asia/Jakarta", "WIB", id="WIB"),
    pytest.param("Asia/Makassar", "WITA", id="WITA"),
    pytest.param("Asia/Jayapura", "WIT", id="WIT"),
]


def _booked(zone_name: str) -> Booking:
    """A booking in the first slot (08:00 office time) of Monday 7 December."""
    place = office(timezone=zone_name, city="Kota Uji")
    booking = book(place)
    assert booking.slot.starts_at == dt.datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo(zone_name))
    return booking


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("hq", password="x")
    client.force_login(user)
    return user


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_local_text_is_the_office_clock_with_its_label(zone_name, label):
    place = office(timezone=zone_name)
    instant = dt.datetime(2026, 12, 4, 1, 0, tzinfo=dt.UTC)
    hour = {"WIB": 8, "WITA": 9, "WIT": 10}[label]
    assert localtime.local_text(instant, place) == f"{hour:02d}:00 {label}"
    assert localtime.local_text(instant, place, localtime.DATETIME) == (
        f"4 Des 2026 {hour:02d}:00 {label}"
    )


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_confirmation_page_says_the_booked_time(client, zone_name, label):
    booking = _booked(zone_name)
    session = client.session
    session["booked_codes"] = [booking.code]
    session.save()
    page = _text(client.get(reverse("booking-confirmation", kwargs={"code": booking.code})))
    assert f"08:00 {label}" in page
    assert f"07:30 {label}" in page
    assert "06:00" not in page
    assert "06:30" not in page


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_check_page_says_the_booked_time(client, zone_name, label):
    booking = _booked(zone_name)
    with time_machine.travel(NOW, tick=False):
        page = _text(
            client.post(
                reverse("booking-check"),
                {"code": booking.code, "birth_date": booking.birth_date.isoformat(), "action": ""},
            )
        )
    assert f"08:00 {label}" in page


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_calendar_says_when_a_day_opens_on_the_office_clock(client, zone_name, label):
    place = office(timezone=zone_name, release_time=dt.time(8, 0))
    with time_machine.travel(NOW, tick=False):
        page = _text(client.get(f"/pesan/?office={place.code}&month=2026-12"))
    # Thursday 31 December opens 30 days before, at 08:00 on the office's clock.
    assert f"1 Des 08:00 {label}" in page


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_desk_pages_show_local_times(client, staff, zone_name, label):
    booking = _booked(zone_name)
    zone = ZoneInfo(zone_name)
    at_the_door = dt.datetime(2026, 12, 7, 7, 40, tzinfo=zone)
    with time_machine.travel(at_the_door, tick=False):
        priority_ticket_issue(
            office=booking.office, category=PriorityCategory.ELDERLY, actor=Actor.staff(staff)
        )
        door = _text(
            client.post(
                f"{reverse('desk-door')}?office={booking.office.code}", {"code": booking.code}
            )
        )
        queue = _text(client.get(f"{reverse('desk-queue')}?office={booking.office.code}"))
    assert f"08:00 {label}" in door
    assert f"08:00 {label}" in queue  # the booking's slot
    assert f"07:40 {label}" in queue  # when the priority ticket was issued


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_door_refusals_name_local_times(zone_name, label, django_user_model):
    booking = _booked(zone_name)
    user = django_user_model.objects.create_superuser("hq2", password="x")
    too_early = dt.datetime(2026, 12, 7, 5, 0, tzinfo=ZoneInfo(zone_name))
    with pytest.raises(DomainError) as refused:
        booking_check_in(
            office=booking.office, code=booking.code, actor=Actor.staff(user), now=too_early
        )
    assert f"06:00 {label}" in str(refused.value.message)  # entry opens 2 h before


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_whatsapp_confirmation_says_the_booked_time(zone_name, label):
    booking = _booked(zone_name)
    text = OutboundMessage.objects.get(**booking.about.fields()).text
    assert f"08:00 {label}" in text
    assert f"07:30 {label}" in text


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_admin_lists_and_pages_show_office_time_not_utc(client, staff, zone_name, label):
    booking = _booked(zone_name)
    zone = ZoneInfo(zone_name)
    with time_machine.travel(dt.datetime(2026, 12, 7, 8, 10, tzinfo=zone), tick=False):
        ticket = priority_ticket_issue(
            office=booking.office, category=PriorityCategory.CHILD, actor=Actor.staff(staff)
        )
        booking_check_in(office=booking.office, code=booking.code, actor=Actor.staff(staff))
        queue_call_next(office=booking.office, counter=2, actor=Actor.staff(staff))

    bookings = _text(client.get(reverse("admin:bookings_booking_changelist")))
    assert f"08:00 {label}" in bookings
    assert "A-001" in bookings
    detail = _text(client.get(reverse("admin:bookings_booking_change", args=[booking.pk])))
    assert f"Kota Uji, 7 Des 2026 08:00 {label}" in detail  # the slot
    assert f"7 Des 2026 08:30 {label}" in detail  # expires 30 minutes after the start
    assert f"7 Des 2026 08:10 {label}" in detail  # the check-in, in the history
    assert not re.search(r"\d\d:\d\dZ", detail)  # the slot's old UTC name
    assert "2026-12-07 0" not in detail

    tickets = _text(client.get(reverse("admin:bookings_priorityticket_changelist")))
    assert f"7 Des 2026 08:10 {label}" in tickets
    assert ticket.number in tickets
    calls = _text(client.get(reverse("admin:bookings_countercall_changelist")))
    assert f"7 Des 2026 08:10 {label}" in calls
    slots = _text(client.get(reverse("admin:offices_slot_changelist")))
    assert f"7 Des 2026 08:00 {label}" in slots


@pytest.mark.parametrize(("zone_name", "label"), ZONES)
def test_the_hall_board_shows_the_office_clock(client, zone_name, label):
    place = office(timezone=zone_name)
    with time_machine.travel(dt.datetime(2026, 12, 7, 1, 15, tzinfo=dt.UTC), tick=False):
        page = _text(client.get(reverse("desk-board", args=[place.code])))
    hour = {"WIB": 8, "WITA": 9, "WIT": 10}[label]
    assert f"Senin, 7 Desember 2026 · {hour:02d}:15 {label}" in page
