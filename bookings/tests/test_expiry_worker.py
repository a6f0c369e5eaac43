"""The no-show sweep through a real Celery worker on the real Redis broker."""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.models import Booking
from bookings.tasks import expire_no_shows
from bookings.tests.factories import book, office
from offices.models import Slot


@pytest.mark.django_db(transaction=True)
def test_a_worker_expires_a_late_booking(celery_worker_process, wait_until):
    place = office()
    late, upcoming = book(place), book(place)
    # The worker runs on the real clock: one booking past its expiry on it, the other
    # not (its slot's own expiry, on the fixed test day, passes on 7 December 2026).
    Booking.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    Booking.objects.filter(pk=upcoming.pk).update(expires_at=timezone.now() + dt.timedelta(hours=1))
    expire_no_shows.delay()
    wait_until(
        lambda: Booking.objects.get(pk=late.pk).status == "expired",
        "the worker expired the booking",
    )
    assert Booking.objects.get(pk=upcoming.pk).status == "booked"
    assert Slot.objects.get(pk=late.slot_id).booked == 1  # only the upcoming one holds it
