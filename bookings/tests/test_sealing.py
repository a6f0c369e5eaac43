"""Offices and reports sealed from each other in the WhatsApp channel (issue 17, §2).

Tried as an attacker: an applicant's commands sent to another office's number, a
gateway key of office A aimed at office B's bookings, a staff session on the gateway,
a key that reuses another key's name, and a desk officer reading a booking's page to
find out who reported what.
"""

import datetime as dt
import hashlib
import hmac
import html
import importlib
import json

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client

from bookings.models import Booking, Channel
from bookings.services import Actor, booking_cancel, bookings_expire_no_shows
from bookings.tests.factories import book
from complaints.models import Complaint
from complaints.services import complaint_submit
from notifications.inbound import inbox_process
from notifications.models import InboundMessage, OutboundMessage
from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, INSPECTOR, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
STAMP = int(NOW.timestamp())
SECRET = "sealing-secret"
A_ID, B_ID = "111000111", "222000222"
SENDER = "6281234567001"
REPORT = "LAPOR KEPALA PUNGLI kepala kantor minta uang Rp750.000 supaya paspor cepat jadi"


@pytest.fixture(autouse=True)
def offices(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    Office.objects.filter(code="tangerang").update(whatsapp_phone_number_id=A_ID)
    Office.objects.filter(code="batam").update(whatsapp_phone_number_id=B_ID)
    with time_machine.travel(NOW, tick=False):
        yield Office.objects.get(code="tangerang"), Office.objects.get(code="batam")


_ids = iter(range(1, 10_000))


def _signed(client, text, *, phone_number_id, sender=SENDER):
    """A message through the signed Cloud API webhook; returns the reply it got."""
    message_id = f"wamid.seal.{next(_ids)}"
    payload = {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": phone_number_id},
                            "messages": [
                                {
                                    "from": sender,
                                    "id": message_id,
                                    "timestamp": str(STAMP - 5),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        }
                    }
                ]
            }
        ]
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert response.json()["handled"] == 1
    inbox_process()  # the worker's turn: the webhook only stored the delivery
    return InboundMessage.objects.get(provider_message_id=message_id)


def _key(office: Office | None, name="gateway") -> dict:
    _client, key = ApiClient.objects.create_key(
        name=name, office=office, scopes=["whatsapp:inbound"]
    )
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _gateway(client, auth, text, *, to, message_id=None, sender=SENDER):
    body = {"id": message_id or f"gw-seal-{next(_ids)}", "from": sender, "to": to, "text": text}
    return client.post("/api/v1/whatsapp/messages/", body, content_type="application/json", **auth)


def _same_apart_from(reply: str, other: str, *codes: str) -> bool:
    """Two replies that differ only by the code each echoes back."""
    for code in codes:
        reply, other = reply.replace(code, "<code>"), other.replace(code, "<code>")
    return reply == other


def _booking_at(office: Office) -> Booking:
    return book(office, now=NOW, phone_number="+" + SENDER)


@pytest.mark.parametrize("command", ["STATUS", "BATAL", "CANCEL", "CEK"])
def test_a_command_sent_to_another_offices_number_acts_like_an_unknown_code(
    client, offices, command
):
    _tangerang, batam = offices
    theirs = _booking_at(batam)
    misdirected = _signed(client, f"{command} {theirs.display_code}", phone_number_id=A_ID)
    unknown = _signed(client, f"{command} ZZZZ-ZZZ2", phone_number_id=A_ID)
    assert _same_apart_from(misdirected.reply, unknown.reply, theirs.display_code, "ZZZZ-ZZZ2")
    assert misdirected.result == unknown.result == {"found": False}
    assert theirs.name not in misdirected.reply
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    assert not OutboundMessage.objects.filter(kind="booking_cancelled").exists()
    # The same command to the booking's own office does act (the test can fail).
    own = _signed(client, f"STATUS {theirs.display_code}", phone_number_id=B_ID)
    assert theirs.name in own.reply


