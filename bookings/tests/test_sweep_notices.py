"""The no-show sweep is set-based (bookings/services/sweeps.py): its notices are worded
once per slot and language and filled in by PostgreSQL. These tests hold it to the
rows the one-booking path (`notices.notify_expired`) queues, to each no-show told
once, and to a sweep stopped midway being finished by the next."""

import datetime as dt

import pytest
from django.db.models import F
from django.utils import translation

from bookings import notices
from bookings.models import Booking, BookingEvent
from bookings.services import bookings_expire_no_shows
from bookings.tests.factories import DAY, book, office
from notifications.models import OutboundMessage
from offices.models import Slot

pytestmark = pytest.mark.django_db

AFTER_THE_DAY = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)

# Every field of an outbox row that a notice decides (the rest are the sender's).
FIELDS = (
    "to",
    "text",
    "kind",
    "language",
    "sender",
    "phone_number_id",
    "image_qr",
    "template_name",
    "template_params",
    "subject",
    "about_kind",
    "about_id",
    "urgency",
    "status",
    "business_initiated",
    "dedupe_key",
    "attempts",
    "next_attempt_at",
)


def _as_queued_one_at_a_time(booking: Booking) -> dict:
    """The row `notify_expired` queues for `booking`, in a transaction rolled back."""
    from django.db import transaction

    class Undo(Exception):
        pass

    row = {}
    try:
        with transaction.atomic():
            notices.notify_expired(booking)
            message = OutboundMessage.objects.latest("pk")
            row = {field: getattr(message, field) for field in FIELDS}
            raise Undo
    except Undo:
        pass
    return row


def _no_shows():
    """Bookings of two offices in two zones (WIB, WIT), in both languages, with names
    that need care in SQL and JSON (an apostrophe, quotes, a backslash, a marker),
    written past the services' checks: the filling must not depend on them."""
    west, east = office(), office(timezone="Asia/Jayapura")
    names = ["SITI NUR'AINI", 'A "B" C', "BACK\\SLASH", "MUH. FAHRUROZI", "X \x01N \x01C Y"]
    made = []
    for place in (west, east):
        for i, name in enumerate(names):
            booking = book(place)
            Booking.objects.filter(pk=booking.pk).update(
                name=name, language="en" if i % 2 else "id"
            )
            made.append(booking.pk)
    OutboundMessage.objects.all().delete()  # the confirmations
    return made


def test_the_sweep_queues_for_each_no_show_the_row_notify_expired_queues():
    ids = _no_shows()
    expected = {}
    for booking in Booking.objects.filter(pk__in=ids).select_related("office", "slot"):
        booking.status = "expired"
        with translation.override(booking.language):
            expected[booking.pk] = _as_queued_one_at_a_time(booking)
    assert bookings_expire_no_shows(now=AFTER_THE_DAY, batch_size=3) == len(ids)
    rows = OutboundMessage.objects.filter(kind="booking_expired")
    got = {row.about_id: {field: getattr(row, field) for field in FIELDS} for row in rows}
    assert rows.count() == len(ids)  # each no-show told once
    assert got == expected
    assert {row["language"] for row in got.values()} == {"id", "en"}
    assert any("WIT" in row["text"] for row in got.values())


def test_an_erased_no_show_is_expired_and_told_nothing():
    place = office()
    kept, erased = book(place), book(place)
    OutboundMessage.objects.all().delete()
    Booking.objects.filter(pk=erased.pk).update(phone="")
    assert bookings_expire_no_shows(now=AFTER_THE_DAY) == 2
    assert Booking.objects.filter(pk__in=[kept.pk, erased.pk], status="expired").count() == 2
    assert list(OutboundMessage.objects.values_list("about_id", flat=True)) == [kept.pk]


def test_places_go_to_the_waiting_list_only_from_slots_yet_to_start(
    settings, django_capture_on_commit_callbacks
):
    """A no-show's slot has begun, and the waiting list offers only places of slots yet
    to start (`day_places_left`): the sweep hands it a day only when one of the freed
    places is in such a slot (a slot moved later after the booking was made, say)."""
    handed = []
    settings.PLACES_FREED_HANDLER = f"{__name__}.record_handoff"
    record_handoff.calls = handed
    place = office()
    started, moved = book(place), book(place)  # both at 08:00
    later = Slot.objects.filter(office=place, date=DAY).order_by("-starts_at").first()
    now = started.expires_at - dt.timedelta(minutes=1)  # 08:29: the 08:00 slot has begun
    Booking.objects.filter(pk=moved.pk).update(expires_at=now, slot=later)
    Slot.objects.filter(pk=later.pk).update(booked=F("booked") + 1)
    Slot.objects.filter(pk=started.slot_id).update(booked=F("booked") - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert bookings_expire_no_shows(now=now) == 1
    assert handed == [(place.pk, DAY)]
    handed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert bookings_expire_no_shows(now=AFTER_THE_DAY) == 1  # the first: it began
    assert handed == []


def record_handoff(*, office_id, day):
    record_handoff.calls.append((office_id, day))


@pytest.mark.django_db(transaction=True)
def test_a_sweep_stopped_midway_is_finished_by_the_next_and_tells_each_once(monkeypatch):
    ids = _no_shows()
    worded = notices.notify_expired_batch
    calls = []

    def fail_the_third_batch(groups):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return worded(groups)

    monkeypatch.setattr(notices, "notify_expired_batch", fail_the_third_batch)
    with pytest.raises(RuntimeError):
        bookings_expire_no_shows(now=AFTER_THE_DAY, batch_size=3)
    assert Booking.objects.filter(pk__in=ids, status="expired").count() == 6  # two batches
    monkeypatch.setattr(notices, "notify_expired_batch", worded)
    assert bookings_expire_no_shows(now=AFTER_THE_DAY, batch_size=3) == len(ids) - 6
    assert Booking.objects.filter(pk__in=ids, status="expired").count() == len(ids)
    assert BookingEvent.objects.filter(booking_id__in=ids, to_status="expired").count() == len(ids)
    told = OutboundMessage.objects.filter(kind="booking_expired")
    assert sorted(told.values_list("about_id", flat=True)) == sorted(ids)
    slots = Slot.objects.filter(pk__in=Booking.objects.filter(pk__in=ids).values("slot_id"))
    assert sum(slots.values_list("booked", flat=True)) == 0
