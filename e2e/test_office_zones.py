"""An office in each of Indonesia's three zones (Tangerang WIB, Denpasar WITA, Jayapura
WIT): the time an applicant picks is the time on the confirmation, on /cek/, and on the
counter's queue page, with the zone's label; on a 360 px phone in Indonesian and at a
desk in English. Screenshots: e2e/screenshots/zones-*.png."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from bookings.models import Booking
from offices.tests.factories import publish_whatsapp_numbers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIB = ZoneInfo("Asia/Jakarta")
BOOKING_TIME = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)  # Monday; 7 December is open
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
OFFICES = [
    pytest.param("tangerang", "WIB", id="WIB"),
    pytest.param("denpasar", "WITA", id="WITA"),
    pytest.param("jayapura", "WIT", id="WIT"),
]
LOOKS = [
    pytest.param(PHONE, "id", id="phone-id"),
    pytest.param(DESK, "en", id="desk-en"),
]


def _local(instant: dt.datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%H:%M}"


@pytest.mark.parametrize(("code", "label"), OFFICES)
@pytest.mark.parametrize(("viewport", "language"), LOOKS)
def test_the_picked_time_is_the_time_everywhere(
    browser, live_server, pilot_offices, shot, code, label, viewport, language
):
    prefix = f"zones-{label.lower()}-{language}"
    publish_whatsapp_numbers(code)  # Denpasar's and Jayapura's are placeholders: no holds
    with time_machine.travel(BOOKING_TIME, tick=True):
        context = browser.new_context(viewport=viewport, locale="id-ID", base_url=live_server.url)
        page = context.new_page()
        page.goto("/")
        if language == "en":
            page.get_by_role("button", name="EN").click()
        page.goto(f"/pesan/?office={code}&month=2026-12&date=2026-12-07#form")
        slot = page.locator("input[name=slot]").nth(1)  # the first time after "earliest"
        slot_label = page.locator(f"label[for='{slot.get_attribute('id')}']").inner_text()
        picked = re.search(r"\d\d:\d\d \w+", slot_label).group(0)
        assert picked.endswith(label)
        slot.check()
        page.fill("input[name=name]", "Siti Nur'aini")
        page.fill("input[name=birth_date]", "1978-06-17")
        page.fill("input[name=phone]", "0812 3456 7890")
        shot(page, f"{prefix}-1-form")
        page.get_by_role("button", name="Book" if language == "en" else "Pesan", exact=True).click()
        # The hold page first, its "until" time on the office's clock too.
        expect(page.locator("main")).to_contain_text(label)
        shot(page, f"{prefix}-2-hold")
        # The phone sends `YA <code>` by WhatsApp (that flow: e2e/test_booking.py).
        from bookings.services import booking_hold_confirm

        hold = Booking.objects.get(status="held")
        booking_hold_confirm(office=hold.office, phone=hold.phone, code=hold.code)
        page.reload()
        expect(page.locator(".ticket")).to_be_visible()

        booking = Booking.objects.select_related("slot", "office").get()
        zone = booking.office.timezone
        start = _local(booking.slot.starts_at, zone)
        arrive = _local(booking.arrive_by, zone)
        assert picked == f"{start} {label}"
        ticket = page.locator(".ticket")
        expect(ticket).to_contain_text(f"{start} {label}")
        expect(ticket).to_contain_text(f"{arrive} {label}")
        shot(page, f"{prefix}-3-confirmation")

        page.goto("/cek/")
        page.fill("input[name=code]", booking.code)
        page.fill("input[name=birth_date]", "1978-06-17")
        page.get_by_role("button", name="Show" if language == "en" else "Tampilkan").click()
        expect(page.locator(".ticket")).to_contain_text(f"{start} {label}")
        shot(page, f"{prefix}-4-check")
        context.close()


@pytest.mark.parametrize(("code", "label"), OFFICES)
def test_the_counter_queue_and_door_show_the_office_clock(
    browser, live_server, pilot_offices, shot, code, label
):
    from bookings.applicant import Applicant
    from bookings.services import Actor, booking_create
    from offices.models import Office

    office = Office.objects.get(code=code)
    booking = booking_create(
        office=office,
        date=dt.date(2026, 12, 7),
        applicant=Applicant("Budi Santoso", dt.date(1980, 1, 2)),
        phone="081311112222",
        actor=Actor.applicant("whatsapp"),
        phone_verified=True,  # booked by WhatsApp: the sender is the phone
        now=BOOKING_TIME,
    )
    start = _local(booking.slot.starts_at, office.timezone)
    User.objects.create_superuser("pusat", password="rahasia-sekali-123")
    zone = ZoneInfo(office.timezone)
    at_the_door = booking.slot.starts_at.astimezone(zone) - dt.timedelta(minutes=20)
    with time_machine.travel(at_the_door, tick=True):
        context = browser.new_context(viewport=DESK, locale="id-ID", base_url=live_server.url)
        page = context.new_page()
        page.goto(reverse("admin:login") + "?next=/loket/pintu/")
        page.fill("input[name=username]", "pusat")
        page.fill("input[name=password]", "rahasia-sekali-123")
        page.locator("input[type=submit]").click()
        # Headquarters reach every office: the picker first.
        expect(page.get_by_role("heading", name="Pilih kantor")).to_be_visible()
        if label == "WIB":
            shot(page, "zones-desk-0-office-picker")
        page.get_by_role("link", name=office.name).click()
        page.fill("#code", booking.code)
        page.keyboard.press("Enter")
        expect(page.locator(".door.ok")).to_contain_text(f"{start} {label}")
        shot(page, f"zones-{label.lower()}-desk-1-door")
        page.goto(f"/loket/antrean/?office={code}")
        expect(page.locator("table.list")).to_contain_text(f"{start} {label}")
        shot(page, f"zones-{label.lower()}-desk-2-queue")
        context.close()
