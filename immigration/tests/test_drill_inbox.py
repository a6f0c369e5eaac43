"""Drill: the WhatsApp webhook acknowledges deliveries while the worker is down, and
while Redis is down (then started again, empty, as after a crash). What must hold:
every delivery is answered 200 at once, every acknowledged message is processed once
the worker (or Redis, and the beat's sweep) is back, and each applicant gets exactly
one confirmation from the provider: a 200 is a promise the inbox keeps."""

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from django.utils import timezone

from bookings.models import Booking
from immigration.tests.drills import (
    DRILL_DB_INBOX,
    broker,
    open_day,
    redis_url,
    running_worker,
    wait_for,
)
from notifications import inbound
from notifications.inbound import inbox_requeue
from notifications.models import InboundMessage
from offices.tests.factories import OfficeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

SECRET = "app-secret-for-the-inbox-drill"
PHONE_ID = "109876500044"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.WHATSAPP_APP_SECRET = SECRET


@pytest.fixture(params=["django", "fast_path"])
def client(request):
    """Deliveries through Django's handler (the webhook's middleware), or through the
    WSGI application gunicorn serves (its fast path, notifications/webhook_wsgi.py)."""
    if request.param == "fast_path":
        from notifications.tests.wsgi_client import FastPathClient

        return FastPathClient()
    return Client(raise_request_exception=False)


def _deliver(client, day: dt.date, n: int) -> tuple[int, dict]:
    """Applicant `n` books `day` through the signed webhook (stamped by the real clock:
    the worker processes cannot share a frozen one)."""
    letters = "".join(chr(65 + int(digit)) for digit in f"{n:04d}")
    message = {
        "from": f"62812990{n:05d}",
        "id": f"wamid.drill.inbox.{n}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": f"#PEMOHON {letters}#17051990#{day:%d%m%Y}#"},
    }
    value = {"metadata": {"phone_number_id": PHONE_ID}, "messages": [message]}
    body = json.dumps({"entry": [{"changes": [{"value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/whatsapp/webhook/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    return response.status_code, response.json()


def _all_processed() -> bool:
    return not InboundMessage.objects.exclude(state="done").exists()


def _each_confirmed_once(provider, count: int) -> None:
    phones = [f"62812990{n:05d}" for n in range(count)]
    assert Booking.objects.filter(phone__in=phones).count() == count
    assert {phone: provider.sends_to(phone) for phone in phones} == dict.fromkeys(phones, 1)


def test_deliveries_acknowledged_while_the_worker_is_down_are_processed_when_it_is_back(
    provider, client
):
    office = OfficeFactory(whatsapp_phone_number_id=PHONE_ID)
    day = open_day(office, places=8)
    queue = redis_url(DRILL_DB_INBOX)
    with broker(queue):
        # No worker at all: each delivery is stored, acknowledged, and its task waits.
        answers = [_deliver(client, day, n) for n in range(6)]
        assert answers == [(200, {"handled": 1, "ignored": 0})] * 6
        assert set(InboundMessage.objects.values_list("state", flat=True)) == {"pending"}
        assert not Booking.objects.exists()
        # The provider redelivers one it thinks we missed: still one message.
        assert _deliver(client, day, 0) == (200, {"handled": 1, "ignored": 0})

        with running_worker(broker_url=queue, env=provider.worker_env):
            wait_for(_all_processed, "the worker processed every stored message", seconds=60)
            wait_for(lambda: len(provider.sends) == 6, "every confirmation went out")
    assert InboundMessage.objects.count() == 6
    _each_confirmed_once(provider, 6)


def test_deliveries_acknowledged_while_redis_is_down_are_processed_after_it_is_back(
    servers, provider, client
):
    office = OfficeFactory(whatsapp_phone_number_id=PHONE_ID)
    day = open_day(office, places=10)
    queue = redis_url(DRILL_DB_INBOX)
    with broker(queue), running_worker(broker_url=queue, env=provider.worker_env) as worker:
        assert [_deliver(client, day, n) for n in range(2)] == [
            (200, {"handled": 1, "ignored": 0})
        ] * 2
        wait_for(lambda: len(provider.sends) == 2, "the first two were processed and confirmed")
        # The drain ends one gathering wait after its last chunk: let it end, so that
        # what arrives while Redis is down has no task to take it.
        time.sleep(10 * inbound.INBOX_GATHER_SECONDS)

        with servers.redis_stopped():
            started = time.monotonic()
            during = [_deliver(client, day, n) for n in range(2, 8)]
            # Answered without waiting on Redis: the broker's publish fails fast.
            assert time.monotonic() - started < 6 * 3
            assert during == [(200, {"handled": 1, "ignored": 0})] * 6
            pending = InboundMessage.objects.filter(state="pending")
            assert pending.count() == 6

        wait_for(worker.answers, "the worker reconnected to Redis")
        assert InboundMessage.objects.filter(state="pending").count() == 6  # tasks were lost
        # The beat's sweep a minute later: what no task took is dispatched now.
        assert inbox_requeue(now=timezone.now() + dt.timedelta(minutes=1)) == 6
        wait_for(_all_processed, "the worker processed every stored message", seconds=60)
        wait_for(lambda: len(provider.sends) == 8, "every confirmation went out")
        # A second sweep finds nothing left to do.
        assert inbox_requeue(now=timezone.now() + dt.timedelta(minutes=2)) == 0
    _each_confirmed_once(provider, 8)
