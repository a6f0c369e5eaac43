"""#20 §2, one rule in one place: the screens and the WhatsApp handler ask the
services; a GET of the booking page writes nothing."""

import datetime as dt

import pytest
import time_machine

from bookings.conversation.handler import help_text
from bookings.models import Fee
from bookings.services import fees_in_force
from offices.models import Office

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_whatsapp_info_lists_the_fees_the_counter_uses():
    """A new decree entered without closing the old row: both rows are "in force" by
    their dates, but the counter's rule (`fees_in_force`) takes the newest start per
    code. The WhatsApp INFO reply must say the same amount, not both."""
    Fee.objects.create(
        code="paspor-biasa-48",
        name="Paspor biasa 48 halaman",
        amount=400_000,
        valid_from=dt.date(2026, 11, 1),
    )
    office = Office.objects.get(code="tangerang")
    text = help_text(office, NOW)
    listed = [line for line in text.splitlines() if line.startswith("Paspor biasa 48")]
    counter = [f for f in fees_in_force(office=office, now=NOW) if f.code == "paspor-biasa-48"]
    assert [f.amount for f in counter] == [400_000]
    assert listed == ["Paspor biasa 48 halaman: Rp400.000"]
