"""#20 §2, one rule in one place: the screens and the WhatsApp handler ask the
services; a GET of the booking page writes nothing."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.conversation.handler import help_text
from bookings.models import Fee
from bookings.services import fees_in_force
from offices.models import Office

# These pages book at a demo office whose WhatsApp number is a placeholder: give it one.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("web_booking_office_published")]

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


# --- a GET of the booking page writes nothing --------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_a_get_of_the_booking_page_with_a_day_chosen_writes_nothing(client):
    from offices.models import Slot

    office = Office.objects.get(code="belakang-padang")
    assert not Slot.objects.filter(office=office, date=dt.date(2026, 12, 7)).exists()
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/pesan/", {"office": office.code, "date": "2026-12-07"})
    assert page.status_code == 200
    assert _writes(queries) == []
    assert not Slot.objects.filter(office=office, date=dt.date(2026, 12, 7)).exists()
    # The times are still on offer, named by their start until the rows exist.
    choices = [value for value, _label in page.context["form"].fields["slot"].choices if value]
    assert choices
    assert all(str(value).startswith("at-") for value in choices)


def test_a_time_chosen_before_the_rows_exist_is_booked_at_that_time(client, settings):
    from bookings.models import Booking

    # Each page drawn afresh: a repeat within AVAILABILITY_CACHE_SECONDS is the cached
    # page (bookings/page_cache.py), whose planned times still book.
    settings.AVAILABILITY_CACHE_SECONDS = 0
    office = Office.objects.get(code="belakang-padang")
    page = client.get("/pesan/", {"office": office.code, "date": "2026-12-07"})
    value, _label = page.context["form"].fields["slot"].choices[2]  # the second time
    response = client.post(
        "/pesan/",
        {
            "office": office.code,
            "date": "2026-12-07",
            "slot": value,
            "service": "new",
            "name": "Siti Nur'aini",
            "birth_date": "1978-06-17",
            "phone": "0812 3456 7890",
            "nik": "",
        },
    )
    assert response.status_code == 302
    booking = Booking.objects.select_related("slot").get()
    assert f"at-{int(booking.slot.starts_at.timestamp())}" == value
    # Now the day has rows: the page names them by id, and still writes nothing.
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/pesan/", {"office": office.code, "date": "2026-12-07"})
    assert _writes(queries) == []
    ids = {s.pk for s in booking.slot.__class__.objects.filter(office=office, date=booking.date)}
    offered = [v for v, _label in again.context["form"].fields["slot"].choices if v]
    assert offered
    assert set(offered) <= ids


def test_a_made_up_time_is_refused_and_creates_nothing(client):
    from offices.models import Slot

    office = Office.objects.get(code="belakang-padang")
    response = client.post(
        "/pesan/",
        {
            "office": office.code,
            "date": "2026-12-07",
            "slot": "at-1",
            "service": "new",
            "name": "Siti Nur'aini",
            "birth_date": "1978-06-17",
            "phone": "0812 3456 7890",
        },
    )
    assert response.status_code == 200
    assert not Slot.objects.filter(office=office).exists()
