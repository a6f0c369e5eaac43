"""An applicant books at Belakang Padang on a phone, sees the code and the QR, and
cancels; in Indonesian and in English; a mistake keeps what was typed."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")


def _choose_office_and_day(page, shot, prefix):
    page.goto("/pesan/")
    page.select_option("select[name=office]", "belakang-padang")
    page.get_by_role("button", name=re.compile("kalender|calendar", re.I)).click()
    expect(page.locator("table.calendar")).to_be_visible()
    shot(page, f"{prefix}-1-calendar")
    page.locator("td.open a").first.click()
    expect(page.locator("input[name=name]")).to_be_visible()


def _fill(page, name="Siti Nur'aini", phone="0812 3456 7890"):
    page.fill("input[name=name]", name)
    page.fill("input[name=birth_date]", "1978-06-17")
    page.fill("input[name=phone]", phone)


def test_book_on_a_phone_in_indonesian_then_cancel(phone_page, shot):
    page = phone_page
    _choose_office_and_day(page, shot, "id")
    _fill(page)
    shot(page, "id-2-form")
    page.get_by_role("button", name="Pesan", exact=True).click()
    expect(page.get_by_role("heading", name="Pemesanan Anda sudah terkonfirmasi")).to_be_visible()
    code = page.locator(".ticket .code").first.inner_text().strip()
    assert CODE.match(code)
    qr = page.locator(".ticket img").first
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    shot(page, "id-3-confirmation")

    page.goto("/cek/")
    page.fill("input[name=code]", code.lower())
    page.fill("input[name=birth_date]", "1978-06-17")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator(".ticket .code")).to_have_text(code)
    page.get_by_role("button", name="Batalkan pemesanan ini").click()
    page.get_by_role("button", name="Ya, batalkan pemesanan ini").click()  # the second page
    expect(page.get_by_text("Pemesanan sudah dibatalkan.")).to_be_visible()
    shot(page, "id-4-cancelled")


def test_book_in_english(phone_page, shot):
    page = phone_page
    page.goto("/")
    page.get_by_role("button", name="EN").click()
    _choose_office_and_day(page, shot, "en")
    _fill(page, name="Budi Santoso", phone="0813 1111 2222")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Your booking is confirmed")).to_be_visible()
    assert CODE.match(page.locator(".ticket .code").first.inner_text().strip())
    shot(page, "en-3-confirmation")


def test_a_mistake_keeps_what_was_typed(phone_page, shot):
    page = phone_page
    _choose_office_and_day(page, shot, "error")
    _fill(page, name="12345", phone="0812 9999 8888")
    page.get_by_role("button", name="Pesan", exact=True).click()
    expect(page.locator("p.error").first).to_be_visible()
    expect(page.locator("input[name=phone]")).to_have_value("0812 9999 8888")
    expect(page.locator("input[name=birth_date]")).to_have_value("1978-06-17")
    shot(page, "error-form")
