"""The outbox: queued with the change, sent once, retried, swept, tracked."""

import datetime as dt

import pytest
from django.db import transaction

from notifications.backends import locmem
from notifications.models import InboundMessage, OutboundMessage
from notifications.services import (
    backoff,
    outbox_enqueue,
    outbox_record_status,
    outbox_requeue,
    outbox_retry,
    outbox_send,
)
from notifications.tests.provider_doubles import (
    PermanentSendError,
    ScriptedBackend,
    TransientSendError,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def scripted(settings):
    settings.WHATSAPP_BACKEND = "notifications.tests.provider_doubles.ScriptedBackend"
    ScriptedBackend.script, ScriptedBackend.sent = [], []
    return ScriptedBackend


def _queue(**kwargs):
    return outbox_enqueue(to="6281234567890", text="Halo", kind="test", **kwargs)


def test_a_message_is_queued_with_the_change_and_dispatched_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        message = _queue()
    assert message.status == "queued"
    assert len(callbacks) == 1


def test_a_message_rolled_back_with_its_change_is_never_sent(django_capture_on_commit_callbacks):
    def failing_change():
        with transaction.atomic():
            _queue()
            raise RuntimeError("the booking failed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        failing_change()
    assert not OutboundMessage.objects.exists()
    assert callbacks == []


def test_sending_twice_sends_once():
    message = _queue()
    assert outbox_send(message_id=message.pk, now=NOW) == "sent"
    assert outbox_send(message_id=message.pk, now=NOW) == "skipped"
    assert len(locmem.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.provider_message_id.startswith("locmem-")


def test_a_transient_failure_is_retried_with_backoff_then_sent(scripted):
    scripted.script = [TransientSendError, TransientSendError]
    message = _queue()
    assert outbox_send(message_id=message.pk, now=NOW) == "retry"
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.next_attempt_at == NOW + backoff(1)
    assert "[redacted]" in message.last_error  # no phone number kept in the error
    assert outbox_send(message_id=message.pk, now=NOW) == "skipped"  # not due yet
    later = NOW + dt.timedelta(seconds=30)
    assert outbox_send(message_id=message.pk, now=later) == "retry"
    assert outbox_send(message_id=message.pk, now=later + dt.timedelta(minutes=1)) == "sent"
    assert len(scripted.sent) == 1


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20).total_seconds() == 3600


def test_a_permanent_failure_is_marked_failed_with_the_reason_and_can_be_retried(scripted):
    scripted.script = [PermanentSendError]
    message = _queue()
    assert outbox_send(message_id=message.pk, now=NOW) == "failed"
    message.refresh_from_db()
    assert message.status == "failed"
    assert "provider said no" in message.last_error
    outbox_retry(message=message)
    assert outbox_send(message_id=message.pk, now=NOW) == "sent"


def test_the_sweep_dispatches_lost_and_stuck_messages(django_capture_on_commit_callbacks):
    lost = _queue()
    OutboundMessage.objects.filter(pk=lost.pk).update(created_at=NOW - dt.timedelta(minutes=5))
    stuck = _queue()
    OutboundMessage.objects.filter(pk=stuck.pk).update(
        status="sending", claimed_at=NOW - dt.timedelta(minutes=11)
    )
    fresh = _queue()
    OutboundMessage.objects.filter(pk=fresh.pk).update(created_at=NOW)
    assert outbox_requeue(now=NOW) == 2
    assert OutboundMessage.objects.get(pk=stuck.pk).status == "queued"


def test_the_same_notice_is_queued_once():
    assert _queue(dedupe_key="reminder:ABCD2345") is not None
    assert _queue(dedupe_key="reminder:ABCD2345") is None
    assert OutboundMessage.objects.count() == 1


def test_delivery_callbacks_in_any_order_only_move_forward():
    message = _queue(phone_number_id="1001")
    outbox_send(message_id=message.pk, now=NOW)
    message.refresh_from_db()
    wamid = message.provider_message_id
    for status in ("read", "sent", "delivered"):
        assert outbox_record_status(
            provider_message_id=wamid, phone_number_id="1001", status=status, at=NOW
        )
    message.refresh_from_db()
    assert message.status == "read"
    assert message.read_at == message.delivered_at == NOW
    assert not outbox_record_status(
        provider_message_id="unknown", phone_number_id="1001", status="read", at=NOW
    )


def test_a_delivery_callback_under_another_number_changes_nothing():
    """One app carries every office's numbers: office A's phone-number id must not move
    office B's message, nor learn whether its id exists."""
    message = _queue(phone_number_id="1001")
    outbox_send(message_id=message.pk, now=NOW)
    message.refresh_from_db()
    wamid = message.provider_message_id
    for other in ("2002", "", None):
        for status in ("delivered", "read", "failed"):
            assert not outbox_record_status(
                provider_message_id=wamid, phone_number_id=other, status=status, at=NOW
            )
    message.refresh_from_db()
    assert (message.status, message.delivered_at, message.read_at) == ("sent", None, None)


def test_outside_the_24_hour_window_the_backend_is_told_to_use_the_template(scripted):
    message = _queue(template_name="booking_reminder", template_params=["ABCD-2345"])
    outbox_send(message_id=message.pk, now=NOW)
    assert scripted.sent[-1].session_open is False
    InboundMessage.objects.create(
        provider_message_id="wamid.in",
        sender="6281234567890",
        received_at=NOW - dt.timedelta(hours=23),
    )
    second = _queue()
    # Past WhatsApp's spacing of two messages to one user (131056).
    outbox_send(message_id=second.pk, now=NOW + dt.timedelta(seconds=7))
    assert scripted.sent[-1].session_open is True
    assert scripted.sent[0].template_name == "booking_reminder"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_what_was_committed(celery_worker_process, wait_until):
    with transaction.atomic():
        message = _queue()
    wait_until(
        lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent",
        "the worker sent the message",
    )
    assert OutboundMessage.objects.get(pk=message.pk).provider_message_id.startswith("locmem-")


def test_many_messages_are_queued_in_one_insert_and_dispatched_in_chunks(
    django_capture_on_commit_callbacks, django_assert_num_queries, settings
):
    from notifications.services import DISPATCH_CHUNK, outbox_enqueue_many
    from notifications.tasks import send_outbound_messages

    fields = [
        {"to": f"62812345{i:05d}", "text": f"Halo {i}", "kind": "test"}
        for i in range(DISPATCH_CHUNK + 5)
    ]
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        ids = outbox_enqueue_many(fields)
    assert len(callbacks) == 1
    assert OutboundMessage.objects.filter(status="queued").count() == DISPATCH_CHUNK + 5
    assert sorted(ids) == list(OutboundMessage.objects.order_by("pk").values_list("pk", flat=True))
    # A chunk is sent first, then whatever else is due (the task drains the outbox);
    # delivered twice (a redelivered task message), it sends nothing again.
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 10_000  # the pace has its own tests
    locmem.outbox.clear()
    assert send_outbound_messages(ids[:10]) == {"sent": DISPATCH_CHUNK + 5}
    assert send_outbound_messages(ids[:10]) == {}
    assert [m.text for m in locmem.outbox[:10]] == [f"Halo {i}" for i in range(10)]
    assert sorted(m.text for m in locmem.outbox) == sorted(f["text"] for f in fields)
