"""The WhatsApp message admins show every time in the zone of the message's office with
its label (WIB, WITA, WIT), on the list and on a message's own page."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import InboundMessage, InboundState, OutboundMessage
from notifications.services import outbox_enqueue
from offices.models import Office

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 1, 1, 5, tzinfo=dt.UTC)  # 08:05 WIB, 09:05 WITA, 10:05 WIT


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    client.force_login(user)
    return client


def _inbound(code: str, n: int) -> InboundMessage:
    message = InboundMessage.objects.create(
        provider_message_id=f"wamid.times.{n}",
        sender=f"62812345000{n:02d}",
        office_code=code,
        text="STATUS",
        received_at=AT,
        state=InboundState.DONE,
    )
    InboundMessage.objects.filter(pk=message.pk).update(created_at=AT, claimed_at=AT)
    return message


def _outbound(sender: str) -> OutboundMessage:
    message = outbox_enqueue(to="6281234500099", text="Halo", kind="test", sender=sender)
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=AT, sent_at=AT + dt.timedelta(minutes=1), read_at=AT + dt.timedelta(minutes=2)
    )
    return message


def _times(page) -> list[str]:
    return re.findall(r"\d{2}:\d{2} W[A-Z]+", page.content.decode())


def test_the_inbound_list_and_page_show_each_message_in_its_offices_zone(operator):
    wit = _inbound("jayapura", 1)
    _inbound("makassar", 2)
    _inbound("", 3)  # an office nobody knows: the default zone, labelled
    listed = _times(operator.get("/admin/notifications/inboundmessage/"))
    assert sorted(listed) == ["08:05 WIB", "09:05 WITA", "10:05 WIT"]
    page = operator.get(f"/admin/notifications/inboundmessage/{wit.pk}/change/")
    assert page.status_code == 200
    # received, claimed and stored: each as Jayapura reads it, none in WIB or unlabelled.
    assert _times(page) == ["10:05 WIT"] * 3
    assert "08:05" not in page.content.decode()


def test_the_outbound_list_and_page_show_each_message_in_its_offices_zone(operator):
    jayapura = Office.objects.get(code="jayapura")
    denpasar = Office.objects.get(code="denpasar")
    wit = _outbound(jayapura.whatsapp_number)
    _outbound(denpasar.whatsapp_number)
    listed = _times(operator.get("/admin/notifications/outboundmessage/"))
    assert sorted(listed) == ["09:05 WITA", "10:05 WIT"]
    page = operator.get(f"/admin/notifications/outboundmessage/{wit.pk}/change/")
    assert page.status_code == 200
    # queued, sent and read; the times not reached yet read "-".
    assert _times(page) == ["10:05 WIT", "10:06 WIT", "10:07 WIT"]
    assert "08:0" not in page.content.decode()


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_list_asks_for_its_offices_once_whatever_its_length(operator):
    path = "/admin/notifications/inboundmessage/"
    _inbound("jayapura", 0)
    _inbound("makassar", 1)
    operator.get(path)  # the session and caches warm
    few = _queries(operator, path)
    for n in range(2, 12):
        _inbound("jayapura" if n % 2 else "makassar", n)
    assert _queries(operator, path) == few
    assert len(_times(operator.get(path))) == 12
