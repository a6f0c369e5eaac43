"""The supervisors' figures, read in a few grouped queries over the offices in reach.

Bookings per day against capacity, check-in and no-show rates, channel mix, the wait
from arrival to a counter, and complaints by category and state.
"""

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Channel,
    CounterCall,
    PriorityTicket,
)
from complaints.models import Category, ComplaintStatus
from complaints.services import overdue_complaints
from offices.selectors import offices_capacity

ARRIVED = [
    BookingStatus.CHECKED_IN,
    BookingStatus.SUBMITTED,
    BookingStatus.PAID,
    BookingStatus.READY,
    BookingStatus.COLLECTED,
]


@dataclass(frozen=True)
class DayRow:
    date: dt.date
    capacity: int
    booked: int
    arrived: int
    no_show: int

    @property
    def fill_percent(self) -> int | None:
        """Booked against planned capacity; None on a day with no capacity (closed)."""
        return round(100 * self.booked / self.capacity) if self.capacity else None


def days(offices, start: dt.date, end: dt.date) -> list[DayRow]:
    capacity = offices_capacity(offices=offices, start=start, end=end)
    counts = {
        row["date"]: row
        for row in Booking.objects.filter(office__in=offices, date__range=(start, end))
        .values("date")
        .annotate(
            booked=Count("pk", filter=~Q(status=BookingStatus.CANCELLED)),
            arrived=Count("pk", filter=Q(status__in=ARRIVED)),
            no_show=Count("pk", filter=Q(status=BookingStatus.EXPIRED)),
        )
    }
    rows = []
    day = start
    while day <= end:
        row = counts.get(day, {})
        rows.append(
            DayRow(
                day,
                capacity.get(day, 0),
                row.get("booked", 0),
                row.get("arrived", 0),
                row.get("no_show", 0),
            )
        )
        day += dt.timedelta(days=1)
    return rows


WALK_IN = "walk-in"
CHANNEL_LABELS = {**dict(Channel.choices), WALK_IN: _("Priority walk-in")}


def channels(offices, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    mix = dict(
        Booking.objects.filter(office__in=offices, date__range=(start, end))
        .exclude(status=BookingStatus.CANCELLED)
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    walk_in = PriorityTicket.objects.filter(office__in=offices, date__range=(start, end)).count()
    return [(name, mix.get(name, 0)) for name in ("whatsapp", "web", "api", "admin", "desk")] + [
        (WALK_IN, walk_in)
    ]


def median_wait_minutes(offices, start: dt.date, end: dt.date) -> float | None:
    """Median minutes from check-in at the door to the call to a counter."""
    calls = CounterCall.objects.filter(
        office__in=offices, date__range=(start, end), booking__isnull=False
    )
    arrivals = dict(
        BookingEvent.objects.filter(
            booking__in=calls.values("booking"), to_status=BookingStatus.CHECKED_IN
        ).values_list("booking_id", "created_at")
    )
    waits = [
        (call.called_at - arrivals[call.booking_id]).total_seconds() / 60
        for call in calls.only("booking_id", "called_at")
        if call.booking_id in arrivals and call.called_at >= arrivals[call.booking_id]
    ]
    return round(statistics.median(waits), 1) if waits else None


def complaints_table(complaints) -> list[dict]:
    """Counts by category and status: the codes (for CSV) and their labels (for people)."""
    rows = list(
        complaints.values("category", "status")
        .annotate(n=Count("pk"))
        .order_by("category", "status")
    )
    for row in rows:
        row["category_label"] = Category(row["category"]).label
        row["status_label"] = ComplaintStatus(row["status"]).label
    return rows


def overdue_count(complaints) -> int:
    return overdue_complaints().filter(pk__in=complaints.values("pk")).count()
