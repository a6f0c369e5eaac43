"""Old WhatsApp traffic is erased after MESSAGE_RETENTION_DAYS; a message still to be
sent never is."""

import datetime as dt
import itertools

import pytest

from notifications.models import InboundMessage, OutboundMessage, WhatsAppContact
from notifications.retention import messages_due_for_erasure, messages_erase_old
from notifications.services import outbox_enqueue, outbox_retry

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 3, 1, 2, 0, tzinfo=dt.UTC)
OLD = NOW - dt.timedelta(days=91)
RECENT = NOW - dt.timedelta(days=89)
PHONE = "6281234567890"
_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.MESSAGE_RETENTION_DAYS = 90


def _message(created_at, status="sent", **kwargs) -> OutboundMessage:
    message = outbox_enqueue(
        to=PHONE,
        text="Booking confirmed. Name: SITI NUR'AINI, born 17-05-1990.",
        kind="booking_confirmed",
        image_png=b"\x89PNG",
        template_name="antrean_booking_confirmed",
        template_params=["SITI NUR'AINI", "ABCD-2345"],
        subject="booking:ABCD2345",
        **kwargs,
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=created_at, status=status, sent_at=created_at, last_error="to 6281234567890"
    )
    return OutboundMessage.objects.get(pk=message.pk)


def _inbound(received_at, sender=PHONE) -> InboundMessage:
    return InboundMessage.objects.create(
        provider_message_id=f"wamid.{next(_ids)}",
        sender=sender,
        text="#SITI NUR'AINI#17051990#07122026#",
        received_at=received_at,
        reply="Booking confirmed.",
    )


def _contact(phone, updated_at) -> WhatsAppContact:
    contact = WhatsAppContact.objects.create(phone=phone, language="en")
    WhatsAppContact.objects.filter(pk=contact.pk).update(updated_at=updated_at)
    return contact


def test_an_old_sent_message_loses_recipient_and_text_and_keeps_its_figures():
    old = _message(OLD, dedupe_key="reminder:ABCD2345")
    recent = _message(RECENT)
    counts = messages_erase_old(now=NOW)
    assert counts["outbound_erased"] == 1
    old.refresh_from_db()
    assert (old.to, old.text, old.image_png, old.template_params) == ("", "", None, [])
    assert (old.last_error, old.dedupe_key) == ("", None)
    assert old.personal_data_erased_at == NOW
    assert (old.kind, old.status, old.subject) == ("booking_confirmed", "sent", "booking:ABCD2345")
    assert (old.created_at, old.sent_at) == (OLD, OLD)
    recent.refresh_from_db()
    assert recent.to == PHONE
    assert "SITI" in recent.text
    assert recent.personal_data_erased_at is None


@pytest.mark.parametrize("status", ["queued", "sending"])
def test_a_message_still_to_be_sent_is_never_erased(status):
    waiting = _message(OLD, status=status)
    messages_erase_old(now=NOW)
    waiting.refresh_from_db()
    assert waiting.to == PHONE
    assert waiting.status == status
    assert waiting.personal_data_erased_at is None


@pytest.mark.parametrize("status", ["failed", "delivered", "read"])
def test_a_message_done_with_is_erased_whatever_became_of_it(status):
    done = _message(OLD, status=status)
    messages_erase_old(now=NOW)
    done.refresh_from_db()
    assert done.to == ""


def test_an_erased_failed_message_cannot_be_sent_again():
    failed = _message(OLD, status="failed")
    messages_erase_old(now=NOW)
    assert outbox_retry(message=failed).status == "failed"


def test_old_inbound_messages_are_deleted():
    old, recent = _inbound(OLD), _inbound(RECENT)
    assert messages_erase_old(now=NOW)["inbound_deleted"] == 1
    assert list(InboundMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not InboundMessage.objects.filter(pk=old.pk).exists()


def test_a_number_is_forgotten_once_it_has_written_nothing_for_the_period():
    idle = _contact("6281111111111", OLD)
    _inbound(OLD, sender=idle.phone)
    # Chose a language long ago, but still writes: kept.
    active = _contact("6282222222222", OLD)
    _inbound(RECENT, sender=active.phone)
    assert messages_erase_old(now=NOW)["contacts_deleted"] == 1
    assert list(WhatsAppContact.objects.values_list("phone", flat=True)) == [active.phone]


def test_a_dry_run_counts_what_a_run_changes_and_a_second_run_changes_nothing():
    for _ in range(5):
        _message(OLD)
        _inbound(OLD)
    _contact("6281111111111", OLD)
    due = messages_due_for_erasure(now=NOW)
    assert OutboundMessage.objects.filter(personal_data_erased_at__isnull=False).count() == 0
    assert messages_erase_old(now=NOW, batch_size=2) == due
    assert due == {"outbound_erased": 5, "inbound_deleted": 5, "contacts_deleted": 1}
    assert messages_erase_old(now=NOW) == {
        "outbound_erased": 0,
        "inbound_deleted": 0,
        "contacts_deleted": 0,
    }
