"""The booking lifecycle: book, cancel, reschedule, check in, expire, and the
passport's path from submission to collection.

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
"""

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes, notices, soldout
from bookings.applicant import Applicant, normalise_booking_phone
from bookings.models import (
    HOLDING_STATUSES,
    ActorKind,
    Booking,
    BookingEvent,
    BookingStatus,
    Channel,
    CounterCall,
    CounterService,
    Fee,
    OutOfTurnReason,
    PriorityCategory,
    PriorityTicket,
    ServiceType,
)
from bookings.selectors import booking_cancel_refusal, booking_reschedule_refusal
from immigration.attempts import GuessLimit, guesses_check, guesses_record_failure
from immigration.bulk import insert_many
from immigration.errors import ConflictError, DomainError, NotFoundError
from immigration.integrity import violated_constraint
from immigration.locks import advisory_xact_locks, bound_lock_waits, office_day_key
from immigration.returning import execute_returning
from offices import localtime, schedule
from offices.models import Office, Slot, Weekday
from offices.selectors import office_calendar
from offices.services import slots_ensure

S = BookingStatus

TRANSITIONS: dict[str, set[str]] = {
    S.HELD: {S.BOOKED, S.RELEASED, S.CANCELLED},
    S.BOOKED: {S.CHECKED_IN, S.CANCELLED, S.EXPIRED},
    S.CHECKED_IN: {S.SUBMITTED, S.CANCELLED},
    S.SUBMITTED: {S.PAID, S.CANCELLED},
    S.PAID: {S.READY},
    S.READY: {S.COLLECTED},
}


@dataclass(frozen=True)
class Actor:
    """Who moves a booking, and through which channel; recorded on every event. `user`
    is the staff member's account (staff, and API keys acting for one), else None."""

    kind: ActorKind
    channel: Channel
    user: AbstractBaseUser | None = None
    label: str = ""
    client: object = None  # offices.ApiClient, when an integrator's key acts

    @classmethod
    def applicant(cls, channel: Channel) -> "Actor":
        return cls(ActorKind.APPLICANT, channel)

    @classmethod
    def staff(cls, user: AbstractBaseUser, channel: Channel = Channel.DESK) -> "Actor":
        return cls(ActorKind.STAFF, channel, user=user, label=user.get_username())

    @classmethod
    def system(cls) -> "Actor":
        return cls(ActorKind.SYSTEM, Channel.SYSTEM)

    @classmethod
    def api_client(cls, label: str, client=None) -> "Actor":
        return cls(ActorKind.API_CLIENT, Channel.API, label=label, client=client)


# --- helpers ---------------------------------------------------------------------------


def _minutes(value: int) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _local_time(office: Office, instant: dt.datetime) -> str:
    return localtime.local_text(instant, office)


def _record(booking: Booking, from_status: str, actor: Actor, note: str = "") -> None:
    BookingEvent.objects.create(
        booking=booking,
        from_status=from_status,
        to_status=booking.status,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_client=actor.client,
        actor_label=actor.label[:100],
        channel=actor.channel,
        note=note[:200],
    )


def _lock(booking: Booking) -> Booking:
    bound_lock_waits()
    return Booking.objects.select_for_update().select_related("slot", "office").get(pk=booking.pk)


def _transition(booking: Booking, to: str, actor: Actor, note: str = "", **fields) -> Booking:
    """Move a locked booking to `to`, or refuse. Frees its place when it stops holding one."""
    if to not in TRANSITIONS.get(booking.status, set()):
        raise ConflictError(
            code="invalid_transition",
            message=_("A booking that is %(status)s cannot become %(to)s.")
            % {"status": S(booking.status).label.lower(), "to": S(to).label.lower()},
        )
    from_status = booking.status
    if from_status in HOLDING_STATUSES and to not in HOLDING_STATUSES:
        Slot.objects.filter(pk=booking.slot_id).update(booked=F("booked") - 1)
        soldout.forget(booking.office.code, booking.date)
    booking.status = to
    for name, value in fields.items():
        setattr(booking, name, value)
    booking.save(update_fields=["status", "updated_at", *fields])
    _record(booking, from_status, actor, note)
    return booking


# --- booking -----------------------------------------------------------------------------


def _check_day(office: Office, day: dt.date, now: dt.datetime) -> None:
    """Refuse a day that cannot be booked now, saying why. The rules of time only (no
    query): whether the day is open is asked of its slots, or of the calendar when it
    has none (`_check_open`)."""
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
    if day > schedule.last_released_day(office, now):
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


def _day_room(office: Office, day: dt.date, now: dt.datetime) -> tuple[int, int]:
    """(slots on offer, places left) among the day's slots that have not started, in
    one query and without a lock. A closure or a re-plan retires a day's slots (deletes
    them or sets their capacity to 0), so slots on offer mean the day is open."""
    row = Slot.objects.filter(office=office, date=day, starts_at__gt=now, capacity__gt=0).aggregate(
        offered=Count("pk"), left=Coalesce(Sum(F("capacity") - F("booked")), 0)
    )
    return row["offered"], row["left"]


def _lapsed_holds(office: Office, day: dt.date, now: dt.datetime) -> int:
    """Holds of the day past their expiry, not yet released by the sweep: their places
    are free (the booking releases them once it holds its locks). Asked only when the
    day looks full."""
    return Booking.objects.filter(
        office=office, date=day, status=S.HELD, hold_expires_at__lte=now, slot__starts_at__gt=now
    ).count()


