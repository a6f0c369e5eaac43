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
