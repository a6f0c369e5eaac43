"""An applicant enters a draw on a phone: the release's page shows the commitment and
says entering early or late is the same, the form takes a family and three days, the
request's page shows the pseudonym and the `YA <reference>` button; the phone confirms
it; after the draw the release's page shows the seed and the applicant's result."""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from e2e.conftest import PHONE, expect_image_loaded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_entering_a_draw_and_reading_its_result(phone_page, shot):
    from notifications.inbound import Inbound, receive_inbound
    from release.models import DrawEntry, EntryStatus
    from release.services import draw_run
    from release.tests.factories import CLOSES, DAYS, DURING, committed, draw_office

    office = draw_office(daily_capacity=14)
    draw = committed(office)
    page = phone_page
    with time_machine.travel(DURING, tick=True):
        page.goto(f"/undian/{office.code}/{draw.release}/")
        expect(page.locator("#commitment")).to_have_text(draw.commitment)
        expect(page.get_by_text("sama saja", exact=False).first).to_be_visible()
        shot(page, "draw-before")
        page.get_by_role("link", name="Ikut undian").click()
        page.get_by_label("WhatsApp").fill("0812 3456 7001")
        page.get_by_label("Hari, pilihan 1").select_option(DAYS[2].isoformat())
        page.get_by_label("Hari, pilihan 2").select_option(DAYS[0].isoformat())
        page.get_by_label("Nama (orang ke-1)").fill("Siti Nur'aini")
        page.get_by_label("Tanggal lahir (orang ke-1)").fill("17-06-1978")
        expect(page.get_by_label("Nama (orang ke-2)")).to_be_hidden()
        page.get_by_text("Tambah anggota keluarga").click()
        page.get_by_label("Nama (orang ke-2)").fill("Budi Santoso")
        page.get_by_label("Tanggal lahir (orang ke-2)").fill("02-01-2010")
        shot(page, "draw-form")
        page.get_by_role("button", name="Kirim permohonan saya").click()
        entry = DrawEntry.objects.get()
        expect(page.locator("#pseudonym")).to_have_text(entry.pseudonym)
        expect_image_loaded(page.locator(".hold-qr img"))
        link = page.get_by_role("link", name="Konfirmasi lewat WhatsApp")
        assert "YA%20" in link.get_attribute("href")
        shot(page, "draw-entry-pending")
        receive_inbound(
            Inbound(
                provider_message_id="wamid.e2e.draw",
                sender=entry.phone,
                text=f"YA {entry.display_reference}",
                received_at=DURING,
                to=office.whatsapp_number,
            ),
            now=DURING + dt.timedelta(minutes=1),
        )
        assert DrawEntry.objects.get().status == EntryStatus.ENTERED
        page.reload()
        expect(page.locator("#status")).to_have_text("Ikut undian")
    draw_run(draw=draw, now=CLOSES)
    entry.refresh_from_db()
    with time_machine.travel(CLOSES + dt.timedelta(minutes=5), tick=True):
        page.goto(f"/undian/{office.code}/{draw.release}/")
        expect(page.locator("#seed")).to_have_text(draw.seed)
        page.get_by_label("Pseudonim Anda").fill(entry.pseudonym)
        page.get_by_role("button", name="Cari hasil saya").click()
        expect(page.locator("#my-result")).to_contain_text(entry.pseudonym)
        expect(page.locator("#my-result")).to_contain_text("Rabu, 13 Januari 2027")
        shot(page, "draw-result")
        # Hashes wrap: the page fits the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


