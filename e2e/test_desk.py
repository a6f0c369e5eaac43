"""At the door: an officer scans a code and the applicant is welcomed; the counter
calls the next number and the board in the hall shows it."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from bookings.applicant import Applicant
from bookings.services import Actor, booking_create
from offices.models import Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIB = ZoneInfo("Asia/Jakarta")


def test_check_in_at_the_door_then_the_board_shows_the_called_number(
    browser, live_server, pilot_offices, shot
):
    office = Office.objects.get(code="belakang-padang")
    booking = booking_create(
        office=office,
        date=dt.date(2026, 12, 7),
        applicant=Applicant("Siti Nur'aini", dt.date(1978, 6, 17)),
        phone="081234567890",
        actor=Actor.applicant("whatsapp"),
        now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB),
        phone_verified=True,  # booked by WhatsApp: the sender is the phone
    )
    user = User.objects.create_user("loket-bp", password="rahasia-sekali-123", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=office)

    with time_machine.travel(dt.datetime(2026, 12, 7, 7, 10, tzinfo=WIB), tick=True):
        context = browser.new_context(
            viewport={"width": 1024, "height": 768}, locale="id-ID", base_url=live_server.url
        )
        page = context.new_page()
        page.goto(reverse("admin:login") + "?next=/loket/pintu/")
        page.fill("input[name=username]", "loket-bp")
        page.fill("input[name=password]", "rahasia-sekali-123")
        page.locator("input[type=submit]").click()
        expect(page.locator("#code")).to_be_focused()
        page.keyboard.type(booking.display_code.lower())
        page.keyboard.press("Enter")
        expect(page.locator(".door.ok")).to_contain_text("A-001")
        shot(page, "desk-1-door-welcome")
        page.keyboard.type(booking.code)
        page.keyboard.press("Enter")
        expect(page.locator(".door.refused")).to_be_visible()
        shot(page, "desk-2-door-refused")

        page.goto("/loket/antrean/")
        page.get_by_role("button", name="Panggil berikutnya ke loket 3").click()
        expect(page.get_by_role("status")).to_contain_text("A-001")
        shot(page, "desk-3-queue")

        board = context.new_page()
        board.set_viewport_size({"width": 1280, "height": 720})
        board.goto("/papan/belakang-padang/")
        expect(board.locator(".call .number")).to_have_text("A-001")
        expect(board.locator("body")).not_to_contain_text("SITI")
        shot(board, "desk-4-board")
        context.close()