def test_a_gateway_key_of_one_office_cannot_read_or_cancel_anothers_booking(client, offices):
    tangerang, batam = offices
    theirs = _booking_at(batam)
    a_key = _key(tangerang)
    # Aimed at B's number: refused like a number that is no office's at all.
    aimed = _gateway(client, a_key, f"BATAL {theirs.code}", to=batam.whatsapp_number)
    made_up = _gateway(client, a_key, f"BATAL {theirs.code}", to="+6281100000000")
    assert aimed.status_code == made_up.status_code == 400
    assert aimed.json() == made_up.json()
    # Through A's own number: B's code is a code nobody has.
    for command in ("STATUS", "BATAL"):
        own_number = tangerang.whatsapp_number
        misdirected = _gateway(client, a_key, f"{command} {theirs.code}", to=own_number)
        unknown = _gateway(client, a_key, f"{command} ZZZZZZZ2", to=own_number)
        assert misdirected.status_code == unknown.status_code == 200
        assert _same_apart_from(
            misdirected.json()["reply"], unknown.json()["reply"], theirs.code, "ZZZZZZZ2"
        )
        assert misdirected.json()["booking"] is None
    theirs.refresh_from_db()
    assert theirs.status == "booked"
    # B's own key does reach it.
    b_key = _key(batam, name="gateway-b")
    own = _gateway(client, b_key, f"STATUS {theirs.code}", to=batam.whatsapp_number)
    assert theirs.name in own.json()["reply"]


def test_a_staff_session_cannot_speak_through_the_gateway(client, offices):
    tangerang, _batam = offices
    officer = User.objects.create_user("desk-a", password="x", is_staff=True)
    officer.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=officer, office=tangerang)
    client.force_login(officer)
    response = _gateway(client, {}, "INFO", to=tangerang.whatsapp_number)
    assert response.status_code in (401, 403)
    assert not InboundMessage.objects.exists()


def test_gateway_message_ids_are_kept_apart_by_key_not_by_name(client, offices):
    """A new key given a revoked key's name must not be answered with the old key's
    replies (which carry the old sender's booking)."""
    tangerang, _batam = offices
    first = _key(tangerang, name="gateway")
    booked = _gateway(
        client, first, "#JOJO#27061978#07122026#", to=tangerang.whatsapp_number, message_id="m-1"
    )
    assert booked.json()["booking"]["name"] == "JOJO"
    ApiClient.objects.filter(name="gateway").update(revoked=True)
    second = _key(tangerang, name="gateway")
    fresh = _gateway(client, second, "INFO", to=tangerang.whatsapp_number, message_id="m-1")
    assert fresh.status_code == 200
    assert fresh.json()["duplicate"] is False
    assert "JOJO" not in fresh.json()["reply"]
    assert not InboundMessage.objects.filter(provider_message_id__contains="gateway").exists()


def _admin(office: Office | None, role: str, name: str) -> Client:
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=office, is_headquarters=office is None)
    client = Client()
    client.force_login(user)
    return client


def test_a_booking_page_shows_its_own_messages_and_never_a_report(client, offices):
    tangerang, _batam = offices
    made = _signed(client, "#SITI NURAINI#17061978#07122026#", phone_number_id=A_ID)
    booking = Booking.objects.get(code=made.result["bookings"][0])
    asked = _signed(client, f"STATUS {booking.display_code}", phone_number_id=A_ID)
    report = _signed(client, REPORT, phone_number_id=A_ID)
    elsewhere = _signed(
        client, "LAPOR CALO calo di parkiran jual nomor antrean", phone_number_id=B_ID
    )
    # An officer books at the desk with the applicant's number, to read their history.
    other_booking = book(tangerang, now=NOW, phone_number="+" + SENDER)
    tracking = [report.result["complaint"], elsewhere.result["complaint"]]
    assert all(tracking)
    confirmation = OutboundMessage.objects.get(kind="booking_confirmed", about_id=booking.pk)

    for reader in (
        _admin(tangerang, DESK, "desk-a"),
        _admin(tangerang, SUPERVISOR, "supervisor-a"),
        _admin(None, INSPECTOR, "inspector"),
    ):
        page = reader.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
        # Its own conversation: the request, the confirmation, the STATUS and its reply.
        for own in (made.text, confirmation.text, asked.text, asked.reply):
            assert html.escape(own) in page, own
        for secret in ("LAPOR", "PUNGLI", "Rp750.000", "parkiran", *tracking):
            assert secret not in page, secret
        assert other_booking.display_code not in page
        planted = reader.get(f"/admin/bookings/booking/{other_booking.pk}/change/")
        planted = planted.content.decode()
        for secret in ("LAPOR", "Rp750.000", "parkiran", *tracking, html.escape(asked.reply)):
            assert secret not in planted, secret
        assert booking.display_code not in planted