def _lock_phone_and_people(phone: str, people: list[Applicant]) -> None:
    advisory_xact_locks(
        exclusive=[f"phone:{phone}", *(key for person in people for key in person.lock_keys)]
    )


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
) -> set[int]:
    """The anti-calo rules. The caller holds the phone and person locks. One query
    reads every row any rule needs (the phone's upcoming bookings and live holds, the
    people's bookings that day, their recent no-shows); the rules are applied to them
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
    rows = list(
        Booking.objects.filter(
            (Q(phone=phone, status__in=[S.BOOKED, S.HELD]) & _live(now))
            | (same_person & Q(date=day, status__in=HOLDING_STATUSES) & _live(now))
            | (same_person & Q(status=S.EXPIRED, date__gte=window_start))
        )
        .order_by("date", "queue_seq", "pk")
        .values("pk", "office_id", "name", "birth_date", "nik", "phone", "status", "date")
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
        person = next((p for p in applicants if is_person(row, p)), None)
        if person is None:
            continue
        if row["office_id"] == office.pk:
            message = _("%(name)s already has a booking at this office on that day.")
        else:
            message = _("%(name)s already has a booking at another office on that day.")
        raise ConflictError(code="duplicate_booking", message=message % {"name": person.name})

    for person in applicants:
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
                )
    return overridden


def _check_client(*, client: str, count: int, now: dt.datetime) -> None:
    """At most BOOKING_HOLD_CLIENT_MAX live holds per client (a network, an API key):
    one client typing invented numbers holds a handful of places for a few minutes,
    never more. The caller holds the client's advisory lock."""
    live = Booking.objects.filter(status=S.HELD, hold_client=client, hold_expires_at__gt=now)
    if live.count() + count > settings.BOOKING_HOLD_CLIENT_MAX:
        raise ConflictError(
            code="hold_limit_reached",
            message=_(
                "Too many bookings from this connection are waiting for WhatsApp "
                "confirmation; confirm them or wait %(minutes)d minutes."
            )
            % {"minutes": settings.BOOKING_HOLD_MINUTES},
        )


def day_full_error(office_name: str, day: dt.date, count: int) -> ConflictError:
    """The refusal of `count` places on a day without them (also sent by
    bookings/soldout.py for a day it remembers as sold out)."""
    if count > 1:
        message = _("There are not %(count)d places left at %(office)s on %(date)s.")
    else:
        message = _("%(office)s is fully booked on %(date)s.")
    return ConflictError(
        code="day_full",
        message=message % {"count": count, "office": office_name, "date": notices.day_text(day)},
    )


# One more booking in the day's earliest slot with room, chosen, locked and counted by
# one statement (the choice is an InitPlan run once, the update goes by primary key).
# First SKIP LOCKED: concurrent bookers skip each other's locked slots instead of
# queueing on one row, so a rush spreads over the day's slots. If every slot with room
# is being booked this instant, the second form waits for the earliest; PostgreSQL then
# re-checks `booked < capacity` and, if it filled, moves on to the next slot.
_TAKE_EARLIEST_PLACE = """
UPDATE offices_slot SET booked = booked + 1
WHERE id = (
    SELECT id FROM offices_slot
    WHERE office_id = %(office)s AND date = %(day)s AND starts_at > %(now)s
        AND booked < capacity
    ORDER BY starts_at
    LIMIT 1{lock}
)
"""
# SQLite (make run) has one writer at a time and no row locks.
_PLACE_LOCKS = {"postgresql": (" FOR UPDATE SKIP LOCKED", " FOR UPDATE"), "sqlite": ("",)}


def _take_earliest_place(office: Office, day: dt.date, now: dt.datetime) -> Slot | None:
    """The earliest slot with room, locked, its counter already raised by one; None
    when the day has no room left."""
    params = {
        "office": office.pk,
        "day": connection.ops.adapt_datefield_value(day),
        "now": connection.ops.adapt_datetimefield_value(now),
    }
    for lock in _PLACE_LOCKS[connection.vendor]:
        taken = execute_returning(_TAKE_EARLIEST_PLACE.format(lock=lock), params, Slot)
        if taken:
            return taken[0]
    return None


def _take_places(
    *, office: Office, day: dt.date, count: int, slot_id: int | None, now: dt.datetime
) -> list[Slot]:
    """Take `count` places: lock the slots, raise their counters, and return one slot
    per place (a slot repeats for several places in it). A family fills consecutive
    places: the chosen (or earliest) slot, then the next."""
    candidates = Slot.objects.filter(office=office, date=day, starts_at__gt=now)
    if slot_id is not None:
        chosen = candidates.select_for_update().filter(pk=slot_id).first()
        if chosen is None:
            raise DomainError(
                code="invalid_slot",
                message=_("That time is not on offer on this day; choose another."),
                fields={"slot": [_("Not available.")]},
            )
        if count == 1:
            if chosen.booked >= chosen.capacity:
                raise ConflictError(
                    code="slot_full",
                    message=_(
                        "The %(time)s slot is full; choose another time or take the earliest."
                    )
                    % {"time": _local_time(office, chosen.starts_at)},
                )
            return _counted([chosen])
        candidates = candidates.filter(starts_at__gte=chosen.starts_at)
    elif count == 1:  # the rush's request: one statement
        slot = _take_earliest_place(office, day, now)
        if slot is None:
            raise day_full_error(office.name, day, count)
        return [slot]

    # A family: lock the day's slots in start order (the same order as everyone else).
    allocated: list[Slot] = []
    for slot in candidates.select_for_update().order_by("starts_at"):
        room = slot.capacity - slot.booked
        take = min(room, count - len(allocated))
        allocated.extend([slot] * max(take, 0))
        if len(allocated) == count:
            return _counted(allocated)
    raise day_full_error(office.name, day, count)


