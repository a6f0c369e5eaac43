"""The sender: batches claimed once, WhatsApp's limits kept before sending (pace per
number, spacing per user, the daily tier by urgency), callbacks only moving forward.
Real PostgreSQL; the clock is injected, nothing sleeps."""

import ast
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bookings.tests.races import race
from notifications.backends import locmem
from notifications.models import (
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    SenderNumber,
    Urgency,
)
from notifications.pacing import bucket_shape
from notifications.services import outbox_drain, outbox_record_status, outbox_send_batch

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
OFFICE = "6221000000"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.WHATSAPP_BACKEND = "notifications.backends.locmem.LocmemBackend"
    locmem.outbox.clear()


def _queued(n, *, to=None, sender=OFFICE, urgency=Urgency.URGENT, text="Halo"):
    return OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to=to or f"62812{i:08d}",
            sender=sender,
            text=f"{text} {i}",
            kind="test",
            urgency=urgency,
        )
        for i in range(n)
    )


def _sent_count():
    return OutboundMessage.objects.filter(status=MessageStatus.SENT).count()


@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_send_a_notice_twice(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 100_000
    settings.OUTBOX_BATCH_SIZE = 25
    SenderNumber.objects.create(number=OFFICE, daily_unique_users=100_000)
    messages = _queued(400)
    # Due only at a time the session's real worker (tests of the Celery path) has not
    # reached: its drain, running on the real clock, cannot take them from the racers.
    later = dt.datetime(2099, 1, 1, 2, 0, tzinfo=dt.UTC)
    OutboundMessage.objects.filter(pk__in=[m.pk for m in messages]).update(next_attempt_at=later)
    results, errors = race([lambda: outbox_drain(now=later) for _ in range(4)])
    assert errors == []
    keys = [sent.idempotency_key for sent in locmem.outbox]
    assert len(keys) == 400
    assert len(set(keys)) == 400
    assert sum(result.get("sent", 0) for result in results) == 400
    # Each claimed exactly once: no row was sent by two claimers.
    attempts = OutboundMessage.objects.filter(pk__in=[m.pk for m in messages])
    assert set(attempts.values_list("attempts", flat=True)) == {1}
    assert sum(1 for result in results if result.get("sent")) >= 2  # they shared the work


def test_a_batch_costs_the_same_statements_whatever_its_size(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 100_000
    SenderNumber.objects.create(number=OFFICE, daily_unique_users=100_000)

    def statements(n):
        OutboundMessage.objects.all().delete()
        _queued(n)
        with CaptureQueriesContext(connection) as queries:
            assert Counter(outbox_send_batch(now=NOW).values()) == {"sent": n}
        return [q["sql"].split()[0] for q in queries.captured_queries]

    statements(1)  # the number's SenderNumber row is created on its first send
    small, large = statements(3), statements(90)
    assert small == large
    # The claim; what the limits need (the 24-hour window of every recipient, the
    # recent sends to them, the number's tier, its users, which recipients are among
    # them) in one round trip; the pace of its number (one UPDATE); one write-back;
    # the delivery callbacks that came before it (a statement of its own, after the
    # write-back committed: `outbox_record_status` explains the hand-over).
    assert small == ["UPDATE", "SELECT", "WITH", "UPDATE", "SELECT"]


def test_the_pace_never_grants_a_number_more_than_its_rate_in_any_second(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 20
    _queued(120)
    other = _queued(5, sender="6221999999", text="Other")
    sent_at = []
    clock = NOW
    for _ in range(60):  # six seconds, a tenth at a time, on an injected clock
        outbox_drain(now=clock)
        sent_at += list(
            OutboundMessage.objects.filter(sender=OFFICE, sent_at=clock).values_list(
                "sent_at", flat=True
            )
        )
        clock += dt.timedelta(milliseconds=100)
    assert len(sent_at) > 40  # it keeps sending at the pace
    for start in sent_at:
        window = [t for t in sent_at if start <= t < start + dt.timedelta(seconds=1)]
        assert len(window) <= 20
    # Another number has a bucket of its own: its first two went at once, beside.
    assert OutboundMessage.objects.filter(pk__in=[m.pk for m in other], sent_at=NOW).count() == 2
    capacity, _ = bucket_shape(20)
    assert capacity == 2


def test_what_the_pace_holds_back_waits_queued_with_its_time_and_its_attempt_uncounted(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 10  # a bucket of 1, 9 a second after
    _queued(4)
    outcomes = outbox_send_batch(now=NOW)
    assert Counter(outcomes.values()) == {"sent": 1, "deferred": 3}
    waiting = OutboundMessage.objects.filter(status=MessageStatus.QUEUED).order_by("pk")
    assert [m.attempts for m in waiting] == [0, 0, 0]
    assert [m.next_attempt_at for m in waiting] == [
        NOW + dt.timedelta(seconds=k / 9) for k in (1, 2, 3)
    ]
    assert outbox_send_batch(now=NOW) == {}  # not due yet: nothing claimed


def test_a_familys_notices_to_one_phone_are_spaced_the_most_urgent_first(settings):
    phone = "6281299999999"
    reminder = _queued(1, to=phone, urgency=Urgency.ROUTINE, text="Pengingat")[0]
    confirmations = _queued(2, to=phone, text="Konfirmasi")
    outbox_drain(now=NOW)
    assert [m.text for m in locmem.outbox] == ["Konfirmasi 0"]
    gap = dt.timedelta(seconds=settings.WHATSAPP_SAME_USER_SECONDS)
    assert OutboundMessage.objects.get(pk=confirmations[1].pk).next_attempt_at == NOW + gap
    assert OutboundMessage.objects.get(pk=reminder.pk).next_attempt_at == NOW + 2 * gap
    outbox_drain(now=NOW + gap - dt.timedelta(seconds=1))
    assert len(locmem.outbox) == 1  # not before six seconds
    outbox_drain(now=NOW + gap)
    outbox_drain(now=NOW + 2 * gap)
    assert [m.text for m in locmem.outbox] == ["Konfirmasi 0", "Konfirmasi 1", "Pengingat 0"]


def test_a_message_sent_moments_ago_by_another_batch_spaces_the_next(settings):
    phone = "6281299999998"
    _queued(1, to=phone)
    outbox_drain(now=NOW)
    later = _queued(1, to=phone, text="Later")[0]
    outbox_drain(now=NOW + dt.timedelta(seconds=2))
    later.refresh_from_db()
    assert (later.status, later.next_attempt_at) == ("queued", NOW + dt.timedelta(seconds=6))


def _reached(n):
    """`n` users reached by OFFICE outside their window in the last 24 hours."""
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            to=f"62877{i:08d}",
            sender=OFFICE,
            text="x",
            kind="test",
            status=MessageStatus.SENT,
            sent_at=NOW - dt.timedelta(hours=20),
            business_initiated=True,
        )
        for i in range(n)
    )


def test_near_the_daily_tier_reminders_wait_and_confirmations_still_go(settings):
    SenderNumber.objects.create(number=OFFICE, daily_unique_users=250)
    _reached(200)  # 80% of the tier: the rest is kept for urgent notices
    reminder = _queued(1, to="6281300000001", urgency=Urgency.ROUTINE)[0]
    known = _queued(1, to="6287700000007", urgency=Urgency.ROUTINE)[0]  # counted already
    confirmation = _queued(1, to="6281300000002")[0]
    outbox_drain(now=NOW)
    statuses = dict(OutboundMessage.objects.filter(sender=OFFICE).values_list("pk", "status"))
    assert statuses[confirmation.pk] == "sent"
    assert statuses[known.pk] == "sent"
    assert statuses[reminder.pk] == "queued"
    assert OutboundMessage.objects.get(pk=confirmation.pk).business_initiated is True


def test_at_the_daily_tier_even_confirmations_wait_but_an_open_window_is_free(settings):
    SenderNumber.objects.create(number=OFFICE, daily_unique_users=250)
    _reached(250)
    closed = _queued(1, to="6281300000003")[0]
    chatting = _queued(1, to="6281300000004")[0]
    InboundMessage.objects.create(
        provider_message_id="wamid.open", sender=chatting.to, received_at=NOW
    )
    outbox_drain(now=NOW)
    closed.refresh_from_db()
    chatting.refresh_from_db()
    assert (closed.status, chatting.status) == ("queued", "sent")
    assert chatting.business_initiated is False
    # Yesterday's users age out of the rolling 24 hours: then it goes.
    outbox_drain(now=NOW + dt.timedelta(hours=5))
    closed.refresh_from_db()
    assert closed.status == "sent"


def _sent_message():
    message = _queued(1, to="6281300000005")[0]
    outbox_send_batch(now=NOW)
    message.refresh_from_db()
    OutboundMessage.objects.filter(pk=message.pk).update(phone_number_id="pn-1")
    return message


def test_callbacks_out_of_order_and_repeated_only_move_a_message_forward():
    message = _sent_message()
    at = {name: NOW + dt.timedelta(seconds=k) for k, name in enumerate(["d", "r", "late"], 1)}
    pid = message.provider_message_id

    def callback(status, when):
        return outbox_record_status(
            provider_message_id=pid, phone_number_id="pn-1", status=status, at=when
        )

    assert callback("read", at["r"])
    assert callback("delivered", at["d"])
    assert callback("sent", at["late"])
    assert callback("read", at["late"])  # the repeat changes nothing
    assert callback("failed", at["late"])  # a read message was delivered
    message.refresh_from_db()
    assert (message.status, message.read_at, message.delivered_at, message.sent_at) == (
        "read",
        at["r"],
        at["d"],
        NOW,
    )
    assert message.failed_at is None


@pytest.mark.django_db(transaction=True)
def test_callbacks_applied_at_the_same_instant_never_move_a_message_back(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 100_000
    message = _sent_message()
    for _ in range(5):
        calls = [
            lambda s=status: outbox_record_status(
                provider_message_id=message.provider_message_id,
                phone_number_id="pn-1",
                status=s,
                at=NOW,
            )
            for status in ["delivered", "read", "sent", "delivered"]
        ]
        results, errors = race(calls)
        assert errors == []
        assert all(results)
        message.refresh_from_db()
        assert message.status == "read"


def test_the_notifications_app_imports_no_app_above_it():
    """Dependencies point one way (docs/architecture.md): bookings hands the outbox its
    QR drawer (bookings.apps.ready), the outbox never imports bookings."""
    above = {"bookings", "offices", "complaints"}
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in above]
    assert offenders == []


def test_a_confirmations_qr_is_drawn_by_the_drawer_bookings_registered():
    from bookings.qr import qr_png

    message = OutboundMessage.objects.create(
        to="6281300000006", text="x", kind="booking_confirmed", image_qr="ABCD2345"
    )
    outbox_send_batch(now=NOW)
    message.refresh_from_db()
    assert message.status == "sent"
    assert locmem.outbox[-1].image_png == qr_png("ABCD2345")
