"""A report sent by WhatsApp is read only in the complaints app, by those its scoping
allows (issue 17, §2): a report about the head of office by the inspectors alone, never
through any booking page of the reporter's number, whoever opens it."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from bookings.models import Booking
from bookings.tests.factories import book
from complaints.models import Complaint
from notifications.inbound import inbox_process
from notifications.models import InboundMessage
from offices.models import Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
SECRET = "complaints-sealing-secret"
PHONE_ID = "333000333"
REPORTER = "6281299990001"
ABOUT_HEAD = "LAPOR KEPALA PUNGLI kepala kantor minta Rp900.000 lewat ajudannya"
ABOUT_COUNTER = "LAPOR PUNGLI petugas loket 4 minta Rp150.000 untuk mempercepat"


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    Office.objects.filter(code="tangerang").update(whatsapp_phone_number_id=PHONE_ID)
    with time_machine.travel(NOW, tick=False):
        yield


def _send(client, text: str, message_id: str) -> InboundMessage:
    message = {
        "from": REPORTER,
        "id": message_id,
        "timestamp": str(int(NOW.timestamp()) - 5),
        "type": "text",
        "text": {"body": text},
    }
    value = {"metadata": {"phone_number_id": PHONE_ID}, "messages": [message]}
    body = json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    inbox_process()  # the worker's turn: the webhook only stored the delivery
    return InboundMessage.objects.get(provider_message_id=message_id)


def _reader(username: str, role: str, office: Office | None) -> Client:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office, is_headquarters=office is None)
    client = Client()
    client.force_login(user)
    return client


def test_a_report_about_the_head_of_office_is_read_by_inspectors_only(client):
    tangerang = Office.objects.get(code="tangerang")
    bookings = [
        book(tangerang, now=NOW, phone_number="+" + REPORTER),
        book(Office.objects.get(code="batam"), now=NOW, phone_number="+" + REPORTER),
    ]
    head = _send(client, ABOUT_HEAD, "wamid.head")
    counter = _send(client, ABOUT_COUNTER, "wamid.counter")
    about_head = Complaint.objects.get(tracking_code=head.result["complaint"])
    about_counter = Complaint.objects.get(tracking_code=counter.result["complaint"])
    assert about_head.about_supervisor
    assert not about_counter.about_supervisor

    readers = {
        "desk": _reader("desk", DESK, tangerang),
        "supervisor": _reader("supervisor", SUPERVISOR, tangerang),
        "inspector": _reader("inspector", INSPECTOR, None),
    }
    changelist = {
        name: reader.get("/admin/complaints/complaint/").content.decode()
        for name, reader in readers.items()
    }
    head_page = {
        name: reader.get(f"/admin/complaints/complaint/{about_head.pk}/change/")
        for name, reader in readers.items()
    }
    # Inspectors read it; the supervisor (whom it may name) and the desk do not.
    assert about_head.tracking_code in changelist["inspector"]
    assert head_page["inspector"].status_code == 200
    assert "Rp900.000" in head_page["inspector"].content.decode()
    for name in ("desk", "supervisor"):
        assert about_head.tracking_code not in changelist[name]
        assert head_page[name].status_code != 200
    # The supervisor does read the report about a counter officer (the test can fail).
    assert about_counter.tracking_code in changelist["supervisor"]
    assert about_counter.tracking_code not in changelist["desk"]

    # No booking page of the reporter's number shows either report, to anyone.
    for reader in readers.values():
        for booking in Booking.objects.filter(pk__in=[b.pk for b in bookings]):
            page = reader.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
            for secret in ("Rp900.000", "Rp150.000", "LAPOR", "KEPALA"):
                assert secret not in page
            assert about_head.tracking_code not in page
            assert about_counter.tracking_code not in page
