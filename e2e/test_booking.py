"""An applicant books at Belakang Padang on a phone with JavaScript off, sees the hold
with its WhatsApp button, "sends" the confirmation through the gateway as the phone
would, watches the page turn into the confirmed booking with code and QR, and cancels;
in Indonesian and in English; a mistake keeps what was typed."""

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from e2e.conftest import PHONE, expect_image_loaded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$")
# The hold page refreshes itself every 10 s (meta refresh: no JavaScript).
REFRESH_WAIT_MS = 25_000


@pytest.fixture
def no_js_page(browser, live_server, pilot_offices):
    """A phone-sized page with JavaScript off: the whole flow must work without it."""
    context = browser.new_context(
        viewport=PHONE, locale="id-ID", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def gateway(live_server, pilot_offices):
    """The office's WhatsApp gateway: delivers what the applicant's phone sends."""
    from offices.models import ApiClient, Office

    office = Office.objects.get(code="belakang-padang")
    _client, key = ApiClient.objects.create_key(
        name="e2e-gateway", scopes=["whatsapp:inbound"], office=office
    )

    def send(page, sender: str, text: str, message_id: str):
        response = page.request.post(
            f"{live_server.url}/api/v1/whatsapp/messages/",
            data={"id": message_id, "from": sender, "to": office.whatsapp_number, "text": text},
            headers={"Authorization": f"Api-Key {key}"},
        )
        assert response.status == 200, response.text()
        return response.json()

    return send


def _confirm_by_whatsapp(page, gateway, sender, shot, prefix):
    """Read the prefilled message off the WhatsApp button and send it from the phone."""
    link = page.locator("a.big-button").get_attribute("href")
    assert link.startswith("https://wa.me/")
    text = unquote(link.split("?text=", 1)[1])
    assert text.startswith("YA ")
    expect(page.locator(".hold-qr img")).to_be_visible()
    shot(page, f"{prefix}-3-hold")
    reply = gateway(page, sender, text, f"e2e-{prefix}")
    assert reply["booking"]["status"] == "booked"
    return text.split(" ", 1)[1]


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


def test_book_on_a_phone_in_indonesian_confirm_by_whatsapp_then_cancel(no_js_page, gateway, shot):
    page = no_js_page
    _choose_office_and_day(page, shot, "id")
    _fill(page)
    shot(page, "id-2-form")
    page.get_by_role("button", name="Pesan", exact=True).click()
    expect(page.get_by_role("heading", name="Satu langkah lagi")).to_be_visible()
    expect(page.get_by_text(re.compile(r"sebelum \d\d:\d\d WIB"))).to_be_visible()
    held_code = _confirm_by_whatsapp(page, gateway, "6281234567890", shot, "id")
    heading = page.get_by_role("heading", name="Pemesanan Anda sudah terkonfirmasi")
    expect(heading).to_be_visible(timeout=REFRESH_WAIT_MS)  # the page refreshed itself
    code = page.locator(".ticket .code").first.inner_text().strip()
    assert CODE.match(code)
    assert code == held_code
    qr = page.locator(".ticket img").first
    expect_image_loaded(qr)
    shot(page, "id-4-confirmation")

    page.goto("/cek/")
    page.fill("input[name=code]", code.lower())
    page.fill("input[name=birth_date]", "1978-06-17")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator(".ticket .code")).to_have_text(code)
    page.get_by_role("button", name="Batalkan pemesanan ini").click()
    page.get_by_role("button", name="Ya, batalkan pemesanan ini").click()  # the second page
    expect(page.get_by_text("Pemesanan sudah dibatalkan.")).to_be_visible()
    shot(page, "id-5-cancelled")


def test_book_in_english_and_a_stranger_cannot_confirm(no_js_page, gateway, shot):
    page = no_js_page
    page.goto("/")
    page.get_by_role("button", name="EN").click()
    _choose_office_and_day(page, shot, "en")
    _fill(page, name="Budi Santoso", phone="0813 1111 2222")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    expect(page.get_by_text(re.compile(r"before \d\d:\d\d WIB"))).to_be_visible()
    link = page.locator("a.big-button").get_attribute("href")
    stranger = gateway(page, "6289999999999", unquote(link.split("?text=", 1)[1]), "e2e-x")
    assert stranger["booking"] is None
    assert "No booking waiting" in stranger["reply"]
    page.reload()
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    held_code = _confirm_by_whatsapp(page, gateway, "6281311112222", shot, "en")
    heading = page.get_by_role("heading", name="Your booking is confirmed")
    expect(heading).to_be_visible(timeout=REFRESH_WAIT_MS)
    code = page.locator(".ticket .code").first.inner_text().strip()
    assert CODE.match(code)
    assert code == held_code
    expect_image_loaded(page.locator(".ticket img").first)
    shot(page, "en-4-confirmation")


@pytest.mark.parametrize(
    ("language", "button", "says"),
    [
        ("id", "ID", "belum menerima pemesanan lewat web"),
        ("en", "EN", "does not take web or app bookings yet"),
    ],
)
def test_an_office_without_a_published_number_says_so_before_any_form(
    no_js_page, shot, language, button, says
):
    """Tarakan's WhatsApp number is a placeholder: a booking there could never be
    confirmed, so the page says so and what to do instead, and offers no form."""
    page = no_js_page
    page.goto("/")
    page.get_by_role("button", name=button, exact=True).click()
    page.goto("/pesan/")
    page.select_option("select[name=office]", "tarakan")
    page.get_by_role("button", name=re.compile("kalender|calendar", re.I)).click()
    notice = page.get_by_test_id("no-holds")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(says)
    expect(notice).to_contain_text("walk-in")
    expect(notice.locator('a[href^="tel:"]')).to_be_visible()
    expect(page.locator("table.calendar")).to_have_count(0)
    expect(page.locator("input[name=name]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    shot(page, f"{language}-no-holds")


def test_a_mistake_keeps_what_was_typed(phone_page, shot):
    page = phone_page
    _choose_office_and_day(page, shot, "error")
    _fill(page, name="12345", phone="0812 9999 8888")
    page.get_by_role("button", name="Pesan", exact=True).click()
    expect(page.locator("p.error").first).to_be_visible()
    expect(page.locator("input[name=phone]")).to_have_value("0812 9999 8888")
    expect(page.locator("input[name=birth_date]")).to_have_value("1978-06-17")
    shot(page, "error-form")
