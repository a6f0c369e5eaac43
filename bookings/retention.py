"""Erasing applicants' personal data once a booking is old, keeping what it counts for.

A booking is kept for BOOKING_RETENTION_DAYS after the day of the visit: long enough
for staff to answer questions about it and for a complaint citing it to be handled.
After that its name, birth date, NIK, WhatsApp number and billing code are blanked and
`personal_data_erased_at` is set. The row itself stays, with its office, day, slot,
channel, state, timestamps, queue number and family group code, so the supervisors'
dashboard and every report count last year's days exactly as before; its history keeps
who moved it when (staff and API clients, not the applicant) but loses the free-text
notes, which staff may have written about the person (and the reasons noted for
serving someone out of turn).

Every state is erased, not only the final ones. A booking still "booked" a year after
its day is a no-show the sweep never reached, and one still "checked in" or "ready" is
a passport application whose record lives in the immigration system (SIMKIM), not
here: the appointment is history either way, and keeping a name because nobody clicked
"collected" would keep it forever. Staff can still move such a booking (the figures
follow); no notice goes out, as there is no number left to write to.
"""

import datetime as dt
import operator
from functools import reduce
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from bookings.models import Booking, BookingEvent, CounterService
from offices.models import Office


def bookings_due_for_erasure(*, now: dt.datetime | None = None) -> QuerySet[Booking]:
    """The bookings not yet erased whose day lies more than the retention period before
    today, where "today" is each office's own (at 23:30 WIB it is already tomorrow in
    WIT). What the next run erases, and what a dry run counts."""
    now = now or timezone.now()
    keep = dt.timedelta(days=settings.BOOKING_RETENTION_DAYS)
    zones = Office.objects.order_by().values_list("timezone", flat=True).distinct()
    # Subqueries, not a join: locking these bookings must not lock office rows.
    past = [
        Q(
            office__in=Office.objects.filter(timezone=zone),
            date__lt=now.astimezone(ZoneInfo(zone)).date() - keep,
        )
        for zone in zones
    ]
    if not past:
        return Booking.objects.none()
    return Booking.objects.filter(reduce(operator.or_, past), personal_data_erased_at__isnull=True)


def bookings_erase_personal_data(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Erase the personal data of every booking past the retention period, in batches.
    Returns how many bookings were erased.

    Idempotent (an erased booking is no longer due), and safe with several runs at
    once: each batch locks its booking rows with SKIP LOCKED, so two runs take disjoint
    batches, and a booking a desk is moving right now is left for the next run. Each
    batch commits on its own, so it refuses to run inside a caller's transaction
    (durable: RuntimeError), which would hold every batch's locks to the end.
    """
    now = now or timezone.now()
    due = bookings_due_for_erasure(now=now)
    total = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by("date", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            # `updated_at` is left alone: it is when the booking last moved.
            Booking.objects.filter(pk__in=ids).update(
                name="",
                birth_date=None,
                nik="",
                phone="",
                billing_code="",
                hold_client="",  # a hold's network address
                personal_data_erased_at=now,
            )
            BookingEvent.objects.filter(booking_id__in=ids).exclude(note="").update(note="")
            # The officer's words on why someone was served out of turn may describe them.
            CounterService.objects.filter(booking_id__in=ids).exclude(out_of_turn_note="").update(
                out_of_turn_note=""
            )
            total += len(ids)
        if len(ids) < batch_size:
            return total