def _counted(allocated: list[Slot]) -> list[Slot]:
    """Raise the counters of locked slots by the places taken in each."""
    for slot_id, places in sorted(Counter(slot.pk for slot in allocated).items()):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") + places)
    return allocated


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
) -> list[Booking]:
    """Book every applicant at `office` on `date` from one phone: all or nothing, in
    consecutive places where possible, the first in slot `slot_id` if given (else the
    earliest with room). Raises DomainError/ConflictError with a code, changing nothing.

    `phone_verified`: whoever asks has proven the phone is theirs (WhatsApp's sender,
    a gateway with the verified-phone scope, an officer at the desk); the bookings are
    confirmed at once and win over holds made with the same phone or people (those
    holds are released). Otherwise the bookings are holds, without queue numbers and
    without any message to the typed number, confirmed by `booking_hold_confirm`
    within BOOKING_HOLD_MINUTES; `hold_client` (the network or key that asked) may
    have at most BOOKING_HOLD_CLIENT_MAX live holds.

    Takes advisory locks on the phone, each person and the hold client, then slot row
    locks (all of the day's, in start order, when lapsed or overridden holds of the
    day are released first), then the held rows it releases with SKIP LOCKED.
    """
    now = now or timezone.now()
    if not applicants:
        raise DomainError(code="no_applicants", message=_("Add at least one applicant."))
    if len(applicants) > settings.BOOKING_FAMILY_MAX:
        raise DomainError(
            code="family_too_large",
            message=_("One request books at most %(max)d people.")
            % {"max": settings.BOOKING_FAMILY_MAX},
            fields={"family": [_("Too many people.")]},
        )
    if service not in ServiceType.values:
        raise DomainError(
            code="invalid_service",
            message=_("Unknown service."),
            fields={"service": [_("Unknown.")]},
        )
    today = schedule.local_today(office, now)
    people = [person.validated(today=today) for person in applicants]
    if len({person.lock_keys[0] for person in people}) < len(people) or len(
        [p.nik for p in people if p.nik]
    ) != len({p.nik for p in people if p.nik}):
        raise DomainError(
            code="duplicate_applicant", message=_("The same person appears twice in this request.")
        )
    phone = normalise_booking_phone(phone)
    _check_day(office, date, now)
    offered, left = _day_room(office, date, now)
    if offered and left < len(people):
        left += _lapsed_holds(office, date, now)  # places that are free, not yet swept
    if offered and left < len(people):
        # The rush's common case once a day is sold out: refused on one indexed read,
        # before any lock, so the last places are not queued behind the refusals; and
        # remembered for a moment, so the next ones are refused before DRF.
        if left == 0:
            soldout.remember(office.code, office.name, date)
        raise day_full_error(office.name, date, len(people))
    if not offered:
        _check_open(office, date)

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
    )
    if not phone_verified and hold_client:
        _check_client(client=hold_client, count=len(people), now=now)
    if not offered:
        slots_ensure(office=office, day=date)
    elsewhere = overridden - _release_day_holds(
        office=office, day=date, now=now, overridden=overridden
    )
    if elsewhere:
        # Holds on other days or at other offices: released in a transaction of their
        # own once this one commits, so this one never waits on another day's slots.
        transaction.on_commit(lambda: holds_release(ids=sorted(elsewhere), now=now))
    try:
        allocated = _take_places(
            office=office, day=date, count=len(people), slot_id=slot_id, now=now
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
    for person, slot in zip(people, allocated, strict=True):
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


def _release_locked(rows: list[tuple[int, int, int, dt.date]], *, now: dt.datetime, note: str):
    """Release holds whose rows the caller has locked: (pk, slot id, office id, date)
    each. Marks them released, lowers their slots' counters in slot order and records
    one event each. No message: a hold's number was never proven, so nothing is sent
    to it."""
    if not rows:
        return
    Booking.objects.filter(pk__in=[row[0] for row in rows]).update(
        status=S.RELEASED, updated_at=now
    )
    for slot_id, count in sorted(Counter(row[1] for row in rows).items()):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") - count)
    insert_many(
        BookingEvent,
        [
            {
                "booking_id": row[0],
                "from_status": S.HELD,
                "to_status": S.RELEASED,
                "actor_kind": ActorKind.SYSTEM,
                "channel": Channel.SYSTEM,
                "note": note,
            }
            for row in rows
        ],
    )
    codes_by_office = dict(
        Office.objects.filter(pk__in={row[2] for row in rows}).values_list("pk", "code")
    )
    for office_id, day in {(row[2], row[3]) for row in rows}:
        soldout.forget(codes_by_office[office_id], day)


def _lock_holds(holds, limit: int | None = None) -> list[tuple[int, int, int, dt.date]]:
    """Lock still-held rows of `holds` (at most `limit`), skipping any another
    transaction holds (it is confirming or releasing them)."""
    rows = (
        holds.filter(status=S.HELD)
        .select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", "slot_id", "office_id", "date")
    )
    return list(rows[:limit] if limit else rows)


def _release_day_holds(
    *, office: Office, day: dt.date, now: dt.datetime, overridden: set[int]
) -> set[int]:
    """Release the day's lapsed holds, and those of `overridden` on this office-day, so
    their places and their people are free for the booking being made (correctness
    does not wait for the sweep). Returns the ids of `overridden` that are on this
    office-day. The common case (nothing to release) costs one indexed read.

    Locks all of the day's slot rows in start order first (the order every booking
    takes them), then the held rows with SKIP LOCKED. Caller's transaction."""
    due = Q(hold_expires_at__lte=now)
    if overridden:
        due |= Q(pk__in=overridden)
    holds = Booking.objects.filter(office=office, date=day, status=S.HELD).filter(due)
    found = list(holds.values_list("pk", flat=True))
    if not found:
        return set()
    list(
        Slot.objects.select_for_update()
        .filter(office=office, date=day)
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    _release_locked(_lock_holds(holds), now=now, note="released")
    return overridden & set(found)


@transaction.atomic
def holds_release(*, ids: list[int], now: dt.datetime | None = None) -> int:
    """Release these holds (those still held): a confirmed booking overrode them.
    Locks the held rows (SKIP LOCKED), then their slots in order."""
    rows = _lock_holds(Booking.objects.filter(pk__in=ids))
    _release_locked(rows, now=now or timezone.now(), note="overridden")
    return len(rows)


def holds_release_expired(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Release every hold past its expiry (beat, every minute), in batches that commit
    one by one. Safe with several workers: rows are locked with SKIP LOCKED, so two
    sweeps take disjoint batches. Only tidies up: a lapsed hold already counts nowhere.
    Returns how many holds were released. Commits per batch: refused inside a
    caller's transaction (durable)."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic(durable=True):
            rows = _lock_holds(
                Booking.objects.filter(status=S.HELD, hold_expires_at__lte=now), batch_size
            )
            _release_locked(rows, now=now, note="not confirmed in time")
        total += len(rows)
        if len(rows) < batch_size:
            return total


def _hold_not_found(raw_code: str) -> NotFoundError:
    """One answer for an unknown code, another office's, another number's, so the reply
    tells a stranger nothing; in both languages, since the writer may not be the one
    who booked."""
    parts = []
    for language in ("id", "en"):
        with translation.override(language):
            parts.append(
                _(
                    "No booking waiting for confirmation from this WhatsApp number has the "
                    "code %(code)s. Send the message from the number you typed when booking."
                )
                % {"code": raw_code or "-"}
            )
    return NotFoundError(code="hold_not_found", message="\n".join(parts))


def booking_hold_confirm(
    *, office: Office, phone: str, code: str, now: dt.datetime | None = None
) -> list[Booking]:
    """The phone confirms its hold: `YA <code>` arrived by WhatsApp from `phone` for
    `office`. Every hold of the code's family group becomes a booking with a queue
    number, and its confirmation (code, queue number, QR) is queued as a free-form
    message: the applicant has just written, so WhatsApp's 24-hour window is open.

    Refused, changing nothing, when the code is not a hold of this phone at this office
    (one answer for all three). A hold that has lapsed is released here and now
    (committed before the refusal is raised). Confirming again is refused with
    `already_confirmed`.
    The phone's limit is checked again with confirmed bookings only; its holds beyond
    the limit are released.

    Locks: advisory locks on the phone and the people, then the held rows, then their
    slots in start order (for the queue numbers)."""
    now = now or timezone.now()
    canonical = codes.canonical(code)
    raw = codes.display(canonical) if canonical else ""
    first = (
        Booking.objects.filter(code=canonical, office=office, phone=phone).first()
        if canonical
        else None
    )
    if first is None:
        raise _hold_not_found(raw)
    group = (
        Booking.objects.filter(
            office=office, phone=phone, group_code=first.group_code or first.code
        )
        if first.group_code
        else Booking.objects.filter(pk=first.pk)
    )
    refusal = None
    with transaction.atomic():
        people = [Applicant(b.name, b.birth_date, b.nik or None) for b in group if b.birth_date]
        _lock_phone_and_people(phone, people)
        held = list(
            group.filter(status=S.HELD)
            .select_for_update(of=("self",))
            .select_related("slot", "office")
            .order_by("slot__starts_at", "pk")
        )
        if not held:
            if group.filter(status__in=HOLDING_STATUSES).exists():
                refusal = ConflictError(
                    code="already_confirmed", message=_("This booking is already confirmed.")
                )
            else:
                refusal = _hold_gone(first)
        elif held[0].hold_expires_at <= now:
            _release_locked(
                [(b.pk, b.slot_id, b.office_id, b.date) for b in held], now=now, note="too late"
            )
            refusal = _hold_gone(first)
        else:
            refusal = None
            confirmed = _confirm_locked(held, phone=phone, now=now)
    if refusal is not None:
        raise refusal
    return confirmed


def _hold_gone(booking: Booking) -> ConflictError:
    if booking.status == S.CANCELLED:
        return ConflictError(code="hold_cancelled", message=_("This booking was cancelled."))
    return ConflictError(
        code="hold_expired",
        message=_(
            "This booking was not confirmed within %(minutes)d minutes and its place was "
            "given back. Please book again."
        )
        % {"minutes": settings.BOOKING_HOLD_MINUTES},
    )


def _confirm_locked(held: list[Booking], *, phone: str, now: dt.datetime) -> list[Booking]:
    """Turn locked, live holds into bookings. The caller holds the phone and people
    locks and the held rows; this locks their slots in start order."""
    confirmed = Booking.objects.filter(phone=phone, status=S.BOOKED).count()
    if confirmed + len(held) > settings.BOOKING_PHONE_MAX_ACTIVE:
        raise ConflictError(
            code="limit_reached",
            message=_("One WhatsApp number may hold at most %(max)d upcoming bookings.")
            % {"max": settings.BOOKING_PHONE_MAX_ACTIVE},
        )
    slots = {
        slot.pk: slot
        for slot in Slot.objects.select_for_update()
        .filter(pk__in={b.slot_id for b in held})
        .order_by("starts_at")
    }
    per_slot = Counter(b.slot_id for b in held)
    seqs = {
        slot_id: _queue_seqs(held[0].office, held[0].date, slots[slot_id], count)
        for slot_id, count in per_slot.items()
    }
    actor = Actor.applicant(Channel.WHATSAPP)
    for booking in held:
        booking.queue_seq = seqs[booking.slot_id].pop(0)
        _confirm_one(booking, actor)
    other_holds = list(
        Booking.objects.filter(phone=phone, status=S.HELD, hold_expires_at__gt=now)
        .exclude(pk__in=[b.pk for b in held])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    excess = confirmed + len(held) + len(other_holds) - settings.BOOKING_PHONE_MAX_ACTIVE
    if excess > 0:
        release = other_holds[-excess:]
        transaction.on_commit(lambda: holds_release(ids=release, now=now))
    return held


def _confirm_one(booking: Booking, actor: Actor) -> None:
    """A locked hold with its queue number set becomes a booking. A queue number taken
    meanwhile by a booking in another slot (only after a re-plan moved the ranges)
    gives way to the day's next free one."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                _transition(
                    booking,
                    S.BOOKED,
                    actor,
                    note="confirmed by WhatsApp",
                    queue_seq=booking.queue_seq,
                )
            break
        except IntegrityError as exc:
            if violated_constraint(exc, Booking).constraint != "booking_unique_queue_number":
                raise
            booking.status = S.HELD
            booking.queue_seq = _day_top_seq(booking.office, booking.date) + 1
    else:
        raise RuntimeError("could not number the confirmed booking after 10 attempts")
    notices.notify_booked(booking)


def booking_create(*, applicant: Applicant, **kwargs) -> Booking:
    """Book one applicant; see `booking_create_family` for the rules and locks."""
    return booking_create_family(applicants=[applicant], **kwargs)[0]


# --- applicant's own changes ----------------------------------------------------------


LOOKUP_LOCKOUT_SECONDS = 3600


def booking_for_applicant(*, code: str, birth_date: dt.date, client: str | None) -> Booking:
    """The booking with this code and birth date; NotFoundError for a wrong code or
    birth date alike, so a code alone reveals nothing. `client` names who asks (an
    address, an API key, a WhatsApp number: see `caller_ident`).

    Wrong birth dates for a code are counted per code and client, and per code
    (immigration/attempts.py): a code seen on a photographed QR cannot be paired with
    a birth date by trying them all, from one address or from many, and a stranger's
    wrong tries from elsewhere do not lock the owner out. With the counters
    unreachable nothing is looked up (503 `lockout_unavailable`)."""
    canonical = codes.canonical(code)
    limit = _birth_date_guesses()
    if canonical:
        guesses_check(limit, subject=canonical, client=client)
    booking = (
        Booking.objects.select_related("office", "slot")
        .filter(code=canonical, birth_date=birth_date)
        .first()
        if canonical
        else None
    )
    if booking is None:
        if canonical:
            guesses_record_failure(limit, subject=canonical, client=client)
        raise NotFoundError(
            code="booking_not_found",
            message=_("No booking matches this code and birth date."),
        )
    return booking


def _birth_date_guesses() -> GuessLimit:
    """The caps as the settings say now (tests and deployments change them)."""
    return GuessLimit(
        name="birth-date",
        per_client=settings.BIRTH_DATE_GUESSES_PER_CLIENT,
        per_subject=settings.BIRTH_DATE_GUESSES_PER_CODE,
        window_seconds=LOOKUP_LOCKOUT_SECONDS,
    )


@transaction.atomic
def booking_cancel(
    *, booking: Booking, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel and free the place at once. Locks the booking row; the rules of who may
    cancel when are `bookings.selectors.booking_cancel_refusal` (the pages ask it too)."""
    booking = _lock(booking)
    refusal = booking_cancel_refusal(booking=booking, actor_kind=actor.kind, now=now)
    if refusal is not None:
        raise refusal
    unproven = booking.status == S.HELD and actor.channel != Channel.WHATSAPP
    _transition(booking, S.CANCELLED, actor, note)
    if not unproven:  # a hold's typed number gets nothing, unless it wrote to us itself
        notices.notify_cancelled(booking)
    return booking


@transaction.atomic
def booking_reschedule(
    *,
    booking: Booking,
    date: dt.date,
    actor: Actor,
    slot_id: int | None = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking to another day (or time) at the same office: cancel and book in
    one transaction, so the old booking is kept if the new place is gone. Allowed up
    to the day before the visit, BOOKING_RESCHEDULE_MAX times
    (`bookings.selectors.booking_reschedule_refusal`, which the pages ask too). The new
    booking has a new code; `booking_replacement` leads from the old one to it."""
    now = now or timezone.now()
    # Lock order as in booking_create_family: phone and person first, then rows.
    _lock_phone_and_people(
        booking.phone, [Applicant(booking.name, booking.birth_date, booking.nik or None)]
    )
    booking = _lock(booking)
    refusal = booking_reschedule_refusal(booking=booking, now=now)
    if refusal is not None:
        raise refusal
    _transition(booking, S.CANCELLED, actor, note=gettext_noop("rescheduled"))
    return booking_create(
        office=booking.office,
        date=date,
        applicant=Applicant(booking.name, booking.birth_date, booking.nik or None),
        phone=booking.phone,
        actor=actor,
        service=booking.service,
        slot_id=slot_id,
        language=booking.language,
        now=now,
        rescheduled_from=booking,
        phone_verified=True,  # a confirmed booking's phone: proven when it was confirmed
    )


# --- door and desk ----------------------------------------------------------------------


def booking_check_in(
    *, office: Office, code: str, actor: Actor, now: dt.datetime | None = None
) -> Booking:
    """Admit a booking at the door of `office`, or refuse with the reason.

    Another office's code is "no booking has this code", exactly like a code that does
    not exist: the door (and every key or officer behind it) learns nothing of other
    offices' bookings. A late booking is forfeited here and now (committed before the
    refusal is raised), whether or not the no-show sweep has run. Locks the booking row.
    """
    now = now or timezone.now()
    canonical = codes.canonical(code)
    if canonical is None:
        raise NotFoundError(code="booking_not_found", message=_("This is not a booking code."))
    with transaction.atomic():
        bound_lock_waits()
        booking = (
            Booking.objects.select_for_update()
            .select_related("slot", "office")
            .filter(code=canonical, office=office)
            .first()
        )
        if booking is None:
            raise NotFoundError(code="booking_not_found", message=_("No booking has this code."))
        refusal = _door_refusal(booking, office, now)
        if refusal is None:
            return _transition(booking, S.CHECKED_IN, actor)
        if refusal.code == "too_late":
            _transition(booking, S.EXPIRED, Actor.system(), note=gettext_noop("late at the door"))
            notices.notify_expired(booking)
    raise refusal


def _door_refusal(booking: Booking, office: Office, now: dt.datetime) -> DomainError | None:
    if booking.status == S.CANCELLED:
        return ConflictError(code="cancelled", message=_("This booking was cancelled."))
    if booking.status in (S.HELD, S.RELEASED):
        return ConflictError(
            code="not_confirmed",
            message=_(
                "This booking was never confirmed from its WhatsApp number; it is not valid."
            ),
        )
    if booking.status == S.EXPIRED:
        return ConflictError(
            code="expired",
            message=_("This booking was forfeited: the applicant did not come in time."),
        )
    if booking.status != S.BOOKED:
        return ConflictError(
            code="already_checked_in", message=_("This booking has already been checked in.")
        )
    today = schedule.local_today(office, now)
    if booking.date != today:
        return ConflictError(
            code="wrong_day",
            message=_("This booking is for %(date)s, not today.")
            % {"date": notices.day_text(booking.date)},
        )
    opens = booking.slot.starts_at - _minutes(settings.BOOKING_CHECK_IN_OPENS_MINUTES)
    if now < opens:
        return ConflictError(
            code="too_early",
            message=_("Too early: entry opens at %(time)s.") % {"time": _local_time(office, opens)},
        )
    if now > booking.expires_at:
        return ConflictError(
            code="too_late",
            message=_("Too late: the %(time)s booking was forfeited at %(expired)s.")
            % {
                "time": _local_time(office, booking.slot.starts_at),
                "expired": _local_time(office, booking.expires_at),
            },
        )
    return None


# Marks one batch of due bookings expired and returns what the notice needs, in one
# statement: the batch is chosen, locked and updated by the same round trip, with no
# model load in between (the ORM's update() cannot return rows; this is the sweep's
# hot path, bench/README.md). On PostgreSQL the batch's ids are gathered into an array
# first (an InitPlan, run once): with `id IN (subquery)` the planner hash-joined the
# batch against a scan of every booked row, a whole-table read per batch of 500.
_DUE_BATCH = """
    SELECT id FROM bookings_booking
    WHERE status = %(booked)s AND expires_at <= %(now)s
    ORDER BY expires_at
    LIMIT %(limit)s"""
_FORFEIT_DUE = """
UPDATE bookings_booking SET status = %(expired)s, updated_at = %(now)s
WHERE id {in_batch}
"""
_IN_DUE_BATCH = {
    "postgresql": f"= ANY(ARRAY({_DUE_BATCH}\n    FOR UPDATE SKIP LOCKED\n))",
    # SQLite (make run): one writer at a time, so no row locks to take or skip.
    "sqlite": f"IN ({_DUE_BATCH}\n)",
}


def _forfeit_due(now: dt.datetime, limit: int) -> list[Booking]:
    """Expire up to `limit` due bookings; returns them (deferred models with the notice's
    fields, their slot and office attached by the caller)."""
    params = {
        "expired": S.EXPIRED,
        "booked": S.BOOKED,
        "now": connection.ops.adapt_datetimefield_value(now),
        "limit": limit,
    }
    sql = _FORFEIT_DUE.format(in_batch=_IN_DUE_BATCH[connection.vendor])
    columns = {"id", "slot_id", *notices.EXPIRED_NOTICE_COLUMNS}
    return execute_returning(sql, params, Booking, columns)


def bookings_expire_no_shows(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Forfeit every booking still `booked` after its expiry time, in batches.

    Idempotent, and safe with several workers at once: each batch locks its rows with
    SKIP LOCKED, so two sweeps take disjoint batches and none expires a booking twice.
    Each batch commits on its own, so it refuses to run inside a caller's transaction
    (durable: RuntimeError), which would hold every batch's locks to the end.
    Returns how many bookings were expired.
    """
    now = now or timezone.now()
    total = 0
    offices: dict[int, Office] = {}
    while True:
        with transaction.atomic(durable=True):
            expired = _forfeit_due(now, batch_size)
            if not expired:
                return total
            # Slots in id order: two sweeps never wait on each other's slots crosswise.
            counts = Counter(booking.slot_id for booking in expired)
            for slot_id, count in sorted(counts.items()):
                Slot.objects.filter(pk=slot_id).update(booked=F("booked") - count)
            insert_many(
                BookingEvent,
                [
                    {
                        "booking_id": booking.pk,
                        "from_status": S.BOOKED,
                        "to_status": S.EXPIRED,
                        "actor_kind": ActorKind.SYSTEM,
                        "channel": Channel.SYSTEM,
                        "note": gettext_noop("no-show"),
                    }
                    for booking in expired
                ],
            )
            slots = Slot.objects.only("starts_at").in_bulk(list(counts))
            for booking in expired:  # 26 offices: read once a sweep, not once a booking
                if booking.office_id not in offices:
                    offices[booking.office_id] = Office.objects.get(pk=booking.office_id)
                booking.office = offices[booking.office_id]
                booking.slot = slots[booking.slot_id]
            notices.notify_expired_many(expired)
            total += len(expired)
        if len(expired) < batch_size:
            return total


@transaction.atomic
def priority_ticket_issue(
    *, office: Office, category: str, actor: Actor, now: dt.datetime | None = None
) -> PriorityTicket:
    """A walk-in ticket of the priority lane, within the office's daily quota and
    while the office serves (from PRIORITY_TICKET_OPENS_BEFORE_MINUTES before opening
    to closing; a ticket at night would hold a place for a day that has not begun).
    Locks the office row, so two doors cannot issue the last ticket twice."""
    if category not in PriorityCategory.values:
        raise DomainError(
            code="invalid_category",
            message=_("Unknown category."),
            fields={"category": [_("Unknown.")]},
        )
    bound_lock_waits()
    now = now or timezone.now()
    office = Office.objects.select_for_update().get(pk=office.pk)
    today = schedule.local_today(office, now)
    closed = schedule.closed_reason_at(
        office_calendar(office=office, start=today, end=today),
        now,
        early=_minutes(settings.PRIORITY_TICKET_OPENS_BEFORE_MINUTES),
    )
    if closed:
        raise ConflictError(
            code="office_closed_now",
            message=_("No priority ticket now. %(reason)s") % {"reason": closed},
        )
    issued = PriorityTicket.objects.filter(office=office, date=today).count()
    if issued >= office.priority_quota:
        raise ConflictError(
            code="priority_quota_reached",
            message=_("Today's %(quota)d priority tickets have all been issued.")
            % {"quota": office.priority_quota},
        )
    return PriorityTicket.objects.create(
        office=office, date=today, seq=issued + 1, category=category, issued_by=actor.user
    )


def _fees_on(day: dt.date):
    return Fee.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


_FEE_CODE = re.compile(r"[-a-z0-9_]{1,40}")


def fee_current(*, code: str, on: dt.date) -> Fee:
    """The fee `code` in force on `on`. Text no fee code can be (a NUL byte, which
    PostgreSQL refuses even to compare) is no fee, answered without a query."""
    fee = None
    if _FEE_CODE.fullmatch(code or ""):
        fee = _fees_on(on).filter(code=code).order_by("-valid_from").first()
    if fee is None:
        raise DomainError(
            code="unknown_fee",
            message=_("No such fee is in force."),
            fields={"fee": [_("Unknown.")]},
        )
    return fee


def fees_in_force(*, office: Office, now: dt.datetime | None = None) -> list[Fee]:
    """The fees in force on the office's own today, one per code (the newest start):
    what the counter shows and may record, read from the same rule as `fee_current`.
    Fees are national and set by regulation; the office only fixes which day it is."""
    day = schedule.local_today(office, now or timezone.now())
    latest: dict[str, Fee] = {}
    for fee in _fees_on(day).order_by("code", "-valid_from"):
        latest.setdefault(fee.code, fee)
    return sorted(latest.values(), key=lambda fee: (fee.amount, fee.code))


def _check_counter(counter) -> int:
    if not isinstance(counter, int) or isinstance(counter, bool) or not 1 <= counter <= 50:
        raise DomainError(
            code="invalid_counter",
            message=_("Unknown counter."),
            fields={"counter": [_("1 to 50.")]},
        )
    return counter


def counter_latest_call(*, office: Office, counter: int, day: dt.date) -> CounterCall | None:
    """The number a counter called last on `day` (a booking or a priority ticket)."""
    return (
        CounterCall.objects.filter(office=office, date=day, counter=counter)
        .select_related("booking", "ticket")
        .order_by("-called_at", "-pk")
        .first()
    )


def counter_service_in_turn(
    *, booking: Booking, counter: int, now: dt.datetime | None = None
) -> bool:
    """Whether serving `booking` at `counter` now is in turn: "call next" called it to
    this counter today and nobody has been called to this counter since. Anything else
    (never called, called to another counter, called earlier and passed over) is out of
    turn and needs the officer's reason. The one definition: the desk page asks it to
    decide which form to show, `booking_record_submission` to decide what to record."""
    day = schedule.local_today(booking.office, now or timezone.now())
    latest = counter_latest_call(office=booking.office, counter=counter, day=day)
    return latest is not None and latest.booking_id == booking.pk


def _out_of_turn_reason(reason: str | None, note: str) -> tuple[str, str]:
    """The officer's reason, checked: one of OutOfTurnReason, "other" with a note."""
    reason, note = (reason or "").strip(), " ".join((note or "").split())
    if not reason:
        raise DomainError(
            code="out_of_turn_reason_required",
            message=_(
                "This person was not called to this counter in turn: choose the reason "
                "for serving them now."
            ),
            fields={"out_of_turn_reason": [_("Required when serving out of turn.")]},
        )
    if reason not in OutOfTurnReason.values:
        raise DomainError(
            code="invalid_out_of_turn_reason",
            message=_("Unknown reason."),
            fields={"out_of_turn_reason": [_("Unknown.")]},
        )
    if any(unicodedata.category(ch) in {"Cc", "Cs"} for ch in note):
        raise DomainError(
            code="invalid_out_of_turn_note",
            message=_("The note holds characters that cannot be stored."),
            fields={"out_of_turn_note": [_("Plain text only.")]},
        )
    if len(note) > 200:
        raise DomainError(
            code="out_of_turn_note_too_long",
            message=_("The note is too long (at most 200 characters)."),
            fields={"out_of_turn_note": [_("At most 200 characters.")]},
        )
    if reason == OutOfTurnReason.OTHER and not note:
        raise DomainError(
            code="out_of_turn_note_required",
            message=_("Say in a few words why this person is served out of turn."),
            fields={"out_of_turn_note": [_('Required for "other".')]},
        )
    return reason, note


@transaction.atomic
def booking_record_submission(
    *,
    booking: Booking,
    fee_code: str,
    billing_code: str,
    counter: int,
    actor: Actor,
    out_of_turn_reason: str | None = None,
    out_of_turn_note: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Documents, photo and interview done at `counter`: record the fee in force and the
    15-digit billing code the applicant pays at a bank or post office (never at the
    counter), and the service itself (CounterService): who served, where, when, and
    whether in turn (`counter_service_in_turn`). Out of turn is allowed, never silent:
    without a reason it is refused and nothing changes.

    Locks the booking row with its slot and office rows (`_lock` joins them); "call
    next" locks the same office row, so the counter's latest call cannot change while
    the turn is judged."""
    now = now or timezone.now()
    booking = _lock(booking)
    billing_code = (billing_code or "").replace(" ", "")
    if not re.fullmatch(r"[0-9]{15}", billing_code):
        raise DomainError(
            code="invalid_billing_code",
            message=_("A billing code has 15 digits."),
            fields={"billing_code": [_("15 digits.")]},
        )
    counter = _check_counter(counter)
    day = schedule.local_today(booking.office, now)
    fee = fee_current(code=fee_code, on=day)
    in_turn = counter_service_in_turn(booking=booking, counter=counter, now=now)
    reason, note = "", ""
    if not in_turn:
        reason, note = _out_of_turn_reason(out_of_turn_reason, out_of_turn_note)
    _transition(
        booking,
        S.SUBMITTED,
        actor,
        note="" if in_turn else f"out of turn: {reason}",
        fee=fee,
        fee_amount=fee.amount,
        billing_code=billing_code,
    )
    CounterService.objects.create(
        office=booking.office,
        date=day,
        counter=counter,
        booking=booking,
        call=CounterCall.objects.filter(booking=booking).first(),
        officer=actor.user,
        actor_label=actor.label[:100],
        served_at=now,
        in_turn=in_turn,
        out_of_turn_reason=reason,
        out_of_turn_note=note,
    )
    notices.notify_fee(booking)
    return booking


@transaction.atomic
def booking_confirm_payment(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.PAID, actor)
    notices.notify_paid(booking)
    return booking


@transaction.atomic
def booking_mark_ready(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.READY, actor)
    notices.notify_ready(booking)
    return booking


@transaction.atomic
def booking_mark_collected(*, booking: Booking, actor: Actor) -> Booking:
    booking = _transition(_lock(booking), S.COLLECTED, actor)
    notices.notify_collected(booking)
    return booking


def bookings_send_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the day-before reminder of every upcoming booking that is due one (beat,
    every 15 minutes). Each reminder is queued once (the outbox dedupes by code), and
    commits on its own: refused inside a caller's transaction (durable)."""
    now = now or timezone.now()
    earliest = (now - dt.timedelta(days=1)).date()
    latest = (now + dt.timedelta(days=2)).date()
    queued = 0
    candidates = Booking.objects.filter(
        status=S.BOOKED, date__range=(earliest, latest), created_at__lte=now - dt.timedelta(hours=6)
    ).select_related("office", "slot")
    for booking in candidates.iterator():
        if notices.reminder_due(booking, now):
            with transaction.atomic(durable=True):
                if notices.notify_reminder(booking):
                    queued += 1
    return queued


@transaction.atomic
def queue_call_next(
    *, office: Office, counter: int, actor: Actor, now: dt.datetime | None = None
) -> CounterCall | None:
    """Call the next person to `counter`: priority tickets first (the elderly, disabled
    people, small children), then checked-in bookings in queue order. Locks the office
    row, so two counters never call the same person. None when nobody is waiting."""
    _check_counter(counter)
    bound_lock_waits()
    office = Office.objects.select_for_update().get(pk=office.pk)
    today = schedule.local_today(office, now or timezone.now())
    ticket = (
        PriorityTicket.objects.filter(office=office, date=today, call__isnull=True)
        .order_by("seq")
        .first()
    )
    if ticket is not None:
        return CounterCall.objects.create(
            office=office, date=today, counter=counter, ticket=ticket, called_by=actor.user
        )
    booking = (
        Booking.objects.filter(office=office, date=today, status=S.CHECKED_IN, call__isnull=True)
        .order_by("queue_seq")
        .first()
    )
    if booking is None:
        return None
    return CounterCall.objects.create(
        office=office, date=today, counter=counter, booking=booking, called_by=actor.user
    )
