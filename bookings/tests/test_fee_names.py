"""Fees in the reader's language (issue #21 §4): the regulation's Indonesian name, and
an English one for English readers, chosen by one rule (Fee.name_in) everywhere fees
are listed: the WhatsApp help, the counter page, the admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from bookings.models import Fee
from bookings.tests.factories import DAY
from bookings.tests.test_desk_counter import URL as COUNTER_URL
from bookings.tests.test_desk_counter import _officer
from bookings.tests.webhook import (
    payload,
    post,
    replies,
)
from offices.models import Office

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("whatsapp_webhook", "whatsapp_clock"),
]


def _fee(**kwargs):
    values = {
        "code": "paspor-tes",
        "name": "Paspor uji",
        "amount": 1000,
        "valid_from": dt.date(2020, 1, 1),
    }
    return Fee(**{**values, **kwargs})


@pytest.mark.parametrize(
    ("language", "name_en", "expected"),
    [
        ("en", "Test passport", "Test passport"),
        ("en-us", "Test passport", "Test passport"),
        ("en", "", "Paspor uji"),  # no English name entered yet: the regulation's
        ("id", "Test passport", "Paspor uji"),
        (None, "Test passport", "Paspor uji"),
    ],
)
def test_which_name_for_which_language(language, name_en, expected):
    assert _fee(name_en=name_en).name_in(language) == expected


def test_the_display_name_and_the_str_follow_the_active_language():
    fee = _fee(name_en="Test passport")
    with translation.override("en"):
        assert (fee.display_name, str(fee)) == ("Test passport", "Test passport: Rp1.000")
    with translation.override("id"):
        assert str(fee) == "Paspor uji: Rp1.000"


def test_the_seeded_fees_have_their_english_names():
    names = dict(Fee.objects.values_list("code", "name_en").distinct())
    assert names == {
        "paspor-biasa-48": "Ordinary passport, 48 pages",
        "e-paspor-48": "Electronic passport (e-passport), 48 pages",
    }


def test_the_whatsapp_help_lists_the_fees_in_the_reply_language(client):
    post(client, payload("HELP"))
    english = replies()[-1][1]
    assert "Ordinary passport, 48 pages: Rp350.000" in english
    assert "Electronic passport (e-passport), 48 pages: Rp650.000" in english
    assert "Paspor" not in english
    post(client, payload("BANTUAN", message_id="wamid.2"))
    indonesian = replies()[-1][1]
    assert "Paspor biasa 48 halaman: Rp350.000" in indonesian
    assert "Ordinary passport" not in indonesian


def test_the_counter_page_lists_the_fees_in_the_page_language(client):
    place = Office.objects.get(code="tangerang")
    client.force_login(_officer(place))
    opening = dt.datetime.combine(DAY, dt.time(8, 0), tzinfo=ZoneInfo(place.timezone))
    with time_machine.travel(opening, tick=False):
        indonesian = client.get(COUNTER_URL).content.decode()
        client.cookies["django_language"] = "en"
        english = client.get(COUNTER_URL).content.decode()
    assert "Paspor biasa 48 halaman" in indonesian
    assert "Ordinary passport, 48 pages" in english
    assert "Paspor biasa 48 halaman" not in english


def test_staff_enter_the_english_name_in_the_admin(admin_client):
    fee = Fee.objects.filter(code="paspor-biasa-48").first()
    page = admin_client.get(f"/admin/bookings/fee/{fee.pk}/change/").content.decode()
    assert 'name="name_en"' in page
    assert "Ordinary passport, 48 pages" in page
