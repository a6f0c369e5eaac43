import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from bookings.models import Booking
from bookings.retention import bookings_erase_personal_data
from bookings.tests.factories import NOW, book
from notifications.models import OutboundMessage
from offices.models import Office, OfficerProfile, Slot
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client):
    user = User.objects.create_user("loket", password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code="tangerang"))
    client.force_login(user)
    return client


@pytest.fixture
def bookings_at_two_offices():
    with time_machine.travel(NOW, tick=False):
        own = book(Office.objects.get(code="tangerang"), now=NOW)
        other = book(Office.objects.get(code="batam"), now=NOW)
    return own, other


def test_officers_see_only_their_offices_bookings(desk_client, bookings_at_two_offices):
    own, other = bookings_at_two_offices
    page = desk_client.get(reverse("admin:bookings_booking_changelist")).content.decode()
    assert own.display_code in page
    assert other.display_code not in page
    other_page = reverse("admin:bookings_booking_change", args=[other.pk])
    assert desk_client.get(other_page).status_code == 302


def test_a_booking_is_found_by_its_code_as_typed(desk_client, bookings_at_two_offices):
    own, _other = bookings_at_two_offices
    search = {"q": own.display_code.lower()}
    page = desk_client.get(reverse("admin:bookings_booking_changelist"), search).content.decode()
    assert own.display_code in page


def test_the_history_is_shown_and_nothing_can_be_edited(desk_client, bookings_at_two_offices):
    own, _other = bookings_at_two_offices
    url = reverse("admin:bookings_booking_change", args=[own.pk])
    page = desk_client.get(url).content.decode()
    assert "Dipesan" in page  # the "booked" event in the history
    assert 'name="status"' not in page
    desk_client.post(url, {"status": "collected"})
    own.refresh_from_db()
    assert own.status == "booked"


def test_cancelling_from_the_admin_goes_through_the_service(desk_client, bookings_at_two_offices):
    own, other = bookings_at_two_offices
    response = desk_client.post(
        reverse("admin:bookings_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [own.pk, other.pk]},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.status == "cancelled"
    assert other.status == "booked"  # another office's booking is out of reach
    assert own.events.order_by("pk").last().channel == "admin"
    assert Slot.objects.get(pk=own.slot_id).booked == 0
    assert Booking.objects.filter(status="cancelled").count() == 1
    assert dt.date(2026, 12, 7) == own.date


def test_the_booking_page_shows_its_whatsapp_conversation(desk_client, bookings_at_two_offices):
    own, _other = bookings_at_two_offices
    page = desk_client.get(reverse("admin:bookings_booking_change", args=[own.pk])).content.decode()
    assert "Pemesanan Anda sudah terkonfirmasi." in page


def test_an_erased_booking_shows_no_conversation_not_every_erased_one(
    desk_client, bookings_at_two_offices, settings
):
    """Its number is empty, as is every erased message's: matching on it would show
    the staff other people's (erased) conversations."""
    settings.BOOKING_RETENTION_DAYS = 365
    own, _other = bookings_at_two_offices
    OutboundMessage.objects.create(to="", text="someone else's reply", kind="reply")
    bookings_erase_personal_data(now=NOW + dt.timedelta(days=400))
    page = desk_client.get(f"/admin/bookings/booking/{own.pk}/change/").content.decode()
    assert "someone else&#x27;s reply" not in page
    assert "someone else" not in page
