"""Drill (review of #19, h27-review): a notice the sender spaced (WhatsApp's one message
per user about every 6 s) waits while Redis restarts (empty, as after a crash).

Commit 1aa5d74 moved the sender's gather off Celery's countdown because "a message with
an ETA was held unacknowledged by the worker, and kombu's restore of it when Redis went
away killed the worker". The spaced and paced notices went out through countdowns too,
and this drill killed the worker; they now wait in the table for the beat's
`wake_outbox_due` (a family booked from one phone is the usual case). What must hold:
the worker lives through the restart, and the family's second notice reaches the
provider exactly once.
"""

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from immigration.tests.drills import (
    booking_request,
    broker,
    open_day,
    redis_url,
    running_worker,
    verified_phone_key,
    wait_for,
)
from notifications.models import OutboundMessage
from notifications.services import outbox_requeue
from offices.tests.factories import OfficeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

DRILL_DB_SPACED = 15  # a Redis database of its own: only this drill's worker reads it
SPACING_SECONDS = 20


def test_a_spaced_notice_waiting_in_the_worker_survives_a_redis_restart(servers, provider):
    office = OfficeFactory(whatsapp_phone_number_id="109876500015")
    day = open_day(office, places=2)
    client = Client(
        raise_request_exception=False,
        HTTP_AUTHORIZATION=f"Api-Key {verified_phone_key(office)}",
    )
    body = booking_request(office, day, 1)
    body["family"] = [{"name": "ANGGOTA KELUARGA", "birth_date": "2015-03-02"}]
    queue = redis_url(DRILL_DB_SPACED)
    env = {**provider.worker_env, "WHATSAPP_SAME_USER_SECONDS": str(SPACING_SECONDS)}
    with broker(queue), running_worker(broker_url=queue, env=env) as worker:
        response = client.post("/api/v1/bookings/", body, content_type="application/json")
        assert response.status_code == 201, response.content
        wait_for(lambda: len(provider.sends) == 1, "the family's first notice went")
        spaced = OutboundMessage.objects.get(to=provider.sends[0]["to"], status="queued")
        assert spaced.next_attempt_at > timezone.now()  # held back by the spacing
        time.sleep(1)  # whatever the worker would hold for later, it holds by now

        with servers.redis_stopped():
            time.sleep(3)

        wait_for(worker.answers, "the worker lived through the restart", seconds=60)
        # The beat's sweep once the spacing has passed (this drill runs no beat).
        time.sleep(SPACING_SECONDS)
        outbox_requeue(now=timezone.now() + dt.timedelta(minutes=2))
        wait_for(lambda: len(provider.sends) >= 2, "the spaced notice went", seconds=60)
        time.sleep(2)
    assert len(provider.sends) == 2  # each of the family's notices exactly once
    assert OutboundMessage.objects.get(pk=spaced.pk).status == "sent"
