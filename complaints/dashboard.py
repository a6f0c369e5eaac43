"""The supervisors' figures, read in a few grouped queries over the offices in reach.

Bookings per day against capacity, check-in and no-show rates, channel mix, the wait
from arrival to a counter, complaints by category and state, and the counter's serving
order with its counts per officer and day.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum

from bookings.models import (
    ActorKind,
    Booking,
    BookingEvent,
    BookingStatus,
    Channel,
    CounterCall,
    CounterService,
    OutOfTurnReason,
    PriorityTicket,
)
from complaints.services import overdue_complaints
from offices import schedule
from offices.models import Slot

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
    def fill_percent(self) -> int:
        return round(100 * self.booked / self.capacity) if self.capacity else 0


def days(offices, start: dt.date, end: dt.date) -> list[DayRow]:
    capacity = dict(
        Slot.objects.filter(office__in=offices, date__range=(start, end))
        .values_list("date")
        .annotate(total=Sum("capacity"))
    )
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


def channels(offices, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    mix = dict(
        Booking.objects.filter(office__in=offices, date__range=(start, end))
        .exclude(status=BookingStatus.CANCELLED)
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    walk_in = PriorityTicket.objects.filter(office__in=offices, date__range=(start, end)).count()
    return [(name, mix.get(name, 0)) for name in ("whatsapp", "web", "api", "admin", "desk")] + [
        ("walk-in", walk_in)
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
    return list(
        complaints.values("category", "status")
        .annotate(n=Count("pk"))
        .order_by("category", "status")
    )


def overdue_count(complaints) -> int:
    return overdue_complaints().filter(pk__in=complaints.values("pk")).count()


# --- the counter: serving order and counts per officer and day (issue 17, section 5) ---
# The Ombudsman found calo's clients served first at the counter. Nothing here blocks an
# officer; it makes each exception visible to the supervisor, beside the walk-ins the
# same officers booked or ticketed.


@dataclass
class OfficerDay:
    """What one officer did at one office on one day (the office's local date)."""

    office: str
    date: dt.date
    officer: str
    served: int = 0
    in_turn: int = 0
    out_of_turn: int = 0
    reasons: dict = field(default_factory=dict)
    called_not_served: int = 0
    walk_in_bookings: int = 0
    priority_tickets: int = 0

    @property
    def reason_list(self) -> list[tuple[str, int]]:
        """(label, count) of each reason given, in the order of OutOfTurnReason."""
        given = [r for r in OutOfTurnReason if r.value in self.reasons]
        return [(r.label, self.reasons[r.value]) for r in given]


@dataclass(frozen=True)
class ServiceLine:
    """One service in the serving order, its times already in the office's zone."""

    office: str
    date: dt.date
    counter: int
    number: str
    officer: str
    called_at: str
    served_at: str
    in_turn: bool
    reason: str
    reason_label: str
    note: str


def _local(instant: dt.datetime | None, office) -> str:
    if instant is None:
        return ""
    local = instant.astimezone(schedule.office_zone(office))
    return f"{local:%Y-%m-%d %H:%M} {office.zone_label}"


def officer_days(offices, start: dt.date, end: dt.date) -> list[OfficerDay]:
    """Counts per office, day and officer: services in and out of turn (by reason),
    bookings called to a counter and never served, walk-in bookings made by staff at
    the desk or in the admin, priority tickets issued. Four grouped queries."""
    rows: dict[tuple, OfficerDay] = {}

    def row(office: str, day: dt.date, officer: str | None) -> OfficerDay:
        key = (office, day, officer or "-")
        return rows.setdefault(key, OfficerDay(*key))

    reason_counts = {
        reason: Count("pk", filter=Q(out_of_turn_reason=reason))
        for reason in OutOfTurnReason.values
    }
    for item in (
        CounterService.objects.filter(office__in=offices, date__range=(start, end))
        .values("office__name", "date", "actor_label")
        .annotate(served=Count("pk"), in_turn=Count("pk", filter=Q(in_turn=True)), **reason_counts)
        .order_by()
    ):
        line = row(item["office__name"], item["date"], item["actor_label"])
        line.served, line.in_turn = item["served"], item["in_turn"]
        line.out_of_turn = item["served"] - item["in_turn"]
        line.reasons = {r: item[r] for r in OutOfTurnReason.values if item[r]}
    for item in (
        CounterCall.objects.filter(
            office__in=offices,
            date__range=(start, end),
            booking__isnull=False,
            booking__counter_service__isnull=True,
        )
        .values("office__name", "date", "called_by__username")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row(
            item["office__name"], item["date"], item["called_by__username"]
        ).called_not_served = item["n"]
    for item in (
        BookingEvent.objects.filter(
            booking__office__in=offices,
            booking__date__range=(start, end),
            from_status="",
            actor_kind=ActorKind.STAFF,
            channel__in=[Channel.DESK, Channel.ADMIN],
        )
        .values("booking__office__name", "booking__date", "actor_label")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row(
            item["booking__office__name"], item["booking__date"], item["actor_label"]
        ).walk_in_bookings = item["n"]
    for item in (
        PriorityTicket.objects.filter(office__in=offices, date__range=(start, end))
        .values("office__name", "date", "issued_by__username")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        row(
            item["office__name"], item["date"], item["issued_by__username"]
        ).priority_tickets = item["n"]
    return sorted(rows.values(), key=lambda r: (-r.date.toordinal(), r.office, r.officer))


def serving_order(
    offices, start: dt.date, end: dt.date, *, out_of_turn_only: bool = False, limit: int = 500
) -> list[ServiceLine]:
    """The services in the order they happened (newest first), each with its call."""
    services = (
        CounterService.objects.filter(office__in=offices, date__range=(start, end))
        .select_related("office", "booking", "call")
        .order_by("-served_at", "-pk")
    )
    if out_of_turn_only:
        services = services.filter(in_turn=False)
    return [
        ServiceLine(
            office=s.office.name,
            date=s.date,
            counter=s.counter,
            number=s.booking.queue_number,
            officer=s.actor_label,
            called_at=_local(s.call.called_at if s.call else None, s.office),
            served_at=_local(s.served_at, s.office),
            in_turn=s.in_turn,
            reason=s.out_of_turn_reason,
            reason_label=s.get_out_of_turn_reason_display() if s.out_of_turn_reason else "",
            note=s.out_of_turn_note,
        )
        for s in services[:limit]
    ]
