"""Allocation: whether a day can be booked now (the rules of time, the calendar), the
limits per phone, person and client, taking places in slots, queue numbers for new
bookings, and `booking_create` / `booking_create_family`.

Every state change goes through `_transition`, which checks the transition table,
keeps the slot's `booked` counter equal to its holding bookings, and writes a
BookingEvent. Locks, in the order they are taken (so no two paths deadlock):
advisory locks on the phone and the persons (immigration.locks), then slot rows in
start order, then booking rows. Paths that change an existing booking (cancel,
confirm a hold, the sweeps) lock its row first and then its slot; a path that holds
slot rows and meets existing booking rows locks them with SKIP LOCKED, never waiting.

Holds: a booking made with a phone number nobody has proven (the web page, the public
API) is `held`: it takes its place and counts in every limit, but has no queue number
and is not valid at the door until the applicant confirms it by WhatsApp from that
number (`booking_hold_confirm`). A hold past `hold_expires_at` counts nowhere, even
before `holds_release_expired` marks it released.

Locks taken here: advisory locks on phone, persons and office-day, then slot rows
(SKIP LOCKED first), then held booking rows of the day (via holds)."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, Max, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes, notices, soldout
from bookings.applicant import Applicant, family_validated, normalise_booking_phone
from bookings.models import (
    HOLDING_STATUSES,
    Booking,
    ServiceType,
)
from bookings.priority import priority_claims
from bookings.services.actor import Actor, S, _local_time, _minutes, _record
from bookings.services.holds import _release_day_holds, holds_release
from bookings.services.queue_numbers import _day_top_seq, _queue_seqs
from bookings.soldout import day_full_error
from immigration.errors import ConflictError, DomainError
from immigration.integrity import violated_constraint
from immigration.locks import advisory_xact_locks, office_day_key
from immigration.returning import execute_returning
from offices import localtime, schedule
from offices.contacts import office_check_takes_holds
from offices.models import Office, Slot, Weekday
from offices.selectors import office_calendar
from offices.services import slots_ensure


@dataclass(frozen=True)
class BookingDay:
    """The office-day as a booking decides on it, read once and passed through
    (#20 §4): the rules of time applied (`load_booking_day` raises when the day
    cannot be booked now), and the day's room from one query. `offered` is 0 when
    the day has no slot rows yet (nobody has booked it): its calendar has then said
    it is open, and `slots_ensure` plans it under the office-day lock."""

    date: dt.date
    today: dt.date
    offered: int  # slots on offer that have not started
    left: int  # their places left for this booking (the capacity rule, slot_room)
    anyone: int  # their places left for a priority booking (kept places included)
    lapsed: int  # the day's holds past their expiry, not yet released by the sweep
    lapsed_free: int  # those of them in slots that have not started: free places

    @property
    def room(self) -> int:
        """Places a booking may count on before it takes its locks."""
        return self.left + self.lapsed_free

    @property
    def room_for_anyone(self) -> int:
        """Places any booking, priority or not, may count on: 0 means sold out."""
        return self.anyone + self.lapsed_free


def load_booking_day(
    office: Office,
    day: dt.date,
    now: dt.datetime,
    priority: bool = False,
    *,
    placing: bool = False,
) -> BookingDay:
    """The day's state for a booking at `now`, or the DomainError saying why it cannot
    be booked: office inactive, past, today after the cut-off, closed (with the
    reason; said even before the day's release), not released yet (with when). A day
    given out by a draw is refused while its draw is to come (the release gate), and
    counts as released once it is done or when the draw itself places its winners
    (`placing`).

    One query when the day has slots (the rules of time need none); the calendar is
    read only for a day without slots or not yet released. No lock."""
    if not office.is_active:
        raise DomainError(code="office_inactive", message=_("This office does not take bookings."))
    today = schedule.local_today(office, now)
    if day < today:
        raise DomainError(
            code="date_past",
            message=_("That day has passed."),
            fields={"date": [_("In the past.")]},
        )
    if day == today and schedule.same_day_closed(office, now):
        raise DomainError(
            code="same_day_closed",
            message=_("Booking for today has closed; choose another day."),
            fields={"date": [_("Booking for today has closed.")]},
        )
    released = _release_gate(office, day, now, placing=placing)
    if not released and day > schedule.last_released_day(office, now):
        _check_open(office, day)  # a closed day says so, even before its release
        release = schedule.release_at(office, day)
        raise DomainError(
            code="not_released",
            message=_("Booking for %(date)s opens on %(release)s.")
            % {
                "date": notices.day_text(day),
                "release": " ".join(
                    [
                        notices.day_text(localtime.local(release, office).date()),
                        localtime.local_text(release, office),
                    ]
                ),
            },
            fields={"date": [_("Not open for booking yet.")]},
        )
    booking_day = BookingDay(day, today, *_day_room(office, day, now, priority))
    if not booking_day.offered:
        _check_open(office, day)
    return booking_day


def _release_gate(office: Office, day: dt.date, now: dt.datetime, *, placing: bool) -> bool | None:
    """settings.BOOKING_RELEASE_GATE (the draw, release/services.py): None for a day
    released first come, True for one its draw released; raises while a draw holds it.
    Named in settings so bookings imports no app above it."""
    gate = getattr(settings, "BOOKING_RELEASE_GATE", "")
    if not gate:
        return None
    return import_string(gate)(office=office, day=day, now=now, placing=placing)


def _check_open(office: Office, day: dt.date) -> None:
    """Refuse a day the calendar closes (weekend, holiday, closure), with the reason."""
    plan = schedule.plan_day(office_calendar(office=office, start=day, end=day), day)
    if not plan.is_open:
        if plan.closed_weekly:
            message = _("The office is closed every %(weekday)s; choose another day.") % {
                "weekday": Weekday(day.weekday()).label
            }
        else:
            message = _("The office is closed on %(date)s (%(reason)s); choose another day.") % {
                "date": notices.day_text(day),
                "reason": plan.closed_reason,
            }
        raise DomainError(code="day_closed", message=message, fields={"date": [message]})


# --- the capacity rule ------------------------------------------------------------------
# How many places of a slot a booking may take, written once: a priority booking (one
# with a person UU 25/2009 names, bookings/priority.py) may take every free place; any
# other booking only those not kept for priority (Slot.priority_kept, set from the
# office's waitlist.PriorityQuota until its release before the day). The ORM form and
# the SQL form of the rush's one statement are the same expression, side by side.
_ROOM_SQL = {True: "capacity - booked", False: "capacity - booked - priority_kept"}


def slot_room(priority: bool):
    """The places of a slot a booking may take, as an ORM expression."""
    room = F("capacity") - F("booked")
    return room if priority else room - F("priority_kept")


def day_places_left(*, office: Office, day: dt.date, now: dt.datetime, priority: bool) -> int:
    """How many people a booking (priority or not) made now could still book on `day`:
    the free places of its slots yet to start under the capacity rule, plus the places
    of lapsed holds not yet swept (a booking releases those itself). Reads only, no
    lock (the waiting list asks it under its own list lock)."""
    offered, left, _anyone, _lapsed, lapsed_free = _day_room(office, day, now, priority)
    if not offered:
        return 0
    return max(left, 0) + lapsed_free


def _lapsed_count(office: Office, day: dt.date, now: dt.datetime, **more) -> Subquery:
    """How many of the day's holds are past their expiry (and match `more`), as a
    subquery: PostgreSQL runs it once (an InitPlan on booking_hold_expiry_idx)."""
    lapsed = Booking.objects.filter(
        office=office, date=day, status=S.HELD, hold_expires_at__lte=now, **more
    )
    return Subquery(
        lapsed.order_by().values("office").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def _day_room(
    office: Office, day: dt.date, now: dt.datetime, priority: bool = False
) -> tuple[int, int, int, int, int]:
    """(slots on offer, places left for such a booking under the capacity rule, places
    left for a priority booking, lapsed holds, lapsed holds in slots that have not
    started) among the day's slots that have not started, in one query and without a
    lock. A closure or a re-plan retires a day's slots (deletes them or sets their
    capacity to 0), so slots on offer mean the day is open. Lapsed holds are counted
    with it: a booking releases them only when there are some."""
    row = Slot.objects.filter(office=office, date=day, starts_at__gt=now, capacity__gt=0).aggregate(
        offered=Count("pk"),
        left=Coalesce(Sum(slot_room(priority)), 0),
        anyone=Coalesce(Sum(slot_room(True)), 0),
        # An aggregate of a subquery run once: its value, or NULL when no slot matched.
        lapsed=Coalesce(Max(_lapsed_count(office, day, now)), 0),
        lapsed_free=Coalesce(Max(_lapsed_count(office, day, now, slot__starts_at__gt=now)), 0),
    )
    return row["offered"], row["left"], row["anyone"], row["lapsed"], row["lapsed_free"]


def _lock_phone_people_and_day(
    phone: str, people: list[Applicant], office: Office, day, client: str = ""
) -> None:
    """The anti-calo rules span rows that may not exist yet; exclusive advisory locks
    serialise the bookings of one phone and of one person (by name + birth date, and by
    NIK), and the holds of one client. The office-day lock is shared: bookings of the
    day run together, while a closure of the day (exclusive) waits for them. One round
    trip for all of them."""
    advisory_xact_locks(
        exclusive=[
            f"phone:{phone}",
            *(key for person in people for key in person.lock_keys),
            *([f"hold-client:{client}"] if client else []),
        ],
        shared=[office_day_key(office.pk, day)],
    )


def _live(now: dt.datetime) -> Q:
    """Rows that count: anything but a hold, and a hold only until it lapses."""
    return ~Q(status=S.HELD) | Q(hold_expires_at__gt=now)


def _check_limits(
    *,
    office: Office,
    day: dt.date,
    applicants: list[Applicant],
    phone: str,
    today: dt.date,
    now: dt.datetime,
    verified: bool,
    client: str = "",
) -> set[int]:
    """The anti-calo rules. The caller holds the phone and person locks (and the
    client's, for a hold). One query reads every row any rule needs (the phone's
    upcoming bookings and live holds, the people's bookings that day, their recent
    no-shows, and for a hold its client's live holds); the rules are applied to them
    here. A lapsed hold counts nowhere.

    A hold counts against every rule when the request is a hold too. A request whose
    phone is proven (`verified`) wins over holds: the rules count only confirmed
    bookings, and the ids of the holds it overrides are returned (the same people that
    day, and the phone's holds beyond its limit) for the caller to release."""
    window_start = today - dt.timedelta(days=settings.BOOKING_NO_SHOW_WINDOW_DAYS)
    same_person = Q()
    for person in applicants:
        same_person |= Q(name=person.name, birth_date=person.birth_date)
        if person.nik:
            same_person |= Q(nik=person.nik)
    wanted = (
        (Q(phone=phone, status__in=[S.BOOKED, S.HELD]) & _live(now))
        | (same_person & Q(date=day, status__in=HOLDING_STATUSES) & _live(now))
        | (same_person & Q(status=S.EXPIRED, date__gte=window_start))
    )
    if client and not verified:
        wanted |= Q(status=S.HELD, hold_client=client, hold_expires_at__gt=now)
    rows = list(
        Booking.objects.filter(wanted)
        .order_by("date", "queue_seq", "pk")
        .values(
            "pk", "office_id", "name", "birth_date", "nik", "phone", "status", "date", "hold_client"
        )
    )
    overridden: set[int] = set()

    mine = [r for r in rows if r["phone"] == phone and r["status"] in (S.BOOKED, S.HELD)]
    confirmed = sum(1 for r in mine if r["status"] == S.BOOKED)
    holds = [r["pk"] for r in mine if r["status"] == S.HELD]
    counted = confirmed if verified else confirmed + len(holds)
    if counted + len(applicants) > settings.BOOKING_PHONE_MAX_ACTIVE:
        raise ConflictError(
            code="limit_reached",
            message=_("One WhatsApp number may hold at most %(max)d upcoming bookings.")
            % {"max": settings.BOOKING_PHONE_MAX_ACTIVE},
        )
    excess = confirmed + len(holds) + len(applicants) - settings.BOOKING_PHONE_MAX_ACTIVE
    if verified and excess > 0:
        overridden.update(sorted(holds)[-excess:])  # the newest holds give way

    def is_person(row, person: Applicant) -> bool:
        return (row["name"], row["birth_date"]) == (person.name, person.birth_date) or bool(
            person.nik and row["nik"] == person.nik
        )

    for row in rows:
        if row["date"] != day or row["status"] not in HOLDING_STATUSES:
            continue
        if verified and row["status"] == S.HELD:
            if any(is_person(row, p) for p in applicants):
                overridden.add(row["pk"])
            continue
        # Name the person as the request gave them, never the stored holder: a known
        # NIK must not reveal whose it is or where they booked.
        index = next((i for i, p in enumerate(applicants) if is_person(row, p)), None)
        if index is None:
            continue
        if row["office_id"] == office.pk:
            message = _("%(name)s already has a booking at this office on that day.")
        else:
            message = _("%(name)s already has a booking at another office on that day.")
        raise ConflictError(
            code="duplicate_booking",
            message=message % {"name": applicants[index].name},
            applicants=(index,),
        )

    for index, person in enumerate(applicants):
        no_shows = sorted(
            (
                r["date"]
                for r in rows
                if r["status"] == S.EXPIRED
                and r["date"] >= window_start
                and (r["name"], r["birth_date"]) == (person.name, person.birth_date)
            ),
            reverse=True,
        )
        if len(no_shows) >= settings.BOOKING_NO_SHOW_LIMIT:
            until = no_shows[0] + dt.timedelta(days=settings.BOOKING_NO_SHOW_BLOCK_DAYS)
            if today <= until:
                raise ConflictError(
                    code="no_show_blocked",
                    message=_(
                        "%(name)s missed %(count)d bookings in the last %(days)d days and "
                        "cannot book until %(until)s."
                    )
                    % {
                        "name": person.name,
                        "count": len(no_shows),
                        "days": settings.BOOKING_NO_SHOW_WINDOW_DAYS,
                        "until": notices.day_text(until),
                    },
                    applicants=(index,),
                )
    if client and not verified:
        # Every held row read is live (each clause above asks for that).
        live = sum(1 for r in rows if r["status"] == S.HELD and r["hold_client"] == client)
        _check_client(live=live, count=len(applicants))
    return overridden


def _check_client(*, live: int, count: int) -> None:
    """At most BOOKING_HOLD_CLIENT_MAX live holds per client (a network, an API key):
    one client typing invented numbers holds a handful of places for a few minutes,
    never more. `live`: the client's live holds, counted under its advisory lock."""
    if live + count > settings.BOOKING_HOLD_CLIENT_MAX:
        raise ConflictError(
            code="hold_limit_reached",
            message=_(
                "Too many bookings from this connection are waiting for WhatsApp "
                "confirmation; confirm them or wait %(minutes)d minutes."
            )
            % {"minutes": settings.BOOKING_HOLD_MINUTES},
        )


# One more booking in the day's earliest slot with room, chosen, locked and counted by
# one statement (the choice is an InitPlan run once, the update goes by primary key).
# First SKIP LOCKED: concurrent bookers skip each other's locked slots instead of
# queueing on one row, so a rush spreads over the day's slots. If every slot with room
# is being booked this instant, the second form waits for the earliest; PostgreSQL then
# re-checks `booked < capacity` and, if it filled, moves on to the next slot.
_TAKE_EARLIEST_PLACE = """
UPDATE offices_slot SET booked = booked + 1{use_kept}
WHERE id = (
    SELECT id FROM offices_slot
    WHERE office_id = %(office)s AND date = %(day)s AND starts_at > %(now)s
        AND {room} > 0
    ORDER BY {order}starts_at
    LIMIT 1{lock}
)
"""
# A priority booking takes a kept place first (the earliest slot that keeps one), and
# uses it up; any other booking takes the earliest slot with room under the rule.
_PRIORITY_TAKE = {
    True: {
        "use_kept": ", priority_kept = GREATEST(priority_kept - 1, 0)",
        "order": "priority_kept > 0 DESC, ",
    },
    False: {"use_kept": "", "order": ""},
}
# SQLite (make run) has one writer at a time and no row locks.
_PLACE_LOCKS = {"postgresql": (" FOR UPDATE SKIP LOCKED", " FOR UPDATE"), "sqlite": ("",)}


def _take_earliest_place(
    office: Office, day: dt.date, now: dt.datetime, priority: bool = False
) -> Slot | None:
    """The earliest slot with room (a kept one first for a priority booking), locked,
    its counter already raised by one; None when the day has no room left."""
    params = {
        "office": office.pk,
        "day": connection.ops.adapt_datefield_value(day),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    for lock in _PLACE_LOCKS[connection.vendor]:
        sql = _TAKE_EARLIEST_PLACE.format(
            lock=lock, room=_ROOM_SQL[priority], **_PRIORITY_TAKE[priority]
        )
        taken = execute_returning(sql, params, Slot)
        if taken:
            return taken[0]
    return None


def _take_places(
    *,
    office: Office,
    day: dt.date,
    count: int,
    slot_id: int | None,
    now: dt.datetime,
    priority: bool = False,
) -> list[Slot]:
    """Take `count` places: lock the slots, raise their counters, and return one slot
    per place (a slot repeats for several places in it). A family fills consecutive
    places: the chosen (or earliest) slot, then the next. The room of a slot is the
    capacity rule's (`slot_room`); a priority booking uses up kept places."""
    candidates = Slot.objects.filter(office=office, date=day, starts_at__gt=now).annotate(
        room=slot_room(priority)
    )
    if slot_id is not None:
        chosen = candidates.select_for_update().filter(pk=slot_id).first()
        if chosen is None:
            raise DomainError(
                code="invalid_slot",
                message=_("That time is not on offer on this day; choose another."),
                fields={"slot": [_("Not available.")]},
            )
        if count == 1:
            if chosen.room <= 0:
                raise ConflictError(
                    code="slot_full",
                    message=_(
                        "The %(time)s slot is full; choose another time or take the earliest."
                    )
                    % {"time": _local_time(office, chosen.starts_at)},
                )
            return _counted([chosen], priority)
        candidates = candidates.filter(starts_at__gte=chosen.starts_at)
    elif count == 1:  # the rush's request: one statement
        slot = _take_earliest_place(office, day, now, priority)
        if slot is None:
            raise day_full_error(office.name, day, count)
        return [slot]

    # A family: lock the day's slots in start order (the same order as everyone else).
    allocated: list[Slot] = []
    locked = list(candidates.select_for_update().order_by("starts_at"))
    for slot in locked:
        take = min(slot.room, count - len(allocated))
        allocated.extend([slot] * max(take, 0))
        if len(allocated) == count:
            return _counted(allocated, priority, also=locked)
    raise day_full_error(office.name, day, count)


def _counted(allocated: list[Slot], priority: bool = False, also: list[Slot] = ()) -> list[Slot]:
    """Raise the counters of locked slots by the places taken in each. A priority
    booking uses up as many kept places as it took: those of its own slots first, then
    of the other locked slots `also` (a family placed before the kept places)."""
    unused = 0
    for slot_id, places in sorted(Counter(slot.pk for slot in allocated).items()):
        kept = {"priority_kept": Greatest(F("priority_kept") - places, 0)} if priority else {}
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") + places, **kept)
        if priority:
            slot = next(s for s in allocated if s.pk == slot_id)
            unused += max(places - slot.priority_kept, 0)
    for slot in also if priority else ():
        if unused <= 0:
            break
        if slot.priority_kept > 0 and slot not in allocated:
            use = min(unused, slot.priority_kept)
            Slot.objects.filter(pk=slot.pk).update(priority_kept=F("priority_kept") - use)
            unused -= use
    return allocated


def _insert(booking: Booking) -> Booking:
    """Save with a fresh code. Retries the (astronomically rare) code collision, and a
    queue number taken by a concurrent booking in another slot (possible only after a
    re-plan moved the ranges) with the day's next free number. A person clash that
    slipped past the locks (SQLite has none) becomes a clean refusal."""
    for _attempt in range(10):
        booking.code = codes.new_code()
        try:
            with transaction.atomic():
                booking.save()
            return booking
        except IntegrityError as exc:
            broken = violated_constraint(exc, Booking)
            if broken.constraint == "booking_unique_queue_number":
                booking.queue_seq = _day_top_seq(booking.office, booking.date) + 1
            elif broken.constraint in {
                "booking_one_per_person_office_day",
                "booking_one_per_nik_office_day",
            }:
                raise ConflictError(
                    code="duplicate_booking",
                    message=_("%(name)s already has a booking at this office on that day.")
                    % {"name": booking.name},
                ) from exc
            elif broken.columns != ("code",):
                raise
    raise RuntimeError("could not insert the booking after 10 attempts")


@transaction.atomic
def booking_create_family(
    *,
    office: Office,
    date: dt.date,
    applicants: list[Applicant],
    phone: str,
    actor: Actor,
    service: str = ServiceType.NEW,
    slot_id: int | None = None,
    language: str = "id",
    now: dt.datetime | None = None,
    rescheduled_from: Booking | None = None,
    phone_verified: bool = False,
    hold_client: str = "",
    priority: list[str] | None = None,
    draw_placement: bool = False,
) -> list[Booking]:
    """Book every applicant at `office` on `date` from one phone: all or nothing, in
    consecutive places where possible, the first in slot `slot_id` if given (else the
    earliest with room). Raises DomainError/ConflictError with a code, changing nothing;
    a refusal about some of the applicants (a bad name or birth date, the same person
    twice, one already booked that day or blocked for no-shows) names their indexes in
    `applicants`, so the WhatsApp conversation can name the line.

    `phone_verified`: whoever asks has proven the phone is theirs (WhatsApp's sender,
    a gateway with the verified-phone scope, an officer at the desk); the bookings are
    confirmed at once and win over holds made with the same phone or people (those
    holds are released). Otherwise the bookings are holds, without queue numbers and
    without any message to the typed number, confirmed by `booking_hold_confirm`
    within BOOKING_HOLD_MINUTES; `hold_client` (the network or key that asked) may
    have at most BOOKING_HOLD_CLIENT_MAX live holds. An office without a published
    WhatsApp number takes no holds (offices.contacts.office_check_takes_holds).

    `priority`: the applicants' claims (disabled, pregnant; age is read from the birth
    date, bookings/priority.py); a request with one priority person may take the
    day's places kept for priority, and each booking records its claim for the door.
    `draw_placement`: the draw (release/services.py) books a winner on a day its draw
    holds; every other caller is refused such a day until the draw is done.

    Takes advisory locks on the phone, each person and the hold client, then slot row
    locks (all of the day's, in start order, when lapsed or overridden holds of the
    day are released first), then the held rows it releases with SKIP LOCKED.
    """
    now = now or timezone.now()
    if not phone_verified:
        office_check_takes_holds(office=office)  # nobody could confirm the hold
    if service not in ServiceType.values:
        raise DomainError(
            code="invalid_service",
            message=_("Unknown service."),
            fields={"service": [_("Unknown.")]},
        )
    today = schedule.local_today(office, now)
    people = family_validated(applicants, today=today)
    phone = normalise_booking_phone(phone)
    claims = priority_claims(people, date, priority)
    is_priority = any(claims)
    day = load_booking_day(office, date, now, priority=is_priority, placing=draw_placement)
    if day.offered and day.room < len(people):
        # The rush's common case once a day is sold out: refused on one indexed read,
        # before any lock, so the last places are not queued behind the refusals; and
        # remembered for a moment, so the next ones are refused before DRF (only when
        # no place is left for anyone: kept places still take priority bookings).
        if day.room_for_anyone == 0:
            soldout.remember(office.code, office.name, date)
        raise day_full_error(office.name, date, len(people))

    _lock_phone_people_and_day(
        phone, people, office, date, client="" if phone_verified else hold_client
    )
    overridden = _check_limits(
        office=office,
        day=date,
        applicants=people,
        phone=phone,
        today=today,
        now=now,
        verified=phone_verified,
        client=hold_client,
    )
    if not day.offered:
        slots_ensure(office=office, day=date)
    # Lapsed holds are as of `now`, fixed for this request: none can lapse meanwhile.
    released_here = (
        _release_day_holds(office=office, day=date, now=now, overridden=overridden)
        if day.lapsed or overridden
        else set()
    )
    elsewhere = overridden - released_here
    if elsewhere:
        # Holds on other days or at other offices: released in a transaction of their
        # own once this one commits, so this one never waits on another day's slots.
        transaction.on_commit(lambda: holds_release(ids=sorted(elsewhere), now=now))
    try:
        allocated = _take_places(
            office=office,
            day=date,
            count=len(people),
            slot_id=slot_id,
            now=now,
            priority=is_priority,
        )
    except ConflictError as full:
        if full.code == "day_full":
            _check_open(office, date)  # closed while we waited for the lock: say so
        raise

    per_slot = Counter(slot.pk for slot in allocated)
    seqs = (
        {
            slot.pk: _queue_seqs(office, date, slot, per_slot[slot.pk])
            for slot in {s.pk: s for s in allocated}.values()
        }
        if phone_verified
        else {}
    )

    late = _minutes(settings.BOOKING_LATE_AFTER_MINUTES)
    hold = {}
    if not phone_verified:
        hold = {
            "status": S.HELD,
            "hold_expires_at": now + _minutes(settings.BOOKING_HOLD_MINUTES),
            "hold_client": hold_client[:64],
        }
    bookings: list[Booking] = []
    for person, slot, claim in zip(people, allocated, claims, strict=True):
        booking = _insert(
            Booking(
                office=office,
                slot=slot,
                date=date,
                queue_seq=seqs[slot.pk].pop(0) if phone_verified else None,
                **hold,
                service=service,
                name=person.name,
                birth_date=person.birth_date,
                nik=person.nik or "",
                phone=phone,
                language=language,
                channel=actor.channel,
                rescheduled_from=rescheduled_from,
                expires_at=slot.starts_at + late,
                priority=claim,
            )
        )
        _record(booking, "", actor, note=gettext_noop("rescheduled") if rescheduled_from else "")
        if phone_verified:
            notices.notify_booked(booking, rescheduled=rescheduled_from is not None)
        bookings.append(booking)
    if len(bookings) > 1:
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(group_code=bookings[0].code)
        for booking in bookings:
            booking.group_code = bookings[0].code
    return bookings


def booking_create(*, applicant: Applicant, **kwargs) -> Booking:
    """Book one applicant; see `booking_create_family` for the rules and locks."""
    return booking_create_family(applicants=[applicant], **kwargs)[0]
