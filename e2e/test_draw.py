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
        expect(page.locator("#my-result")).to_contain_text(DAYS[2].isoformat())
        shot(page, "draw-result")
        # Hashes wrap: the page fits the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
