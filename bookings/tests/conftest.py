"""Fixtures of the booking tests."""

import pytest
import time_machine

from bookings.tests.webhook import NOW, PHONE_ID, SECRET
from offices.models import Office


@pytest.fixture
def whatsapp_webhook(settings):
    """The Cloud API webhook configured, Tangerang answering on PHONE_ID."""
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    Office.objects.filter(code="tangerang").update(whatsapp_phone_number_id=PHONE_ID)


@pytest.fixture
def whatsapp_clock():
    """The deliveries' clock: Monday 30 November 2026, 09:00 WIB, standing still."""
    with time_machine.travel(NOW, tick=False):
        yield