DESK = {"width": 1280, "height": 900}
LOOKS = [
    pytest.param(PHONE, "id", id="phone-id"),
    pytest.param(DESK, "en", id="desk-en"),
    pytest.param(PHONE, "en", id="phone-en"),
    pytest.param(DESK, "id", id="desk-id"),
]
WORDS = {
    "id": {
        "enter": "Ikut undian",
        "phone": "WhatsApp",
        "day": "Hari, pilihan {n}",
        "name": "Nama (orang ke-{n})",
        "birth": "Tanggal lahir (orang ke-{n})",
        "send": "Kirim permohonan saya",
        "confirm": "Konfirmasi lewat WhatsApp",
        "entered": "Ikut undian",
        "find": "Cari hasil saya",
        "pseudonym": "Pseudonim Anda",
        "closes": "Minggu, 13 Desember 2026 08:00 WITA",
        "won": "Rabu, 13 Januari 2027",
        "table_day": "Rab, 13 Jan 2027",
    },
    "en": {
        "enter": "Enter the draw",
        "phone": "WhatsApp",
        "day": "Day, choice {n}",
        "name": "Name (person {n})",
        "birth": "Birth date (person {n})",
        "send": "Send my request",
        "confirm": "Confirm on WhatsApp",
        "entered": "Entered",
        "find": "Find my result",
        "pseudonym": "Your pseudonym",
        "closes": "Sunday, 13 December 2026 08:00 WITA",
        "won": "Wednesday, 13 January 2027",
        "table_day": "Wed, 13 Jan 2027",
    },
}


@pytest.mark.parametrize(("viewport", "language"), LOOKS)
def test_a_draw_at_a_wita_office_read_on_a_phone_and_at_a_desk(
    browser, live_server, pilot_offices, shot, viewport, language
):
    from notifications.inbound import Inbound, receive_inbound
    from release.models import DrawEntry, EntryStatus
    from release.services import draw_run
    from release.tests.factories import CLOSES, DAYS, DURING, committed, draw_office

    words = WORDS[language]
    prefix = f"draw-wita-{'phone' if viewport is PHONE else 'desk'}-{language}"
    office = draw_office(daily_capacity=14, timezone="Asia/Makassar")
    draw = committed(office)
    context = browser.new_context(viewport=viewport, locale="id-ID", base_url=live_server.url)
    page = context.new_page()
    with time_machine.travel(DURING, tick=True):
        page.goto("/")
        if language == "en":
            page.get_by_role("button", name="EN").click()
        page.goto(f"/undian/{office.code}/{draw.release}/")
        expect(page.locator("main")).to_contain_text(words["closes"])
        shot(page, f"{prefix}-1-page")
        page.get_by_role("link", name=words["enter"]).click()
        expect(page.locator("main")).to_contain_text(words["closes"])
        page.get_by_label(words["phone"]).fill("0812 3456 7002")
        page.get_by_label(words["day"].format(n=1)).select_option(DAYS[2].isoformat())
        page.get_by_label(words["name"].format(n=1)).fill("Ni Luh Putu Ayu")
        page.get_by_label(words["birth"].format(n=1)).fill("17-06-1978")
        shot(page, f"{prefix}-2-form")
        page.get_by_role("button", name=words["send"]).click()
        entry = DrawEntry.objects.get()
        expect(page.locator("#pseudonym")).to_have_text(entry.pseudonym)
        expect(page.get_by_role("link", name=words["confirm"])).to_be_visible()
        expect(page.locator("main")).to_contain_text(words["closes"])
        shot(page, f"{prefix}-3-pending")
        receive_inbound(
            Inbound(
                provider_message_id=f"wamid.e2e.draw.{language}.{viewport['width']}",
                sender=entry.phone,
                text=f"YA {entry.display_reference}",
                received_at=DURING,
                to=office.whatsapp_number,
            ),
            now=DURING + dt.timedelta(minutes=1),
        )
        assert DrawEntry.objects.get().status == EntryStatus.ENTERED
        page.reload()
        expect(page.locator("#status")).to_have_text(words["entered"])
        shot(page, f"{prefix}-4-entered")
    draw_run(draw=draw, now=CLOSES)
    with time_machine.travel(CLOSES + dt.timedelta(minutes=5), tick=True):
        page.goto(f"/undian/{office.code}/{draw.release}/")
        expect(page.locator("#seed")).to_have_text(draw.seed)
        page.get_by_label(words["pseudonym"]).fill(entry.pseudonym)
        page.get_by_role("button", name=words["find"]).click()
        expect(page.locator("#my-result")).to_contain_text(words["won"])
        expect(page.locator("table.results")).to_contain_text(words["table_day"])
        expect(page.locator("table.results")).not_to_contain_text(DAYS[2].isoformat())
        shot(page, f"{prefix}-5-result")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # The release's later days are released by the draw, not "opens ...".
        page.goto(f"/pesan/?office={office.code}&month=2027-01")
        shot(page, f"{prefix}-6-calendar")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    context.close()
