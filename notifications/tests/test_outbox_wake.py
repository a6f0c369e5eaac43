"""How queued notices reach the sender: one task per burst, not one per notice (a
Redis flag, `_wake_sender`), each task draining in batches; with Redis or the broker
down nothing is lost (the row waits for the sweep). Real PostgreSQL and Redis; the
publish of the task is recorded, not handed to the session's real worker."""

import datetime as dt
import logging

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from bookings.tests.factories import applicant, book, book_family, office
from bookings.tests.races import race
from notifications import pacing, services
from notifications.backends import locmem
from notifications.models import OutboundMessage, SenderNumber
from notifications.tasks import drain_outbox

pytestmark = pytest.mark.django_db

OFFICE = "6221000000"


@pytest.fixture
def published(monkeypatch):
    """The sender tasks the code publishes (their options), instead of the broker."""
    sent = []
    monkeypatch.setattr(drain_outbox, "apply_async", lambda *a, **kw: sent.append(kw))
    cache.delete(services.SEND_FLAG)
    yield sent
    cache.delete(services.SEND_FLAG)


def _queue(n: int = 1, *, start: int = 0):
    """`n` notices, each queued and committed on its own (as n bookings are)."""
    messages = []
    for i in range(start, start + n):
        with transaction.atomic():
            messages.append(
                services.outbox_enqueue(
                    to=f"62812{i:08d}", text=f"Halo {i}", kind="test", sender=OFFICE
                )
            )
    return messages


def test_a_burst_of_notices_publishes_one_sender_task_not_one_per_notice(
    published, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_GATHER_SECONDS = 0.2
    with django_capture_on_commit_callbacks(execute=True):
        _queue(5)
    # One task, started a moment later so that it finds the burst's notices together.
    assert published == [
        {"kwargs": {"gather": 0.2}, "retry": True, "retry_policy": services._PUBLISH_RETRY}
    ]
    # Once that task starts (and clears the flag), the next notice wakes another: a
    # notice committed after the task's claims cannot be left behind.
    services._sender_started()
    with django_capture_on_commit_callbacks(execute=True):
        _queue(2, start=5)
    assert len(published) == 2


def test_a_confirmed_family_hands_its_notices_over_once(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        book_family(office(), [applicant(), applicant(), applicant()])
    confirmations = OutboundMessage.objects.filter(kind="booking_confirmed")
    assert confirmations.count() == 3
    assert len(callbacks) == 1
    assert len(published) == 1


def test_with_redis_down_the_booking_stands_and_its_notice_waits_for_the_sweep(
    published, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(cache, "add", down)
        with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
            booking = book(office())
    assert "sender not woken (ConnectionError)" in caplog.text
    assert published == []
    message = OutboundMessage.objects.get(**booking.about.fields())
    assert message.status == "queued"
    # Redis is back: the beat's sweep finds the notice nobody took, and wakes a sender.
    later = timezone.now() + services.UNDISPATCHED_AFTER + dt.timedelta(seconds=1)
    assert services.outbox_requeue(now=later) == 1
    assert len(published) == 1


def test_a_failed_publish_leaves_no_flag_so_the_next_notice_tries_again(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    tries = []

    def broker_down(*args, **kwargs):
        tries.append(kwargs)
        raise OSError("broker unreachable")

    monkeypatch.setattr(drain_outbox, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        _queue(1)
        assert cache.get(services.SEND_FLAG) is None
        _queue(1, start=1)
    assert len(tries) == 2
    assert caplog.text.count("sender not woken (OSError)") == 2
    assert OutboundMessage.objects.filter(status="queued").count() == 2


def test_the_sender_task_clears_the_flag_then_drains_in_batches_without_an_empty_claim(
    published, settings
):
    settings.OUTBOX_BATCH_SIZE = 2
    _queue(5)
    cache.set(services.SEND_FLAG, 1)
    with CaptureQueriesContext(connection) as queries:
        assert drain_outbox.run() == {"sent": 5}
    claims = [q for q in queries.captured_queries if "SKIP LOCKED" in q["sql"]]
    # 2, 2 and 1: a claim short of a full batch took everything due; no fourth claim.
    assert len(claims) == 3
    assert sorted(m.text for m in locmem.outbox) == [f"Halo {i}" for i in range(5)]
    # The first full batch woke one helper at once (a backlog: both worker processes
    # may drain), no more: the flag it set holds the rest back.
    assert published == [
        {"kwargs": {"gather": 0.0}, "retry": True, "retry_policy": services._PUBLISH_RETRY}
    ]


def test_a_drain_past_its_time_hands_the_rest_to_a_fresh_task(published, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    _queue(5)
    cache.set(services.SEND_FLAG, 1)  # a task is already queued: the handover still goes
    assert services.outbox_drain(seconds=0) == {"sent": 2}
    assert len(published) == 1
    assert OutboundMessage.objects.filter(status="queued").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_batches_taking_one_numbers_pace_at_once_never_share_its_tokens(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 20  # a bucket of 2
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    SenderNumber.objects.create(number=OFFICE, tokens=2, tokens_at=now)
    SenderNumber.objects.create(number="6221999999", tokens=2, tokens_at=now)
    wanted = {OFFICE: 5, "6221999999": 1}
    results, errors = race([lambda: pacing.pace_take(wanted=wanted, now=now) for _ in range(4)])
    assert errors == []
    assert sum(granted[OFFICE] for granted, _ in results) == 2
    assert sum(granted["6221999999"] for granted, _ in results) == 2  # one each, twice
    assert set(SenderNumber.objects.values_list("tokens", flat=True)) == {0}


def test_a_number_never_seen_gets_a_full_bucket_on_its_first_batch(settings):
    settings.WHATSAPP_SEND_RATE_PER_SECOND = 80  # a bucket of 8
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    granted, interval = pacing.pace_take(wanted={"6221555555": 10}, now=now)
    assert granted == {"6221555555": 8}
    assert interval == pytest.approx(1 / 72)
    row = SenderNumber.objects.get(number="6221555555")
    assert (row.tokens, row.tokens_at, row.daily_unique_users) == (
        0,
        now,
        settings.WHATSAPP_DEFAULT_DAILY_UNIQUE_USERS,
    )