def test_the_inbound_log_keeps_a_report_as_its_tracking_code_only(client, settings):
    report = _signed(client, REPORT, phone_number_id=A_ID)
    complaint = Complaint.objects.get()
    assert "Rp750.000" in complaint.description  # the report itself is kept, on the case
    assert report.text == f"report {complaint.tracking_code}"
    assert (report.about_kind, report.about_id) == ("complaint", complaint.pk)
    reply = OutboundMessage.objects.get(kind="reply")
    assert complaint.tracking_code in reply.text
    for row in (report.text, report.reply, str(report.result), reply.text):
        assert "Rp750.000" not in row
        assert "kepala kantor" not in row
    # A report that opens no case, or is never read, leaves no text either.
    short = _signed(client, "LAPOR", phone_number_id=A_ID)
    nowhere = _signed(client, REPORT, phone_number_id="999999999")
    assert short.text == nowhere.text == "report"
    settings.WHATSAPP_SENDER_LIMIT = 0
    unread = _signed(client, REPORT, phone_number_id=A_ID, sender="6281234567002")
    assert unread.result == {"rate_limited": True}
    assert unread.text == ""


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_messages_stored_before_are_tied_to_their_rows_and_reports_taken_out(offices):
    tangerang, _batam = offices
    booking = _booking_at(tangerang)
    complaint = complaint_submit(
        office=tangerang,
        category="pungli",
        description="Diminta Rp750.000 oleh kepala kantor di ruang belakang.",
        reporter_phone="+" + SENDER,
        about_supervisor=True,
        channel="whatsapp",
        notify=False,
        now=NOW,
    )
    # Rows as they were stored before: no `about`, the report's text in the log.
    OutboundMessage.objects.update(about_kind="", about_id=None)
    status = InboundMessage.objects.create(
        provider_message_id="old-status",
        sender=SENDER,
        office_code="tangerang",
        text=f"STATUS {booking.code}",
        received_at=NOW,
        result={"booking": booking.code},
    )
    lapor = InboundMessage.objects.create(
        provider_message_id="old-lapor",
        sender=SENDER,
        office_code="tangerang",
        text="LAPOR KEPALA PUNGLI Diminta Rp750.000 oleh kepala kantor di ruang belakang.",
        received_at=NOW,
        result={"complaint": complaint.tracking_code},
    )
    limited = InboundMessage.objects.create(
        provider_message_id="old-limited",
        sender=SENDER,
        text="lapor: calo minta Rp2.000.000",
        received_at=NOW,
        result={"rate_limited": True},
    )
    replies = {
        message.pk: OutboundMessage.objects.create(
            to=SENDER, kind="reply", text="...", subject=f"inbound:{message.pk}"
        )
        for message in (status, lapor)
    }
    notice = OutboundMessage.objects.get(kind="booking_confirmed")

    _migration("bookings", "0007_link_messages_to_their_bookings").link(apps, None)
    _migration("complaints", "0002_take_report_texts_out_of_the_inbound_log").seal(apps, None)

    for row in (status, lapor, limited, notice, *replies.values()):
        row.refresh_from_db()
    assert (notice.about_kind, notice.about_id) == ("booking", booking.pk)
    assert (status.about_kind, status.about_id) == ("booking", booking.pk)
    assert (replies[status.pk].about_kind, replies[status.pk].about_id) == ("booking", booking.pk)
    assert lapor.text == f"report {complaint.tracking_code}"
    assert (lapor.about_kind, lapor.about_id) == ("complaint", complaint.pk)
    assert (replies[lapor.pk].about_kind, replies[lapor.pk].about_id) == ("complaint", complaint.pk)
    assert limited.text == "report"
    assert status.text == f"STATUS {booking.code}"  # not a report: kept as it was


def test_every_notice_of_a_booking_is_tied_to_it_including_the_bulk_ones(offices):
    """The booking page finds its notices by the structured reference alone: the ones
    queued one by one and those the no-show sweep queues in bulk."""
    tangerang, _batam = offices
    cancelled, forfeited = _booking_at(tangerang), _booking_at(tangerang)
    booking_cancel(booking=cancelled, actor=Actor.applicant(Channel.WEB), now=NOW)
    assert bookings_expire_no_shows(now=forfeited.expires_at + dt.timedelta(minutes=1)) >= 1
    for booking, kinds in (
        (cancelled, {"booking_confirmed", "booking_cancelled"}),
        (forfeited, {"booking_confirmed", "booking_expired"}),
    ):
        notices = OutboundMessage.objects.filter(**booking.about.fields())
        assert set(notices.values_list("kind", flat=True)) == kinds
        assert set(notices.values_list("about_kind", "about_id")) == {("booking", booking.pk)}
