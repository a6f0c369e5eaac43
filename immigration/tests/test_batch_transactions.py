"""Batch jobs that commit batch by batch (the no-show sweep, the reminders, retention)
refuse to run inside a caller's transaction: there, their "commits" would be savepoints,
every batch's row locks held until the caller ends, and a rollback would undo batches
the job reported done. `transaction.atomic(durable=True)` says so with a RuntimeError
before the first batch changes anything; outside a transaction the same call runs."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.db import transaction

from bookings.models import Booking, BookingStatus
from bookings.retention import bookings_erase_personal_data
from bookings.services import bookings_expire_no_shows, bookings_send_reminders
from bookings.tests.factories import DAY, NOW, book, office
from complaints.services import complaint_messages_erase
from notifications.retention import messages_erase_old

pytestmark = pytest.mark.django_db

# The evening before the visit (a reminder is due), the day after it (the booking is a
# no-show), and past each retention period.
EVE = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(20, 0), tzinfo=NOW.tzinfo)
AFTER = NOW + dt.timedelta(days=8)
ERASE_BOOKINGS = NOW + dt.timedelta(days=settings.BOOKING_RETENTION_DAYS + 10)
ERASE_MESSAGES = NOW + dt.timedelta(days=settings.MESSAGE_RETENTION_DAYS + 10)

# Each job, and what it returns outside a transaction with the one booking below.
JOBS = {
    "expiry sweep": (lambda: bookings_expire_no_shows(now=AFTER), 1),
    "reminders": (lambda: bookings_send_reminders(now=EVE), 1),
    "booking retention": (lambda: bookings_erase_personal_data(now=ERASE_BOOKINGS), 1),
    "message retention": (
        lambda: messages_erase_old(now=ERASE_MESSAGES),
        {"outbound_erased": 0, "inbound_deleted": 0, "contacts_deleted": 0},  # still queued
    ),
    "complaint messages": (lambda: complaint_messages_erase(now=ERASE_MESSAGES), 0),
}


@pytest.fixture
def due_booking() -> Booking:
    with time_machine.travel(NOW, tick=False):
        return book(office())


@pytest.mark.parametrize("job", JOBS)
def test_a_batch_job_refuses_to_run_inside_a_transaction(job, due_booking):
    run, _ = JOBS[job]
    with (
        pytest.raises(RuntimeError, match="durable atomic block cannot be nested"),
        transaction.atomic(),
    ):
        run()
    due_booking.refresh_from_db()
    assert due_booking.status == BookingStatus.BOOKED
    assert due_booking.name  # not erased


@pytest.mark.parametrize("job", JOBS)
def test_outside_a_transaction_the_same_call_runs(job, due_booking):
    run, result = JOBS[job]
    assert run() == result
