"""At the counter: the officer calls the next number, records the submission in turn,
then serves someone out of turn, which the page refuses until a reason is chosen; the
supervisor sees both in the serving order. At desk size in Indonesian, on a 360 px
phone in English."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from bookings.applicant import Applicant
from bookings.services import Actor, booking_check_in, booking_create
from e2e.conftest import PHONE
from offices.models import Office, OfficerProfile
from offices.roles import DESK, SUPERVISOR, ensure_role_groups

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIB = ZoneInfo("Asia/Jakarta")
DAY = dt.date(2026, 12, 7)
PASSWORD = "rahasia-sekali-123"
DESK_SIZE = {"width": 1280, "height": 900}


def _user(name, role, office):
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office)
    return user


def _log_in(context, name, next_url):
    page = context.new_page()
    page.goto(reverse("admin:login") + f"?next={next_url}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    return page


def _fits(page, width, selector="html"):
    """Nothing in `selector` reaches past the screen's edge (wide tables scroll inside
    their own box)."""
    right = page.locator(selector).evaluate(
        "(root) => Math.max(...[root, ...root.querySelectorAll('*')]"
        ".filter((e) => !e.closest('.scroll') || e.matches('.scroll'))"
        ".map((e) => e.getBoundingClientRect().right))"
    )
    assert right <= width, right


def test_serve_in_turn_then_out_of_turn_with_a_reason(browser, live_server, pilot_offices, shot):
    office = Office.objects.get(code="belakang-padang")
    people = [("SITI NUR'AINI", dt.date(1978, 6, 17)), ("MUH. FAHRUROZI", dt.date(1985, 1, 2))]
    bookings = [
        booking_create(
            office=office,
            date=DAY,
            applicant=Applicant(name, born),
            phone=f"08123456789{n}",
            actor=Actor.applicant("whatsapp"),
            now=dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB),
            phone_verified=True,  # booked by WhatsApp: the sender is the phone
        )
        for n, (name, born) in enumerate(people)
    ]
    _user("loket-bp", DESK, office)
    _user("spv-bp", SUPERVISOR, office)
    for booking in bookings:
        booking_check_in(
            office=office,
            code=booking.code,
            actor=Actor.system(),
            now=dt.datetime.combine(DAY, dt.time(7, 40), tzinfo=WIB),
        )

    with time_machine.travel(dt.datetime.combine(DAY, dt.time(8, 0), tzinfo=WIB), tick=True):
        desk = browser.new_context(viewport=DESK_SIZE, locale="id-ID", base_url=live_server.url)
        page = _log_in(desk, "loket-bp", "/loket/layanan/")
        page.select_option("#counter-choice", "2")
        page.get_by_role("button", name="Buka").click()
        page.get_by_role("button", name="Panggil berikutnya ke loket 2").click()
        expect(page.get_by_role("status")).to_contain_text("A-001 dipanggil ke loket 2.")
        expect(page.locator(".ticket")).to_contain_text("SITI NUR'AINI")
        expect(page.locator(".ticket")).to_contain_text("WIB")
        shot(page, "counter-1-called")
        page.fill("#billing-in-turn", "820261207000123")
        page.get_by_role("button", name="Catat penyerahan berkas A-001").click()
        expect(page.get_by_role("status")).to_contain_text("A-001 dilayani")
        expect(page.locator("#served")).to_contain_text("ya")

        # A-002 was never called to this counter: out of turn, refused without a reason.
        page.get_by_text("Layani seseorang di luar urutan").click()
        page.fill("#code-out", bookings[1].display_code)
        page.fill("#billing-out", "820261207000124")
        page.get_by_role("button", name="Catat penyerahan berkas di luar urutan").click()
        expect(page.get_by_role("alert")).to_contain_text("tidak dipanggil ke loket ini")
        shot(page, "counter-2-reason-required")
        page.get_by_label("Kembali membawa dokumen yang kurang").check()
        page.get_by_role("button", name="Catat penyerahan berkas di luar urutan").click()
        expect(page.get_by_role("status")).to_contain_text("A-002 dilayani")
        expect(page.locator("#served")).to_contain_text("Kembali membawa dokumen yang kurang")
        shot(page, "counter-3-served-out-of-turn")
        desk.close()

        phone = browser.new_context(viewport=PHONE, locale="en-US", base_url=live_server.url)
        page = _log_in(phone, "loket-bp", "/loket/layanan/?counter=2")
        expect(page.locator("h1")).to_have_text("Counter 2")
        expect(page.locator("#served")).to_contain_text("Returning with a missing document")
        expect(page.locator("#fees")).to_contain_text("Rp350.000")
        _fits(page, PHONE["width"])
        shot(page, "counter-4-phone-en")
        phone.close()

        supervisor = browser.new_context(
            viewport=DESK_SIZE, locale="id-ID", base_url=live_server.url
        )
        page = _log_in(supervisor, "spv-bp", "/dasbor/")
        order = page.locator("#serving-order")
        expect(order).to_contain_text("A-002")
        expect(order).to_contain_text("tidak: Kembali membawa dokumen yang kurang")
        expect(order).to_contain_text("WIB")
        expect(page.locator("#officer-days")).to_contain_text("loket-bp")
        page.locator("#serving").scroll_into_view_if_needed()
        shot(page, "counter-5-dashboard")
        supervisor.close()

        small = browser.new_context(viewport=PHONE, locale="en-US", base_url=live_server.url)
        page = _log_in(small, "spv-bp", "/dasbor/")
        expect(page.locator("#serving-title")).to_have_text("Counter service per officer and day")
        _fits(page, PHONE["width"], "main")  # the whole dashboard: wide tables scroll
        shot(page, "counter-6-dashboard-phone-en")
        small.close()
