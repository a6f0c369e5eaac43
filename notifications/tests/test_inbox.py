"""The webhook's durable inbox (notifications/inbound.py): a signed delivery is stored
and acknowledged before anything is processed; the worker processes each stored
message exactly once, also with two workers at once, a worker that died mid-way, or a
message that keeps failing (parked for an operator after INBOX_MAX_ATTEMPTS)."""

import datetime as dt
import hashlib
import hmac
import json
import threading

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from bookings.models import Booking
from notifications import inbound
from notifications.inbound import (
    INBOX_LEASE,
    INBOX_MAX_ATTEMPTS,
    _claim,
    _process_one,
    inbox_process,
    inbox_requeue,
    inbox_retry,
)
from notifications.models import InboundMessage, InboundState, OutboundMessage
from offices.tests.factories import OfficeFactory

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
STAMP = int(NOW.timestamp())
SECRET = "app-secret-for-the-inbox"
PHONE_ID = "109876500077"
BOOKING = "#JOJO#27061978#07122026#"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def office(db):
    return OfficeFactory(whatsapp_phone_number_id=PHONE_ID, whatsapp_number="+628118100077")


def _message(text, *, message_id, sender="6281234500077"):
    return {
        "from": sender,
        "id": message_id,
        "timestamp": str(STAMP - 5),
        "type": "text",
        "text": {"body": text},
    }


def _post(client, *messages):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": PHONE_ID},
        "messages": list(messages),
    }
    body = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    ).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


@pytest.mark.django_db
def test_a_delivery_is_stored_and_acknowledged_before_it_is_processed(client, office):
    response = _post(
        client,
        _message(BOOKING, message_id="wamid.a"),
        _message("INFO", message_id="wamid.b", sender="6281234500078"),
    )
    assert response.json() == {"handled": 2, "ignored": 0}
    stored = InboundMessage.objects.order_by("provider_message_id")
    assert [(m.provider_message_id, m.state, m.reply) for m in stored] == [
        ("wamid.a", "pending", ""),
        ("wamid.b", "pending", ""),
    ]
    assert stored[0].phone_number_id == PHONE_ID
    assert not Booking.objects.exists()
    assert not OutboundMessage.objects.exists()

    assert inbox_process() == {"done": 2}
    assert set(stored.values_list("state", flat=True)) == {"done"}
    assert Booking.objects.get().phone == "6281234500077"
    assert OutboundMessage.objects.count() == 2  # the confirmation, the help text
    # Redelivered after processing: nothing stored, nothing sent again.
    assert _post(client, _message(BOOKING, message_id="wamid.a")).status_code == 200
    assert inbox_process() == {}
    assert (InboundMessage.objects.count(), OutboundMessage.objects.count()) == (2, 2)


