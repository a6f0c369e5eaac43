"""The supervisors' dashboard: figures scoped to their reach, and CSV exports."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User

from bookings.tests.factories import book
from complaints.services import complaint_submit
from offices.models import Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)


def _user(name, role, office=None):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(
        user=user,
        office=Office.objects.get(code=office) if office else None,
        is_headquarters=office is None,
    )
    return user


@pytest.fixture(autouse=True)
def _data():
    with time_machine.travel(NOW, tick=False):
        for code in ("tangerang", "tangerang", "batam"):
            book(Office.objects.get(code=code), now=NOW, day=dt.date(2026, 12, 3))
        complaint_submit(
            office=Office.objects.get(code="batam"), category="calo", description="x", now=NOW
        )


def test_a_supervisor_sees_their_office_only(client):
    client.force_login(_user("spv", SUPERVISOR, "tangerang"))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dasbor/").content.decode()
        rows = client.get("/dasbor/?csv=days").content.decode().splitlines()
        complaints = client.get("/dasbor/?csv=complaints").content.decode()
    assert "Bookings per day" in page or "Pemesanan per hari" in page
    assert "2026-12-03,140,2,0,0" in rows or any(
        r.startswith("2026-12-03,") and r.split(",")[2] == "2" for r in rows
    )
    assert "calo" not in complaints  # Batam's complaint is out of reach


def test_an_inspector_sees_every_office_and_the_channel_mix(client):
    client.force_login(_user("ins", INSPECTOR))
    with time_machine.travel(NOW, tick=False):
        channels = client.get("/dasbor/?csv=channels").content.decode()
        complaints = client.get("/dasbor/?csv=complaints").content.decode()
    assert "web,3" in channels
    assert "calo,received,1" in complaints


def test_the_front_desk_has_no_dashboard(client):
    client.force_login(_user("loket", DESK, "tangerang"))
    assert client.get("/dasbor/").status_code == 403


def test_a_supervisor_is_warned_before_their_numbers_daily_tier_runs_out(client):
    from notifications.models import OutboundMessage, SenderNumber

    tangerang, batam = (Office.objects.get(code=code) for code in ("tangerang", "batam"))
    for office, reached in ((tangerang, 205), (batam, 249)):
        SenderNumber.objects.create(number=office.whatsapp_number, daily_unique_users=250)
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                to=f"62877{i:08d}",
                sender=office.whatsapp_number,
                text="x",
                kind="booking_reminder",
                status="sent",
                sent_at=NOW - dt.timedelta(hours=3),
                business_initiated=True,
            )
            for i in range(reached)
        )
    client.force_login(_user("spv", SUPERVISOR, "tangerang"))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dasbor/").content.decode()
    assert f"{tangerang.whatsapp_number}" in page
    assert "205" in page
    assert batam.whatsapp_number not in page  # another office's number is out of reach
    OutboundMessage.objects.filter(sender=tangerang.whatsapp_number).delete()
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dasbor/").content.decode()
    assert tangerang.whatsapp_number not in page  # nothing to warn of
