"""Changes to an office's calendar and to its slot rows.

Slot rows are the one place bookings count against, so every change that moves or
shrinks them goes through here: a change that would leave a booked place without a
slot, or a slot with fewer places than it has bookings, is refused.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from immigration.errors import ConflictError, DomainError
from immigration.locks import advisory_xact_lock, office_day_key
from offices import release_window, schedule
from offices.models import CapacityOverride, Closure, Office, Slot
from offices.selectors import office_calendar


@dataclass(frozen=True)
class SlotConflict:
    slot: Slot
    new_capacity: int  # 0 when the change removes the slot or closes the day

    def describe(self, office: Office) -> str:
        local = self.slot.starts_at.astimezone(schedule.office_zone(office))
        return _("%(when)s %(zone)s: %(booked)d booked, new capacity %(capacity)d") % {
            "when": f"{date_format(local.date(), 'SHORT_DATE_FORMAT')} {local:%H:%M}",
            "zone": office.zone_label,
            "booked": self.slot.booked,
            "capacity": self.new_capacity,
        }


def _conflicts_for_day(calendar: schedule.OfficeCalendar, day: dt.date, booked: list[Slot]):
    plan = schedule.plan_day(calendar, day)
    planned = {p.starts_at: p.capacity for p in plan.slots}
    for slot in booked:
        new_capacity = planned.get(slot.starts_at, 0)
        if new_capacity < slot.booked:
            yield SlotConflict(slot, new_capacity)


def capacity_conflicts(
    *, calendar: schedule.OfficeCalendar, now: dt.datetime | None = None
) -> list[SlotConflict]:
    """The booked slots that `calendar` (a proposed set of hours, overrides and
    closures) would remove or shrink below their bookings. Changes apply from tomorrow:
    today is under way and keeps its slots."""
    office = calendar.office
    today = schedule.local_today(office, now or timezone.now())
    booked_by_day: dict[dt.date, list[Slot]] = {}
    for slot in Slot.objects.filter(office=office, date__gt=today, booked__gt=0).order_by(
        "starts_at"
    ):
        booked_by_day.setdefault(slot.date, []).append(slot)
    conflicts = []
    for day, booked in booked_by_day.items():
        conflicts.extend(_conflicts_for_day(calendar, day, booked))
    return conflicts


def _queue_bases(plan: schedule.DayPlan) -> list[int]:
    bases, total = [], 0
    for planned in plan.slots:
        bases.append(total)
        total += planned.capacity
    return bases


def _slot(office: Office, day: dt.date, planned: schedule.PlannedSlot, queue_base: int) -> Slot:
    return Slot(
        office=office,
        date=day,
        starts_at=planned.starts_at,
        ends_at=planned.ends_at,
        capacity=planned.capacity,
        queue_base=queue_base,
    )


def _retire(slots: list[Slot]) -> None:
    """Remove slots from a day's offer. A slot still referenced by a cancelled or
    expired booking keeps its row (the history points at it) with capacity 0."""
    for slot in slots:
        try:
            with transaction.atomic():
                slot.delete()
        except ProtectedError:
            Slot.objects.filter(pk=slot.pk).update(capacity=0)


def _refuse(office: Office, conflicts: list[SlotConflict]) -> None:
    if conflicts:
        raise ConflictError(
            code="capacity_below_booked",
            message=_("This change would leave booked applicants without a place: %(list)s")
            % {"list": "; ".join(c.describe(office) for c in conflicts)},
        )


@transaction.atomic
def slots_ensure(*, office: Office, day: dt.date) -> list[Slot]:
    """The slot rows of `day`, created from the office's plan if there are none yet.

    Safe to call from several processes at once: the unique (office, starts_at)
    constraint makes the losers' inserts no-ops. A closed day has no slots. Holds the
    office-day lock shared, so it never plans a day while a closure is being entered.
    """
    advisory_xact_lock(office_day_key(office.pk, day), shared=True)
    existing = list(Slot.objects.filter(office=office, date=day).order_by("starts_at"))
    if existing:
        return existing
    plan = schedule.plan_day(office_calendar(office=office, start=day, end=day), day)
    if not plan.is_open:
        return []
    Slot.objects.bulk_create(
        [
            _slot(office, day, p, base)
            for p, base in zip(plan.slots, _queue_bases(plan), strict=True)
        ],
        ignore_conflicts=True,
    )
    return list(Slot.objects.filter(office=office, date=day).order_by("starts_at"))


PLANNED_PREFIX = "at-"


def planned_slot_value(starts_at: dt.datetime) -> str:
    """How a page names a planned time of a day that has no slot rows yet (the beat
    job `slots_release_due` has not reached it): by its start, since it has no id.
    A page drawn for a GET writes nothing, so it cannot create the rows to name them."""
    return f"{PLANNED_PREFIX}{int(starts_at.timestamp())}"


def slot_id_for_choice(*, office: Office, day: dt.date, value: int | str | None) -> int | None:
    """The slot id a booking form's choice names: an id as it is, a planned time
    (`planned_slot_value`) as the id of its row, created now with the day's others
    (`slots_ensure`, on the booking's POST). Raises DomainError `invalid_slot` for a
    time the day does not have. Takes the office-day lock shared, in a transaction of
    its own that ends before the booking takes its locks."""
    if value is None or value == "" or isinstance(value, int):
        return value or None
    try:
        starts_at = dt.datetime.fromtimestamp(int(value.removeprefix(PLANNED_PREFIX)), dt.UTC)
    except (ValueError, OverflowError, OSError):
        starts_at = None
    for slot in slots_ensure(office=office, day=day) if starts_at else []:
        if slot.starts_at == starts_at:
            return slot.pk
    raise DomainError(
        code="invalid_slot",
        message=_("That time is not on offer on this day; choose another."),
        fields={"slot": [_("Not available.")]},
    )


@transaction.atomic
def slots_sync(*, office: Office, day: dt.date) -> list[Slot]:
    """Bring the existing slot rows of `day` in line with the office's current plan.

    Takes the office-day lock exclusively (bookings hold it shared) and locks the day's
    slot rows in start order, so no booking lands between the check and the change.
    Unbooked slots that the plan no longer has are retired, new ones created,
    capacities updated. Raises ConflictError, changing nothing, if a booked slot would
    disappear or shrink below its bookings.
    """
    advisory_xact_lock(office_day_key(office.pk, day))
    rows = {
        s.starts_at: s
        for s in Slot.objects.select_for_update()
        .filter(office=office, date=day)
        .order_by("starts_at")
    }
    plan = schedule.plan_day(office_calendar(office=office, start=day, end=day), day)
    planned = {p.starts_at: p for p in plan.slots}
    conflicts = [
        SlotConflict(slot, planned[start].capacity if start in planned else 0)
        for start, slot in rows.items()
        if slot.booked > (planned[start].capacity if start in planned else 0)
    ]
    _refuse(office, conflicts)
    _retire([slot for start, slot in rows.items() if start not in planned])
    for (start, p), base in zip(planned.items(), _queue_bases(plan), strict=True):
        slot = rows.get(start)
        if slot is None:
            _slot(office, day, p, base).save()
        elif (slot.capacity, slot.ends_at, slot.queue_base) != (p.capacity, p.ends_at, base):
            slot.capacity, slot.ends_at, slot.queue_base = p.capacity, p.ends_at, base
            slot.save(update_fields=["capacity", "ends_at", "queue_base"])
    return list(Slot.objects.filter(office=office, date=day).order_by("starts_at"))


@transaction.atomic
def office_resync_slots(*, office: Office, now: dt.datetime | None = None) -> int:
    """After hours, overrides or closures changed: re-plan every day from tomorrow on
    that already has slot rows (today is under way and keeps its plan). Returns the
    number of days re-planned."""
    today = schedule.local_today(office, now or timezone.now())
    dates = (
        Slot.objects.filter(office=office, date__gt=today)
        .values_list("date", flat=True)
        .distinct()
        .order_by("date")
    )
    count = 0
    for day in list(dates):
        slots_sync(office=office, day=day)
        count += 1
    return count


def slots_release_due(*, now: dt.datetime | None = None) -> int:
    """Create the slot rows of every released day that has none yet, for every active
    office (the beat job; bookings also create them lazily). Returns days created."""
    now = now or timezone.now()
    created = 0
    for office in Office.objects.filter(is_active=True):
        today = schedule.local_today(office, now)
        last = release_window.last_released_day(office, now)
        have = set(
            Slot.objects.filter(office=office, date__range=(today, last))
            .values_list("date", flat=True)
            .distinct()
        )
        for day in schedule.days(today, last):
            if day not in have and slots_ensure(office=office, day=day):
                created += 1
    return created


@transaction.atomic
def closure_create(
    *, office: Office, date: dt.date, reason: str, created_by=None, now: dt.datetime | None = None
) -> Closure:
    """Close an office for a day. Refused (`closure_refusal`) for past days, without a
    reason, twice, and, until bookings can be cancelled with a notice to each
    applicant, for days that have bookings. Takes the office-day lock exclusively,
    then the day's booked slot rows."""
    now = now or timezone.now()
    # Exclusive: waits for bookings of the day in progress, and holds new ones back.
    refusal = closure_refusal(office=office, date=date, reason=reason, now=now)
    if refusal is None:
        advisory_xact_lock(office_day_key(office.pk, date))
        refusal = closure_refusal(office=office, date=date, reason=reason, now=now, locked=True)
    if refusal is not None:
        raise refusal
    _retire(list(Slot.objects.filter(office=office, date=date)))
    try:
        with transaction.atomic():
            return Closure.objects.create(
                office=office, date=date, reason=reason.strip(), created_by=created_by
            )
    except IntegrityError as exc:  # the constraint, should a closure bypass the lock
        raise _closure_exists() from exc


def closure_refusal(
    *,
    office: Office,
    date: dt.date,
    reason: str,
    now: dt.datetime | None = None,
    locked: bool = False,
) -> DomainError | None:
    """Why the office cannot be closed on `date`, or None. The one statement of the
    closure rule: the admin's form asks it to show refusals on the form, and
    `closure_create` asks it again under the office-day lock (`locked`: the booked
    slot rows are then locked too, so no booking lands before the closure)."""
    if date < schedule.local_today(office, now or timezone.now()):
        return DomainError(
            code="closure_in_past",
            message=_("A day in the past cannot be closed."),
            fields={"date": [_("Choose today or a later day.")]},
        )
    if not (reason or "").strip():
        return DomainError(
            code="closure_reason_required",
            message=_("Say why the office is closed."),
            fields={"reason": [_("This field is required.")]},
        )
    if Closure.objects.filter(office=office, date=date).exists():
        return _closure_exists()
    booked = Slot.objects.filter(office=office, date=date, booked__gt=0).order_by("starts_at")
    if locked:
        booked = booked.select_for_update()
    conflicts = [SlotConflict(slot, 0) for slot in booked]
    if conflicts:
        return ConflictError(
            code="capacity_below_booked",
            message=_("This change would leave booked applicants without a place: %(list)s")
            % {"list": "; ".join(c.describe(office) for c in conflicts)},
            fields={
                "date": [
                    _(
                        "This day has bookings. Cancelling them with a notice to each "
                        "applicant is not possible yet, so the day cannot be closed."
                    )
                ]
            },
        )
    return None


def override_overlap_refusal(overrides) -> DomainError | None:
    """Refusal when two of `overrides` (one office's, as they would be stored) share a
    day, or one ends before it starts; None when they are a valid set. The rule the
    admin's formset, `capacity_overrides_save` and the database's exclusion
    constraint (`override_no_overlap`) all carry."""
    ranges = sorted((o.starts_on, o.ends_on) for o in overrides)
    for starts_on, ends_on in ranges:
        if ends_on < starts_on:
            return DomainError(
                code="override_range_reversed",
                message=_("A capacity override cannot end before it starts."),
                fields={"ends_on": [_("Choose a day on or after the first.")]},
            )
    covered_until = None  # the last day covered by the ranges before, in start order
    for starts_on, ends_on in ranges:
        if covered_until is not None and starts_on <= covered_until:
            return ConflictError(
                code="override_overlap",
                message=_("Capacity overrides must not overlap."),
                fields={"starts_on": [_("Another override already covers this day.")]},
            )
        covered_until = max(covered_until or ends_on, ends_on)
    return None


@transaction.atomic
def capacity_overrides_save(
    *,
    office: Office,
    save: list[CapacityOverride] = (),
    delete: list[CapacityOverride] = (),
    now: dt.datetime | None = None,
) -> list[CapacityOverride]:
    """Add or change the overrides `save` and remove `delete` of `office` as one
    change: refused (DomainError, nothing changed) if the resulting set overlaps
    (`override_overlap_refusal`) or would leave a booked applicant without a place
    (`office_resync_slots`, which re-plans the days that have slot rows).

    Locks the office row first, so two saves of one office's overrides (admin, API,
    data loading) check one after the other; then the office-day locks of
    `slots_sync`. The database's exclusion constraint backs the rule up."""
    Office.objects.select_for_update().filter(pk=office.pk).first()
    touched = {o.pk for o in [*save, *delete] if o.pk}
    kept = list(CapacityOverride.objects.filter(office=office).exclude(pk__in=touched))
    for override in save:
        override.office = office
    refusal = override_overlap_refusal([*kept, *save])
    if refusal is not None:
        raise refusal
    for override in delete:
        if override.pk:
            override.delete()
    for override in save:
        override.save()
    office_resync_slots(office=office, now=now)
    return list(save)


def capacity_override_create(
    *,
    office: Office,
    starts_on: dt.date,
    ends_on: dt.date,
    daily_capacity: int,
    reason: str,
    now: dt.datetime | None = None,
) -> CapacityOverride:
    """One new override (`capacity_overrides_save`: same refusals, same locks)."""
    override = CapacityOverride(
        office=office,
        starts_on=starts_on,
        ends_on=ends_on,
        daily_capacity=daily_capacity,
        reason=reason,
    )
    (saved,) = capacity_overrides_save(office=office, save=[override], now=now)
    return saved


def _closure_exists() -> ConflictError:
    return ConflictError(
        code="closure_exists",
        message=_("The office is already closed on that day."),
        fields={"date": [_("Already closed.")]},
    )
