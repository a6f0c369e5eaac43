"""Queue numbers: the day's next sequence numbers for new bookings and confirmed
holds. Takes no lock of its own; callers hold the office-day advisory lock."""

import datetime as dt

from bookings.models import (
    HOLDING_STATUSES,
    Booking,
)
from offices.models import Office, Slot


def _queue_seqs(office: Office, day: dt.date, slot: Slot, how_many: int) -> list[int]:
    """The lowest free queue numbers in the slot's range; numbers follow slot order."""
    first, last = slot.queue_base + 1, slot.queue_base + slot.capacity
    taken = set(
        Booking.objects.filter(
            office=office, date=day, status__in=HOLDING_STATUSES, queue_seq__range=(first, last)
        ).values_list("queue_seq", flat=True)
    )
    free = [n for n in range(first, last + 1) if n not in taken][:how_many]
    if len(free) < how_many:
        # The day was re-planned and ranges moved: number after the day's last.
        top = max(_day_top_seq(office, day), last)
        free += list(range(top + 1, top + 1 + how_many - len(free)))
    return free


def _day_top_seq(office: Office, day: dt.date) -> int:
    return (
        Booking.objects.filter(office=office, date=day, status__in=HOLDING_STATUSES)
        .order_by("-queue_seq")
        .values_list("queue_seq", flat=True)
        .first()
        or 0
    )
