"""What supervisors and reporters read: the dashboard in words with the real planned
capacity, and the complaint pages' copy (office prompt, timeline, mistyped codes)."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from bookings.tests.factories import book, office
from complaints.services import complaint_add_information, complaint_submit
from offices.models import CapacityOverride, OfficerProfile
from offices.roles import SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _supervisor(place) -> User:
    user = User.objects.create_user("spv", password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[SUPERVISOR])
    OfficerProfile.objects.create(user=user, office=place)
    return user


@pytest.fixture
def place():
    """An office open Monday to Friday with 140 places a day, 400 on 2 December."""
    place = office()
    CapacityOverride.objects.create(
        office=place,
        starts_on=dt.date(2026, 12, 2),
        ends_on=dt.date(2026, 12, 2),
        daily_capacity=400,
        reason="Menjelang libur",
    )
    return place


def _csv_days(client, place) -> dict[str, list[str]]:
    rows = client.get(f"/dasbor/?office={place.code}&csv=days").content.decode().splitlines()
    return {row.split(",")[0]: row.split(",")[1:] for row in rows[1:]}


def test_open_days_without_bookings_show_their_planned_capacity(client, place):
    book(place, day=dt.date(2026, 12, 3), now=NOW)
    client.force_login(_supervisor(place))
    with time_machine.travel(NOW, tick=False):
        days = _csv_days(client, place)
    assert days["2026-12-03"][:2] == ["140", "1"]  # booked: its slots are rows
    assert days["2026-12-04"][:2] == ["140", "0"]  # open, nobody booked yet
    assert days["2026-12-07"][:2] == ["140", "0"]  # not released yet: still planned
    assert days["2026-12-02"][:2] == ["400", "0"]  # the override counts
    assert days["2026-12-05"][:2] == ["0", "0"]  # Saturday: closed


def test_the_dashboard_uses_labels_and_says_no_data_yet(client, place):
    complaint_submit(office=place, category="pungli", description="Diminta uang", now=NOW)
    client.force_login(_supervisor(place))
    with time_machine.travel(NOW, tick=False):
        page = _text(client.get(f"/dasbor/?office={place.code}"))
        client.cookies["django_language"] = "en"
        english = _text(client.get(f"/dasbor/?office={place.code}"))
    assert "-%" not in page
    assert "belum ada data" in page
    assert "Pungutan liar" in page or "pungli" in page.lower()
    for raw in ("<td>pungli</td>", "<td>received</td>", "<td>walk-in</td>", "<td>whatsapp</td>"):
        assert raw not in page
    assert "no data yet" in english
    assert "Illegal levy (pungli)" in english
    assert "<td>Received</td>" in english
    assert "Priority walk-in" in english


def test_the_csv_files_keep_their_codes_for_machines(client, place):
    complaint_submit(office=place, category="calo", description="x", now=NOW)
    client.force_login(_supervisor(place))
    with time_machine.travel(NOW, tick=False):
        complaints = client.get(f"/dasbor/?office={place.code}&csv=complaints").content.decode()
    assert "calo,received,1" in complaints


# --- the complaint pages' copy -----------------------------------------------------------


def test_the_report_form_asks_for_the_office_in_words(client):
    page = _text(client.get(reverse("complaint-report")))
    assert "---------" not in page
    assert "Pilih kantor imigrasi" in page


def test_the_automatic_note_reads_in_english_on_the_english_page(client, place):
    complaint = complaint_submit(office=place, category="calo", description="x", now=NOW)
    client.cookies["django_language"] = "en"
    english = _text(client.get(reverse("complaint-track", args=[complaint.tracking_code])))
    assert "Report received." in english
    assert "Laporan diterima" not in english
    client.cookies["django_language"] = "id"
    indonesian = _text(client.get(reverse("complaint-track", args=[complaint.tracking_code])))
    assert "Report received." not in indonesian


def test_the_reporters_own_additions_are_in_their_timeline(client, place):
    complaint = complaint_submit(office=place, category="calo", description="x", now=NOW)
    complaint_add_information(complaint=complaint, text="Terjadi lagi di loket 3 hari ini.")
    page = _text(client.get(reverse("complaint-track", args=[complaint.tracking_code])))
    assert "Tambahan dari Anda" in page
    assert "Terjadi lagi di loket 3 hari ini." in page


def test_the_timeline_is_on_the_offices_clock(client):
    place = office(timezone="Asia/Jayapura")
    with time_machine.travel(NOW, tick=False):
        complaint = complaint_submit(office=place, category="calo", description="x", now=NOW)
    page = _text(client.get(reverse("complaint-track", args=[complaint.tracking_code])))
    assert "11:00 WIT" in page  # 02:00 UTC


def test_a_mistyped_tracking_code_leads_back_to_the_lookup_with_the_reason(client):
    response = client.get(reverse("complaint-track", args=["ABCD2345"]))
    assert response.status_code == 404
    page = _text(response)
    assert 'href="#follow"' in page
    assert "Tidak ada laporan dengan kode pelacakan ini" in page or "kode pelacakan" in page
    assert 'value="ABCD2345"' in page