@pytest.mark.django_db
def test_an_id_already_used_by_another_sender_is_not_stored_again(client, office):
    _post(client, _message(BOOKING, message_id="wamid.same"))
    _post(client, _message("STATUS", message_id="wamid.same", sender="6281234500099"))
    inbox_process()
    assert list(InboundMessage.objects.values_list("sender", flat=True)) == ["6281234500077"]
    assert not OutboundMessage.objects.filter(to="6281234500099").exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_process_each_message_exactly_once(office, wait_until):
    client = Client()
    for n in range(12):
        name = "ABCDEFGHIJKL"[n]
        line = f"#JOJO {name}#27061978#07122026#"
        _post(client, _message(line, message_id=f"wamid.{n}", sender=f"62812345001{n:02d}"))
    ids = list(InboundMessage.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait(timeout=10)
            # Both are handed every id (a task delivered twice, the sweep beside it).
            outcomes.append(inbox_process(ids))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)  # a loaded 2-core VM: 12 bookings can take a while
    assert not any(thread.is_alive() for thread in threads)
    errors = list(InboundMessage.objects.values_list("state", "last_error"))
    # The session's real worker (another test's) may take some of the queued tasks
    # too, and still be finishing one: what matters is that every message is answered
    # once, whoever did it.
    assert sum(o.get("done", 0) for o in outcomes) <= 12, (outcomes, errors)
    wait_until(
        lambda: set(InboundMessage.objects.values_list("state", flat=True)) == {"done"},
        f"every message was processed ({outcomes}, {errors})",
    )
    assert Booking.objects.count() == 12
    assert OutboundMessage.objects.filter(kind="booking_confirmed").count() == 12
    assert OutboundMessage.objects.count() == 12  # no second answer to any message


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_taken_again_after_the_lease_and_only_once(client, office):
    _post(client, _message(BOOKING, message_id="wamid.crash"))
    # A worker claims it and dies before processing (its transaction rolled back).
    [lost] = _claim(None, NOW, 10)
    assert inbox_process() == {}  # within the lease nobody else takes it
    assert inbox_requeue(now=NOW + dt.timedelta(seconds=60)) == 0
    later = NOW + INBOX_LEASE + dt.timedelta(seconds=1)
    assert inbox_requeue(now=later) == 1
    assert inbox_process(now=later) == {"done": 1}
    # The first worker coming back to life with its old claim changes nothing.
    assert _process_one(lost) == "skipped"
    record = InboundMessage.objects.get()
    assert (record.state, record.attempts) == ("done", 2)
    assert Booking.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_message_that_keeps_failing_is_parked_for_an_operator_and_can_be_retried(
    client, office, monkeypatch, caplog
):
    _post(client, _message("#SECRET NAME#27061978#07122026#", message_id="wamid.poison"))

    def broken(**kwargs):
        raise ValueError("cannot handle #SECRET NAME# of 6281234500077")

    monkeypatch.setattr(inbound, "import_string", lambda path: broken)
    at = NOW
    for attempt in range(1, INBOX_MAX_ATTEMPTS + 1):
        outcome = inbox_process(now=at)
        record = InboundMessage.objects.get()
        assert record.attempts == attempt
        assert outcome == ({"parked": 1} if attempt == INBOX_MAX_ATTEMPTS else {"retry": 1})
        assert inbox_process(now=at) == {}  # not again before the lease ends
        at += INBOX_LEASE + dt.timedelta(seconds=1)
    assert record.state == InboundState.PARKED
    assert record.last_error == f"attempt {INBOX_MAX_ATTEMPTS}: ValueError"
    assert "SECRET" not in caplog.text
    assert "6281234500077" not in caplog.text
    assert not Booking.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert inbox_process(now=at) == {}  # parked stays parked

    # The operator sees it in the admin (state filter) and processes it again.
    admin = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-ops-123456")
    admin_client = Client()
    admin_client.force_login(admin)
    page = admin_client.get("/admin/notifications/inboundmessage/?state__exact=parked")
    assert page.status_code == 200
    assert "wamid.poison" not in page.content.decode()  # ids are searchable, not listed
    assert "ValueError" in page.content.decode()
    assert "SECRET NAME" not in page.content.decode()  # unprocessed text is not shown
    monkeypatch.undo()
    assert inbox_retry(ids=[record.pk]) == 1
    assert inbox_process(now=at) == {"done": 1}
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_the_sweep_parks_a_message_that_killed_its_worker_every_time(client, office):
    _post(client, _message(BOOKING, message_id="wamid.killer"))
    at = NOW
    for _attempt in range(INBOX_MAX_ATTEMPTS):
        assert len(_claim(None, at, 10)) == 1  # claimed, then the worker died
        at += INBOX_LEASE + dt.timedelta(seconds=1)
    assert _claim(None, at, 10) == []
    assert inbox_requeue(now=at) == 0
    record = InboundMessage.objects.get()
    assert (record.state, record.last_error) == ("parked", "gave up after 5 attempts")


# --- One drain per burst, replies sent by the drain ---------------------------------


@pytest.fixture
def published(monkeypatch):
    """The drain tasks the code publishes (not handed to the session's real worker)."""
    from django.core.cache import cache

    from notifications.tasks import drain_inbox

    sent = []
    monkeypatch.setattr(drain_inbox, "apply_async", lambda *a, **kw: sent.append(kw))
    cache.delete(inbound.DRAIN_FLAG)
    yield sent
    cache.delete(inbound.DRAIN_FLAG)


@pytest.mark.django_db
def test_a_burst_of_deliveries_publishes_one_drain_task_not_one_per_delivery(
    client, office, published, django_capture_on_commit_callbacks
):
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            _post(client, _message("INFO", message_id=f"wamid.burst.{n}", sender=f"628123450{n}"))
    assert len(published) == 1
    assert InboundMessage.objects.filter(state="pending").count() == 5

    # The task clears the flag as it starts: a delivery stored after its claims
    # publishes a task of its own, and a redelivery (nothing new stored) none.
    inbound._drain_started()
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _message("INFO", message_id="wamid.burst.0", sender="6281234500"))
    assert len(published) == 1
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _message("INFO", message_id="wamid.burst.late", sender="6281234599"))
    assert len(published) == 2


@pytest.mark.django_db
def test_the_sweep_publishes_a_drain_even_when_the_flag_says_one_is_queued(
    client, office, published
):
    from django.core.cache import cache

    _post(client, _message("INFO", message_id="wamid.lost"))
    cache.add(inbound.DRAIN_FLAG, 1, timeout=60)  # a task was published, then lost
    assert inbox_requeue(now=NOW + dt.timedelta(minutes=1)) == 1
    assert len(published) == 1


