"""Staff and reporters' screens as people read them, in Indonesian and in English:
the counter's flashes, a refused priority ticket at night, the dashboard, the admin's
queue numbers, styled error pages, the complaint pages and the home page's example on
a 360 px phone. Screenshots: e2e/screenshots/staff-*.png."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from bookings.applicant import Applicant
from bookings.services import Actor, booking_check_in, booking_create
from complaints.services import complaint_add_information, complaint_submit
from offices.models import Office, OfficerProfile
from offices.roles import DESK, SUPERVISOR, ensure_role_groups

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIB = ZoneInfo("Asia/Jakarta")
BOOKING_TIME = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
DESK_SIZE = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
PASSWORD = "rahasia-sekali-123"
LANGUAGES = [pytest.param("id", id="id"), pytest.param("en", id="en")]


def _staff(name, role, office):
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office)
    return user


def _login(browser, live_server, username, language, viewport=DESK_SIZE, next_url="/"):
    context = browser.new_context(viewport=viewport, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    if language == "en":
        page.goto("/")
        page.get_by_role("button", name="EN").click()
    page.goto(reverse("admin:login") + f"?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    return context, page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_counter_reads_its_flashes_in_words(
    browser, live_server, pilot_offices, shot, language
):
    office = Office.objects.get(code="tangerang")
    booking = booking_create(
        office=office,
        date=dt.date(2026, 12, 7),
        applicant=Applicant("Siti Nur'aini", dt.date(1978, 6, 17)),
        phone="081234567890",
        actor=Actor.applicant("whatsapp"),
        phone_verified=True,  # booked by WhatsApp: the sender is the phone
        now=BOOKING_TIME,
    )
    user = _staff("loket", DESK, office)
    en = language == "en"
    with time_machine.travel(dt.datetime(2026, 12, 7, 7, 50, tzinfo=WIB), tick=True):
        booking_check_in(office=office, code=booking.code, actor=Actor.staff(user))
        context, page = _login(browser, live_server, "loket", language, next_url="/loket/antrean/")
        call = "Call next to counter 1" if en else "Panggil berikutnya ke loket 1"
        page.get_by_role("button", name=call).click()
        expected = "A-001: please go to counter 1" if en else "A-001: silakan menuju loket 1"
        expect(page.get_by_role("status")).to_have_text(expected)
        shot(page, f"staff-{language}-1-called")
        page.get_by_role("button", name=call).click()
        expect(page.get_by_role("status")).to_have_text(
            "Nobody is waiting." if en else "Tidak ada yang menunggu."
        )
        shot(page, f"staff-{language}-2-nobody-waiting")
        context.close()

    with time_machine.travel(dt.datetime(2026, 12, 7, 23, 0, tzinfo=WIB), tick=True):
        context, page = _login(browser, live_server, "loket", language, next_url="/loket/antrean/")
        page.get_by_role("button", name="Issue" if en else "Terbitkan").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("16:00 WIB")
        shot(page, f"staff-{language}-3-ticket-refused-at-night")
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_reads_in_words(browser, live_server, pilot_offices, shot, language):
    office = Office.objects.get(code="batam")
    _staff("spv", SUPERVISOR, office)
    complaint_submit(office=office, category="pungli", description="Diminta uang", now=BOOKING_TIME)
    with time_machine.travel(BOOKING_TIME, tick=True):
        context, page = _login(browser, live_server, "spv", language, next_url="/dasbor/")
        body = page.locator("main")
        if language == "en":
            expect(body).to_contain_text("no data yet")
            expect(body).to_contain_text("Illegal levy (pungli)")
            expect(body).to_contain_text("Priority walk-in")
        else:
            expect(body).to_contain_text("belum ada data")
            expect(body).to_contain_text("Pungutan liar (pungli)")
        expect(body).not_to_contain_text("-%")
        shot(page, f"staff-{language}-4-dashboard")
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_shows_queue_numbers_under_translated_headers(
    browser, live_server, pilot_offices, shot, language
):
    office = Office.objects.get(code="denpasar")
    for n, name in enumerate(["Made Wirawan", "Ni Luh Putu", "I Ketut Arya"]):
        booking_create(
            office=office,
            date=dt.date(2026, 12, 7),
            applicant=Applicant(name, dt.date(1980, 1, 1 + n)),
            phone=f"08123456700{n}",
            actor=Actor.applicant("whatsapp"),
            phone_verified=True,  # booked by WhatsApp: the sender is the phone
            now=BOOKING_TIME,
        )
    User.objects.create_superuser("pusat", password=PASSWORD)
    context, page = _login(
        browser, live_server, "pusat", language, next_url="/admin/bookings/booking/"
    )
    table = page.locator("#result_list")
    expect(table).to_contain_text("A-003")
    expect(table).to_contain_text("WITA")
    header = "QUEUE NUMBER" if language == "en" else "NOMOR ANTREAN"
    expect(table.locator("thead")).to_contain_text(header, ignore_case=True)
    shot(page, f"staff-{language}-5-admin-bookings")
    page.locator("#result_list tbody a").first.click()
    expect(page.locator("body")).to_contain_text("7 Des 2026" if language == "id" else "7 Dec 2026")
    shot(page, f"staff-{language}-6-admin-booking")
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_are_styled_and_bilingual_on_a_phone(browser, live_server, shot, language):
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    if language == "en":
        page.goto("/")
        page.get_by_role("button", name="EN").click()
    response = page.goto("/tidak-ada/")
    assert response.status == 404
    main = page.locator("main")
    expect(main).to_contain_text("Halaman tidak ditemukan")
    expect(main).to_contain_text("Page not found")
    expect(page.locator("header.site-header")).to_be_visible()
    shot(page, f"staff-{language}-7-not-found")
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_complaint_pages_read_well(browser, live_server, pilot_offices, shot, language):
    office = Office.objects.get(code="jayapura")
    complaint = complaint_submit(office=office, category="calo", description="x", now=BOOKING_TIME)
    complaint_add_information(complaint=complaint, text="Calo menunggu di depan pintu lagi.")
    en = language == "en"
    context = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    page.goto("/")
    if en:
        page.get_by_role("button", name="EN").click()
    example = page.locator(".example").last
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", example.element_handle())
    assert page.evaluate("() => document.documentElement.scrollWidth <= 360")
    shot(page, f"staff-{language}-8-home")

    page.goto("/lapor/")
    office_select = page.locator("select[name=office] option").first
    expect(office_select).to_have_text("Choose the office" if en else "Pilih kantor imigrasi")
    page.fill("input[name=code]", "ABCD2345")
    page.get_by_role("button", name="Show" if en else "Tampilkan").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    shot(page, f"staff-{language}-9-mistyped-code")

    page.goto(f"/lapor/{complaint.tracking_code}/")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Report received." if en else "Laporan diterima")
    expect(timeline).to_contain_text("You added" if en else "Tambahan dari Anda")
    expect(timeline).to_contain_text("Calo menunggu di depan pintu lagi.")
    expect(timeline).to_contain_text("WIT")
    shot(page, f"staff-{language}-10-tracking")
    context.close()
