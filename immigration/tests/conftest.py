"""Fixtures of the fault drills (helpers in drills.py) and of the hostile input
catalogue (hostile.py, hostile_checks.py)."""

import datetime as dt

import pytest
import time_machine

# Registered before it is imported (hence the E402s below), so its asserts explain
# themselves in failures like a test module's do.
pytest.register_assert_rewrite("immigration.tests.hostile_checks")

from bookings.applicant import Applicant  # noqa: E402
from bookings.models import Channel  # noqa: E402
from bookings.services import Actor, booking_create  # noqa: E402
from immigration.tests.drills import Provider, Servers  # noqa: E402
from immigration.tests.hostile import PHONE_NUMBER_ID, SENDER  # noqa: E402
from immigration.tests.hostile_checks import World  # noqa: E402
from offices.models import Office  # noqa: E402

# Monday 30 November 2026, 09:00 WIB: Monday 7 December is open for booking.
NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 7)
WEBHOOK_SECRET = "hostile-test-secret"


@pytest.fixture
def world(settings, tmp_path):
    """Tangerang with one booking (SITI NURAINI, born 17 June 1978, booked from the
    WhatsApp number the catalogue's messages come from), on a fixed clock, with
    evidence stored under a fresh folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.WHATSAPP_APP_SECRET = WEBHOOK_SECRET
    with time_machine.travel(NOW, tick=False):
        office = Office.objects.get(code="tangerang")
        office.whatsapp_phone_number_id = PHONE_NUMBER_ID
        office.save(update_fields=["whatsapp_phone_number_id"])
        booking = booking_create(
            office=office,
            date=DAY,
            applicant=Applicant("Siti Nuraini", dt.date(1978, 6, 17)),
            phone=SENDER,
            actor=Actor.applicant(Channel.WEB),
            phone_verified=True,
        )
        yield World(office=office, booking=booking, media_root=tmp_path)


@pytest.fixture
def servers() -> Servers:
    """The suite's own PostgreSQL and Redis, to stop and start (restored by each drill)."""
    return Servers.from_env()


@pytest.fixture
def provider():
    """A loopback WhatsApp Cloud API that drill workers send through."""
    stand_in = Provider()
    yield stand_in
    stand_in.close()
