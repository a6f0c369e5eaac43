"""Reporters' contact details are erased COMPLAINT_CONTACT_RETENTION_DAYS after their case
closed, and so is their number on the messages sent to them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from complaints.models import Complaint
from complaints.services import (
    complaint_contact_purge,
    complaint_messages_erase,
    complaint_submit,
    complaint_transition,
)
from notifications.models import OutboundMessage
from offices.models import Office, OfficerProfile
from offices.roles import INSPECTOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
REPORTER = {
    "reporter_name": "Budi Santoso",
    "reporter_phone": "0812-3456-7890",
    "reporter_email": "budi@example.com",
}


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.COMPLAINT_CONTACT_RETENTION_DAYS = 90


@pytest.fixture
def inspector():
    user = User.objects.create_user("ins", is_staff=True)
    user.groups.add(ensure_role_groups()[INSPECTOR])
    OfficerProfile.objects.create(user=user, is_headquarters=True)
    return user


def _closed_case(inspector, **reporter) -> Complaint:
    complaint = complaint_submit(
        office=Office.objects.get(code="tangerang"),
        category="calo",
        description="Calo di parkiran menawarkan jalur cepat.",
        now=NOW,
        **reporter,
    )
    for to in ("triaged", "investigating", "substantiated", "closed"):
        complaint = complaint_transition(complaint=complaint, to=to, actor=inspector, now=NOW)
    # Every notice to the reporter went out.
    OutboundMessage.objects.update(status="sent")
    return complaint


def test_contact_details_go_after_the_period_and_the_case_stays(inspector):
    complaint = _closed_case(inspector, **REPORTER)
    assert OutboundMessage.objects.filter(to="6281234567890").count() == 5
    assert complaint_contact_purge(now=NOW + dt.timedelta(days=89)) == 0
    assert complaint_messages_erase(now=NOW + dt.timedelta(days=89)) == 0

    later = NOW + dt.timedelta(days=91)
    assert complaint_contact_purge(now=later) == 1
    assert complaint_messages_erase(now=later) == 5

    complaint.refresh_from_db()
    assert (complaint.reporter_name, complaint.reporter_phone, complaint.reporter_email) == (
        "",
        "",
        "",
    )
    assert complaint.contact_purged_at == later
    assert complaint.description.startswith("Calo")
    assert complaint.events.count() == 5
    assert not OutboundMessage.objects.filter(to="6281234567890").exists()
    assert not OutboundMessage.objects.filter(text__contains=complaint.tracking_code).exists()
    assert complaint_contact_purge(now=later) == 0
    assert complaint_messages_erase(now=later) == 0


def test_a_reopened_case_keeps_its_reporters_details(inspector):
    complaint = _closed_case(inspector, **REPORTER)
    complaint_transition(complaint=complaint, to="investigating", actor=inspector, now=NOW)
    assert complaint_contact_purge(now=NOW + dt.timedelta(days=365)) == 0
    complaint.refresh_from_db()
    assert complaint.reporter_phone == "6281234567890"


def test_a_message_to_the_reporter_still_queued_is_erased_once_it_went_out(inspector):
    complaint = _closed_case(inspector, **REPORTER)
    waiting = OutboundMessage.objects.filter(**complaint.about.fields())
    waiting.filter(kind="complaint_received").update(status="queued")
    later = NOW + dt.timedelta(days=91)
    complaint_contact_purge(now=later)
    assert complaint_messages_erase(now=later) == 4
    queued = OutboundMessage.objects.get(kind="complaint_received")
    assert queued.to == "6281234567890"
    OutboundMessage.objects.filter(pk=queued.pk).update(status="delivered")
    assert complaint_messages_erase(now=later + dt.timedelta(days=1)) == 1
    assert not OutboundMessage.objects.filter(to="6281234567890").exists()


def test_messages_to_other_people_are_left_alone(inspector):
    complaint = _closed_case(inspector, **REPORTER)
    other = OutboundMessage.objects.create(
        to="6289999999999", text="x", kind="booking_confirmed", status="sent", subject="booking:X"
    )
    later = NOW + dt.timedelta(days=91)
    complaint_contact_purge(now=later)
    complaint_messages_erase(now=later)
    other.refresh_from_db()
    assert other.to == "6289999999999"
    assert complaint.tracking_code not in other.subject
