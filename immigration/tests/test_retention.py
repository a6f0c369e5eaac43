"""The retention jobs as operators meet them: nightly beat tasks, a real worker, and
`manage.py erase_personal_data [--dry-run]`, all speaking in counts only."""

import datetime as dt
import io
import logging

import pytest
import time_machine
from celery.schedules import crontab
from django.core.management import call_command
from django.utils import timezone

from bookings.models import Booking
from bookings.tasks import erase_personal_data
from bookings.tests.factories import applicant, book, office
from immigration.celery import app
from notifications.models import InboundMessage, OutboundMessage
from notifications.tasks import erase_old_messages

# A year and a half after the factories' bookings (7 December 2026).
LATER = dt.datetime(2028, 6, 1, 2, 0, tzinfo=dt.UTC)
NAME = "SITI NUR'AINI"


def _old_data():
    booking = book(office(), person=applicant(NAME))
    message = OutboundMessage.objects.create(
        to="6281234567890", text=f"Halo {NAME}", kind="booking_confirmed", status="sent"
    )
    InboundMessage.objects.create(
        provider_message_id="wamid.1",
        sender="6281234567890",
        text=f"#{NAME}#17051990#07122026#",
        received_at=dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC),
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    )
    return booking


def _command(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(LATER, tick=False):
        call_command("erase_personal_data", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "task", ["bookings.tasks.erase_personal_data", "notifications.tasks.erase_old_messages"]
)
def test_beat_runs_each_erasure_nightly(task):
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == task]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {19}  # 02:xx WIB, offices closed
    assert schedule.day_of_week == set(range(7))


def test_complaint_contacts_are_purged_by_the_complaints_daily_round():
    daily = app.conf.beat_schedule["complaints-daily"]
    assert daily["task"] == "complaints.tasks.daily"
    assert isinstance(daily["schedule"], crontab)


@pytest.mark.django_db
def test_a_dry_run_counts_and_changes_nothing():
    booking = _old_data()
    before = list(Booking.objects.values()), list(OutboundMessage.objects.values())
    output = _command("--dry-run")
    assert "Dry run: nothing was changed" in output
    assert "bookings_erased: 1" in output
    assert "outbound_erased: 1" in output
    assert "inbound_deleted: 1" in output
    assert (list(Booking.objects.values()), list(OutboundMessage.objects.values())) == before
    assert InboundMessage.objects.count() == 1
    assert NAME not in output
    assert Booking.objects.get(pk=booking.pk).name == NAME


@pytest.mark.django_db
def test_the_command_erases_and_prints_counts_only():
    booking = _old_data()
    output = _command()
    assert "bookings_erased: 1" in output
    assert "outbound_erased: 1" in output
    assert "inbound_deleted: 1" in output
    assert "complaint_contacts_erased: 0" in output
    assert NAME not in output
    booking.refresh_from_db()
    assert (booking.name, booking.phone) == ("", "")
    assert "bookings_erased: 0" in _command()


@pytest.mark.django_db
def test_the_tasks_log_counts_and_no_personal_data(caplog):
    _old_data()
    with time_machine.travel(LATER, tick=False), caplog.at_level(logging.INFO):
        assert erase_personal_data() == 1
        assert erase_old_messages()["outbound_erased"] == 1
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention:")]
    assert lines == [
        "retention: 1 booking(s) erased",
        "retention: 1 outbound message(s) erased, 1 inbound and 0 contact(s) deleted",
    ]
    assert NAME not in caplog.text
    assert "6281234567890" not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_worker_erases_a_booking_past_the_period(celery_worker_process, wait_until):
    place = office()
    old, recent = book(place), book(place)
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    Booking.objects.filter(pk=old.pk).update(date=long_ago)
    erase_personal_data.delay()
    wait_until(
        lambda: Booking.objects.get(pk=old.pk).personal_data_erased_at is not None,
        "the worker erased the old booking",
    )
    assert Booking.objects.get(pk=old.pk).name == ""
    assert Booking.objects.get(pk=recent.pk).name == recent.name
