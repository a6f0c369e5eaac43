"""Drill: a real Celery worker is SIGKILLed in the middle of its work, and another one
takes over. Nothing in the application waits for the drill: the worker is held by
the outside world (the provider not answering; a row lock held by this test), which
is where real workers get stuck.

What must hold: the work finishes, and nothing is done twice that can be done once.
The expiry job is one transaction per batch, so a killed batch rolls back and the next
run expires each no-show once, with one event and one notice. An outbox send killed
after the provider accepted the message is at-least-once: the sweep sends it again
after STUCK_AFTER (and says so on the row); killed before, it arrives once.
"""

import datetime as dt

import psycopg
import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from bookings.models import Booking, BookingEvent
from bookings.services import bookings_expire_no_shows
from bookings.tasks import expire_no_shows
from bookings.tests.factories import book
from immigration.tests.drills import (
    DRILL_DB_KILL,
    Worker,
    broker,
    current_database_url,
    redis_url,
    running_worker,
    wait_for,
)
from notifications.models import OutboundMessage
from notifications.services import (
    STUCK_AFTER,
    UNFINISHED_SEND,
    outbox_enqueue,
    outbox_requeue,
    outbox_wake_due,
)
from offices.models import Slot
from offices.tests.factories import OfficeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.drill]

PHONE = "6281234500077"
PHONE_ID = "109876500077"


def _status(message_id: int) -> str:
    return OutboundMessage.objects.get(pk=message_id).status


@pytest.mark.parametrize(
    ("killed", "sends"),
    [("after", 2), ("before", 1)],
    ids=["after-the-provider-accepted", "before-the-provider-accepted"],
)
def test_an_outbox_send_killed_mid_flight_is_sent_again_by_the_sweep(provider, killed, sends):
    queue = redis_url(DRILL_DB_KILL)
    with broker(queue):
        first = Worker(broker_url=queue, env=provider.worker_env).start()
        try:
            provider.hold(killed)
            with transaction.atomic():
                message = outbox_enqueue(
                    to=PHONE, text="Halo", kind="drill", phone_number_id=PHONE_ID
                )
            wait_for(provider.holding.is_set, "the worker is waiting for the provider's answer")
            first.kill()
        finally:
            first.stop()
            provider.release()
        stuck = OutboundMessage.objects.get(pk=message.pk)
        assert (stuck.status, stuck.attempts) == ("sending", 1)
        assert provider.sends_to(PHONE) == sends - 1

        with running_worker(broker_url=queue, env=provider.worker_env):
            assert outbox_requeue() == 0  # a send still within STUCK_AFTER is left alone
            # STUCK_AFTER passes (dated back: the worker reads the real clock).
            OutboundMessage.objects.filter(pk=message.pk).update(
                claimed_at=F("claimed_at") - STUCK_AFTER - dt.timedelta(minutes=1)
            )
            assert outbox_requeue() == 1
            wait_for(lambda: _status(message.pk) == "sent", "the new worker sent it")
            assert outbox_requeue() == 0

    sent = OutboundMessage.objects.get(pk=message.pk)
    assert sent.attempts == 2
    assert sent.last_error == UNFINISHED_SEND  # the admin shows it may have come twice
    assert sent.provider_message_id == f"wamid.drill.{sends}"
    assert provider.sends_to(PHONE) == sends


def _expiry_notices_sent(phone: str, provider) -> int:
    return sum(
        1
        for body in provider.sends
        if body.get("to") == phone
        and (
            body.get("template", {}).get("name") == "antrean_booking_expired"
            or "forfeited" in body.get("text", {}).get("body", "")
            or "hangus" in body.get("text", {}).get("body", "")
        )
    )


def _waiting_on_a_slot_lock() -> int | None:
    """The backend of a worker blocked on the slot row this test holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            # The sweep's batch statement (bookings/services/sweeps.py, _EXPIRE_BATCH).
            ["%UPDATE offices_slot AS s SET booked%"],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def test_a_worker_killed_in_the_middle_of_the_expiry_job(provider):
    office = OfficeFactory(whatsapp_phone_number_id=PHONE_ID, hours__daily_capacity=28)
    queue = redis_url(DRILL_DB_KILL)
    with broker(queue):
        late = [book(office) for _ in range(6)]  # two a slot: three slots
        Booking.objects.filter(pk__in=[b.pk for b in late]).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
        slots = sorted({b.slot_id for b in late})
        assert len(slots) == 3

        # The batch locks its slots in id order: holding the last one stops the
        # worker after it marked every booking expired and locked two slots.
        with psycopg.connect(current_database_url()) as holder:
            holder.execute("SELECT 1 FROM offices_slot WHERE id = %s FOR UPDATE", [slots[-1]])
            first = Worker(broker_url=queue, env=provider.worker_env).start()
            try:
                expire_no_shows.delay()
                wait_for(lambda: _waiting_on_a_slot_lock() is not None, "the batch is under way")
                backend = _waiting_on_a_slot_lock()
                first.kill()
            finally:
                first.stop()
            holder.rollback()
        wait_for(lambda: not _backend_alive(backend), "PostgreSQL ended the dead worker's session")

        # The killed batch rolled back whole: nothing half-applied.
        assert set(
            Booking.objects.filter(pk__in=[b.pk for b in late]).values_list("status", flat=True)
        ) == {"booked"}
        assert list(
            Slot.objects.filter(pk__in=slots).order_by("pk").values_list("booked", flat=True)
        ) == [2, 2, 2]
        assert not BookingEvent.objects.filter(to_status="expired").exists()
        assert not OutboundMessage.objects.filter(kind="booking_expired").exists()

        with running_worker(broker_url=queue, env=provider.worker_env):
            expire_no_shows.delay()
            wait_for(
                lambda: not Booking.objects.filter(office=office, status="booked").exists(),
                "the new worker expired every no-show",
            )
            assert bookings_expire_no_shows() == 0  # a second run finds nothing to do
            notices = OutboundMessage.objects.filter(kind="booking_expired")

            def all_sent() -> bool:
                # One phone: the notices go ~6 s apart; those held back wait in the
                # table, and the beat (not running in a drill) wakes the sender for them.
                outbox_wake_due()
                return notices.count() == 6 and not notices.exclude(status="sent").exists()

            wait_for(all_sent, "every expiry notice was sent", seconds=90)

    assert list(
        Slot.objects.filter(pk__in=slots).order_by("pk").values_list("booked", flat=True)
    ) == [0, 0, 0]
    for booking in late:
        assert BookingEvent.objects.filter(booking=booking, to_status="expired").count() == 1
        assert (
            OutboundMessage.objects.filter(**booking.about.fields(), kind="booking_expired").count()
            == 1
        )
        assert _expiry_notices_sent(booking.phone, provider) == 1
