"""Queue numbers: the day's next sequence numbers for new bookings and confirmed
holds, written once in SQL (bookings/sql/booking_place.sql: `booking_queue_seqs`,
`booking_day_top_seq`), which `booking_place` uses for new bookings and these wrappers
for a confirmed hold. Takes no lock of its own: callers hold the slot's row lock."""

import datetime as dt

from django.db import connection

from offices.models import Office, Slot


def _queue_seqs(office: Office, day: dt.date, slot: Slot, how_many: int) -> list[int]:
    """The lowest free queue numbers in the slot's range; numbers follow slot order
    (after the day's last when a re-plan moved the ranges)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT booking_queue_seqs(%s, %s, %s, %s, %s)",
            [office.pk, day, slot.queue_base, slot.capacity, how_many],
        )
        return list(cursor.fetchone()[0])


def _day_top_seq(office: Office, day: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT booking_day_top_seq(%s, %s)", [office.pk, day])
        return cursor.fetchone()[0]