# Transactional: the replies are collected as their transactions commit.
@pytest.mark.django_db(transaction=True)
def test_the_drain_answers_every_pending_message_and_sends_the_replies_itself(
    client, office, published, monkeypatch
):
    from notifications import services
    from notifications.backends import locmem
    from notifications.tasks import send_outbound_message, send_outbound_messages

    hops = []
    monkeypatch.setattr(send_outbound_message, "apply_async", lambda *a, **kw: hops.append(a))
    monkeypatch.setattr(send_outbound_messages, "apply_async", lambda *a, **kw: hops.append(a))
    monkeypatch.setattr(inbound, "INBOX_CHUNK", 2)  # three chunks
    senders = [f"62812345006{n}" for n in range(5)]
    for n, sender in enumerate(senders):
        line = f"#JOJO {'ABCDE'[n]}#27061978#07122026#"
        _post(client, _message(line, message_id=f"wamid.drain.{n}", sender=sender))

    assert inbound.inbox_drain() == {"done": 5}
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {"done"}
    assert Booking.objects.count() == 5
    # Every confirmation went out from the drain, not through a task of its own.
    assert hops == []
    confirmations = OutboundMessage.objects.filter(kind="booking_confirmed")
    assert sorted(confirmations.values_list("to", "status")) == [(s, "sent") for s in senders]
    assert sorted(m.to for m in locmem.outbox) == senders
    # The outbox rows stay the record: the sender's limits were asked as for any batch.
    assert services.outbox_drain() == {}


# Transactional: the replies are collected as their transactions commit.
@pytest.mark.django_db(transaction=True)
def test_the_drain_keeps_the_one_user_spacing_for_a_second_reply_to_the_same_phone(
    client, office, published, monkeypatch
):
    from notifications import services
    from notifications.tasks import send_outbound_messages

    later, woken = [], []
    monkeypatch.setattr(send_outbound_messages, "apply_async", lambda *a, **kw: later.append(kw))
    monkeypatch.setattr(services, "_wake_sender", lambda **kw: woken.append(kw))
    _post(client, _message(BOOKING, message_id="wamid.space.1"))
    _post(client, _message("INFO", message_id="wamid.space.2"))
    assert inbound.inbox_drain() == {"done": 2}
    replies = OutboundMessage.objects.filter(to="6281234500077").order_by("pk")
    assert [m.status for m in replies] == ["sent", "queued"]
    assert replies[1].next_attempt_at == NOW + dt.timedelta(seconds=6)
    # Not a Celery countdown (an ETA task held by the worker dies with Redis): the row
    # waits in the table, and the beat's wake-up finds it once it is due.
    assert later == []
    woken.clear()
    assert services.outbox_wake_due(now=NOW + dt.timedelta(seconds=5)) is False
    assert woken == []
    assert services.outbox_wake_due(now=NOW + dt.timedelta(seconds=6)) is True
    assert woken == [{"gather": False}]
    assert services.outbox_drain(now=NOW + dt.timedelta(seconds=6)) == {"sent": 1}


@pytest.mark.django_db
def test_a_chunk_finds_the_office_once_and_reads_its_senders_languages_at_once(
    client, office, published
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    for n in range(4):
        _post(client, _message("INFO", message_id=f"wamid.memo.{n}", sender=f"62812345007{n}"))
    with CaptureQueriesContext(db) as queries:
        assert inbox_process() == {"done": 4}
    sql = [q["sql"] for q in queries.captured_queries]
    assert len([s for s in sql if '"whatsapp_phone_number_id" =' in s]) == 1
    assert len([s for s in sql if 'FROM "notifications_whatsappcontact"' in s]) == 1
    # Each new number's language remembered (one upsert each), and read back next time.
    assert len([s for s in sql if 'INSERT INTO "notifications_whatsappcontact"' in s]) == 4
    from notifications.models import WhatsAppContact

    assert WhatsAppContact.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_reply_the_drain_cannot_send_is_left_queued_for_the_sweep_and_the_drain_goes_on(
    client, office, published, monkeypatch, caplog
):
    from notifications import services

    def broken(ids, **kwargs):
        raise RuntimeError("the sender broke")

    monkeypatch.setattr(inbound, "outbox_send_collected", broken)
    monkeypatch.setattr(inbound, "INBOX_CHUNK", 1)
    for n in range(2):
        _post(client, _message("INFO", message_id=f"wamid.unsent.{n}", sender=f"62812345008{n}"))
    assert inbound.inbox_drain() == {"done": 2}
    assert "left to the outbox sweep (RuntimeError)" in caplog.text
    replies = OutboundMessage.objects.all()
    assert [m.status for m in replies] == ["queued", "queued"]
    # The outbox's sweep finds them once they count as undispatched, and sends them.
    later = NOW + services.UNDISPATCHED_AFTER + dt.timedelta(seconds=1)
    monkeypatch.setattr(services, "_dispatch_many", lambda ids: None)
    assert services.outbox_requeue(now=later) == 2
    assert services.outbox_drain(now=later) == {"sent": 2}
