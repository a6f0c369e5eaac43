"""The waiting list as an applicant sees it, at an office in WIT (Jayapura): the full
day's link, /tunggu/ (join, then the `YA <ref>` to send), /cek/tunggu/ (the position,
then an offer with its deadline on the office's clock), and the booking form's
priority field; on a 360 px phone and at a desk, in Indonesian and in English.
Screenshots: e2e/screenshots/waitlist-*.png."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from e2e.conftest import PHONE, SHOTS
from offices.tests.factories import publish_whatsapp_numbers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIB = ZoneInfo("Asia/Jakarta")
BOOKING_TIME = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)  # Monday; 7 December is open
DAY = dt.date(2026, 12, 7)
DESK = {"width": 1280, "height": 900}
LOOKS = [
    pytest.param(PHONE, "id", id="phone-id"),
    pytest.param(PHONE, "en", id="phone-en"),
    pytest.param(DESK, "id", id="desk-id"),
    pytest.param(DESK, "en", id="desk-en"),
]
WORDS = {
    "id": {
        "join": "Masuk daftar tunggu untuk hari tersebut",
        "submit": "Masuk daftar tunggu",
        "show": "Tampilkan",
        "name": "Nama lengkap (sesuai KTP)",
        "priority": "Kebutuhan prioritas",
    },
    "en": {
        "join": "Join the waiting list for this day",
        "submit": "Join the waiting list",
        "show": "Show",
        "name": "Full name (as on your KTP)",
        "priority": "Priority need",
    },
}


@pytest.mark.parametrize(("viewport", "language"), LOOKS)
def test_joining_a_full_days_list_and_reading_the_position(
    browser, live_server, pilot_offices, shot, settings, viewport, language
):
    from bookings.services import Actor, booking_cancel
    from offices.models import Office
    from waitlist.models import WaitlistRequest
    from waitlist.services import waitlist_confirm
    from waitlist.tests.helpers import fill

    settings.PLACES_FREED_HANDLER = "waitlist.services.places_freed_by_id"
    words = WORDS[language]
    size = "phone" if viewport == PHONE else "desk"
    prefix = f"waitlist-{size}-{language}"
    publish_whatsapp_numbers("jayapura")  # a placeholder takes no web requests
    office = Office.objects.get(code="jayapura")
    with time_machine.travel(BOOKING_TIME, tick=True):
        booked = fill(office, day=DAY, now=BOOKING_TIME)
        context = browser.new_context(viewport=viewport, locale="id-ID", base_url=live_server.url)
        page = context.new_page()
        page.goto("/")
        if language == "en":
            page.get_by_role("button", name="EN").click()
        page.goto(f"/pesan/?office=jayapura&month=2026-12&date={DAY}#form")
        shot(page, f"{prefix}-1-full-day")
        page.get_by_role("link", name=words["join"]).click()
        main = page.locator("main")
        expect(main).to_contain_text(office.name)
        expect(page.get_by_test_id("waitlist-day")).to_contain_text("7")  # the day joined
        page.get_by_label(words["name"]).fill("Siti Nur'aini")
        page.locator("input[name=birth_date]").fill("1978-06-17")
        page.locator("input[name=phone]").fill("0812 3456 7890")
        shot(page, f"{prefix}-2-join-form")
        page.get_by_role("button", name=words["submit"]).click()
        request = WaitlistRequest.objects.get()
        expect(main).to_contain_text(f"YA {request.display_ref}")
        # The reference in the sentence stays on one line (it broke at its dash at 360 px).
        reference = page.get_by_role("status").locator("span.nowrap")
        expect(reference).to_have_text(request.display_ref)
        assert reference.evaluate("(el) => el.getClientRects().length") == 1
        # The deadline to send it, on the office's clock with its label.
        deadline = request.confirm_by.astimezone(ZoneInfo("Asia/Jayapura"))
        expect(main).to_contain_text(f"{deadline:%H:%M} WIT")
        link = page.get_by_test_id("waitlist-confirm-link")
        assert "YA%20" in link.get_attribute("href")
        shot(page, f"{prefix}-3-join-pending")

        # The phone sends `YA <ref>` by WhatsApp (that path: waitlist/tests/test_whatsapp.py).
        waitlist_confirm(office=office, phone=request.phone, ref=request.ref)
        page.goto("/cek/tunggu/")
        page.locator("input[name=ref]").fill(request.display_ref.lower())
        page.locator("input[name=birth_date]").fill("1978-06-17")
        shot(page, f"{prefix}-4-check-form")
        page.get_by_role("button", name=words["show"]).click()
        expect(page.get_by_test_id("waitlist-position")).to_have_text("1")
        shot(page, f"{prefix}-5-check-position")

        # A place frees up: the page shows the offer and until when to answer YA.
        booking_cancel(booking=booked[0], actor=Actor.applicant("web"))
        page.reload()
        offer = request.offers.get()
        until = offer.expires_at.astimezone(ZoneInfo("Asia/Jayapura"))
        expect(page.get_by_test_id("waitlist-offer")).to_contain_text(f"{until:%H:%M} WIT")
        shot(page, f"{prefix}-6-check-offered")

        # The booking form of an open day: the priority need, per person.
        page.goto(f"/pesan/?office=jayapura&month=2026-12&date={DAY + dt.timedelta(days=1)}#form")
        field = page.get_by_label(words["priority"]).first
        expect(field).to_be_visible()
        field.select_option("pregnant")
        page.locator("#booking-form").screenshot(path=str(SHOTS / f"{prefix}-7-priority-field.png"))
        assert re.search(r"WIT", page.locator("main").inner_text())
        context.close()
