"""Allocation: a booking of one person or a family, in one database call (#19).

`booking_create_family` checks the shape of the request (names, birth dates, the
family's rules, the phone's form, the priority claims read from birth dates), asks
the release gate of the draw, words the confirmation, and makes one call of
`booking_place` (bookings/sql/booking_place.sql, created by migration 0010). That
function is the one implementation of the booking rules: the rules of time (office
active, past day, same-day cut-off, release), the day's room under the capacity rule,
the limits per phone, person and client (live holds counted, lapsed ones not), the
release of the day's lapsed and overridden holds, the places, the queue numbers, and
the rows (bookings, events, outbox). It returns the rows, or a refusal code that
`_refusal` maps to the exception and its bilingual message. What stays here is what
SQL cannot say: the office calendar (a day without slot rows is planned from opening
hours and national holidays, `slots_ensure`) and the words.

Holds: a booking made with a phone number nobody has proven (the web page, the public
API) is `held`: it takes its place and counts in every limit, but has no queue number
and is not valid at the door until the applicant confirms it by WhatsApp from that
number (`booking_hold_confirm`). A hold past `hold_expires_at` counts nowhere, even
before `holds_release_expired` marks it released.

Locks, all taken by `booking_place` in this order (the package's order, actor.py):
advisory locks on the phone, the persons and the hold client (exclusive) and the
office-day (shared); then slot rows in start order (SKIP LOCKED first for a single
booking); then the day's held rows it releases, with SKIP LOCKED. A day without slot
rows takes the same advisory locks here first, then plans the day."""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes, notices, soldout
from bookings.applicant import Applicant, family_validated, normalise_booking_phone
from bookings.freed import places_freed_on_commit
from bookings.models import Booking, ServiceType
from bookings.notices import booked_notices_unfilled
from bookings.priority import priority_claims
from bookings.services.actor import Actor, _local_time
from bookings.services.holds import holds_release, phone_limit_error
from bookings.soldout import day_full_error
from immigration.errors import ConflictError, DomainError
from immigration.locks import (
    advisory_xact_locks,
    busy_error,
    is_lock_timeout,
    lock_ids,
    lock_timeout_setting,
    office_day_key,
)
from notifications.services import outbox_dispatch_on_commit
from offices import localtime, release_window, schedule
from offices.contacts import office_check_takes_holds
from offices.models import Office, Slot, Weekday
from offices.selectors import office_calendar
from offices.services import slots_ensure


def release_gate(office: Office, day: dt.date, now: dt.datetime, *, placing: bool) -> bool | None:
    """settings.BOOKING_RELEASE_GATE (the draw, release/services.py): None for a day
    released first come, True for one its draw released; raises while a draw holds it.
    Named in settings so bookings imports no app above it. `booking_place` asks the
    same gate in SQL (`booking_release_gate`); this is asked only to word its refusal."""
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
# How many places of a slot a booking may take is written once, in SQL
# (bookings/sql/booking_place.sql, `booking_slot_room`): a priority booking (one with a
# person UU 25/2009 names, bookings/priority.py) may take every free place; any other
# only those not kept for priority (Slot.priority_kept, from waitlist.PriorityQuota).


def day_places_left(*, office: Office, day: dt.date, now: dt.datetime, priority: bool) -> int:
    """How many people a booking (priority or not) made now could still book on `day`:
    the free places of its slots yet to start under the capacity rule, plus the places
    of lapsed holds not yet swept (a booking releases those itself). One query
    (`booking_day_room`, the count `booking_place` makes before its locks); no lock
    (the waiting list asks it under its own list lock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT offered, places_left, lapsed_free FROM booking_day_room(%s, %s, %s, %s)",
            [office.pk, day, now, priority],
        )
        offered, left, lapsed_free = cursor.fetchone()
    if not offered:
        return 0
    return max(left, 0) + lapsed_free


def _limits() -> dict[str, int]:
    """The settings `booking_place` applies, read per call (tests change them)."""
    return {
        "phone_max": settings.BOOKING_PHONE_MAX_ACTIVE,
        "client_max": settings.BOOKING_HOLD_CLIENT_MAX,
        "hold_minutes": settings.BOOKING_HOLD_MINUTES,
        "late_minutes": settings.BOOKING_LATE_AFTER_MINUTES,
        "arrive_minutes": settings.BOOKING_ARRIVE_BEFORE_MINUTES,
        "no_show_window_days": settings.BOOKING_NO_SHOW_WINDOW_DAYS,
        "no_show_limit": settings.BOOKING_NO_SHOW_LIMIT,
        "no_show_block_days": settings.BOOKING_NO_SHOW_BLOCK_DAYS,
    }


def _lock_keys(phone: str, people: list[Applicant], client: str) -> list[str]:
    """The anti-calo rules span rows that may not exist yet: exclusive advisory locks
    serialise the bookings of one phone and of one person (by name + birth date, and
    by NIK), and the holds of one client."""
    return [
        f"phone:{phone}",
        *(key for person in people for key in person.lock_keys),
        *([f"hold-client:{client}"] if client else []),
    ]


# One spare code per call beyond one per person: a code drawn twice (31**8 codes) is
# astronomically rare, twice in one call never seen.
_SPARE_CODES = 2


# The SQLSTATE `booking_place_alone` raises a refusal with (class 23: Django maps it to
# IntegrityError, which does not mark the connection for a health check).
_REFUSED = "23B01"


def _place(request: dict, *, alone: bool = False) -> dict:
    """One call of `booking_place` (`booking_place_alone` outside a transaction); a lock
    not granted in time is the `busy` answer."""
    function = "booking_place_alone" if alone else "booking_place"
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s::jsonb)", [json.dumps(request)])
            answer = cursor.fetchone()[0]
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise busy_error() from exc
        raise
    except IntegrityError as exc:
        cause = exc.__cause__
        if getattr(cause, "sqlstate", None) == _REFUSED:  # rolled back: a refusal
            return json.loads(cause.diag.message_detail)
        raise
    return json.loads(answer) if isinstance(answer, str) else answer


def _from_row(model, row: dict, **related):
    """A model instance from a row `booking_place` returned (to_jsonb), no query."""
    values = {}
    for field in model._meta.concrete_fields:
        value = row.get(field.column)
        values[field.attname] = None if value is None else field.to_python(value)
    instance = model(**values)
    instance._state.adding = False
    instance._state.db = "default"
    for name, value in related.items():
        setattr(instance, name, value)
    return instance


def _refusal(
    answer: dict, *, office: Office, date: dt.date, now: dt.datetime, people: list[Applicant]
):
    """The exception of a refusal `booking_place` returned, worded in the active
    language (the messages are the ones the rules said in Python before #19)."""
    code = answer["refused"]
    if code == "office_inactive":
        return DomainError(code=code, message=_("This office does not take bookings."))
    if code == "date_past":
        return DomainError(
            code=code, message=_("That day has passed."), fields={"date": [_("In the past.")]}
        )
    if code == "same_day_closed":
        return DomainError(
            code=code,
            message=_("Booking for today has closed; choose another day."),
            fields={"date": [_("Booking for today has closed.")]},
        )
    if code == "day_in_draw":
        # The SQL gate refused; the release app words why (when the draw's window is).
        release_gate(office, date, now, placing=False)
        return busy_error()  # the draw finished between the two reads: try again
    if code == "not_released":
        _check_open(office, date)  # a closed day says so, even before its release
        release = release_window.release_at(office, date)
        return DomainError(
            code=code,
            message=_("Booking for %(date)s opens on %(release)s.")
            % {
                "date": notices.day_text(date),
                "release": " ".join(
                    [
                        notices.day_text(localtime.local(release, office).date()),
                        localtime.local_text(release, office),
                    ]
                ),
            },
            fields={"date": [_("Not open for booking yet.")]},
        )
    if code == "day_full":
        if answer.get("early"):
            # Refused on one indexed read, before any lock; remembered for a moment so
            # the next ones are refused before DRF (only when no place is left for
            # anyone: kept places still take priority bookings).
            if answer.get("anyone") == 0:
                soldout.remember(office.code, office.name, date)
        else:
            _check_open(office, date)  # closed while we waited for the lock: say so
        return day_full_error(office.name, date, len(people))
    if code == "limit_reached":
        return phone_limit_error()
    if code == "duplicate_booking":
        index = answer["index"]
        if answer["same_office"]:
            message = _("%(name)s already has a booking at this office on that day.")
        else:
            message = _("%(name)s already has a booking at another office on that day.")
        # The person as the request named them, never the stored holder: a known NIK
        # must not reveal whose it is or where they booked.
        return ConflictError(
            code=code, message=message % {"name": people[index].name}, applicants=(index,)
        )
    if code == "no_show_blocked":
        index = answer["index"]
        return ConflictError(
            code=code,
            message=_(
                "%(name)s missed %(count)d bookings in the last %(days)d days and "
                "cannot book until %(until)s."
            )
            % {
                "name": people[index].name,
                "count": answer["count"],
                "days": settings.BOOKING_NO_SHOW_WINDOW_DAYS,
                "until": notices.day_text(dt.date.fromisoformat(answer["until"])),
            },
            applicants=(index,),
        )
    if code == "hold_limit_reached":
        return ConflictError(
            code=code,
            message=_(
                "Too many bookings from this connection are waiting for WhatsApp "
                "confirmation; confirm them or wait %(minutes)d minutes."
            )
            % {"minutes": settings.BOOKING_HOLD_MINUTES},
        )
    if code == "invalid_slot":
        return DomainError(
            code=code,
            message=_("That time is not on offer on this day; choose another."),
            fields={"slot": [_("Not available.")]},
        )
    if code == "slot_full":
        starts_at = dt.datetime.fromisoformat(answer["starts_at"])
        return ConflictError(
            code=code,
            message=_("The %(time)s slot is full; choose another time or take the earliest.")
            % {"time": _local_time(office, starts_at)},
        )
    raise RuntimeError(f"booking_place refused with an unknown code: {code}")


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

    One database call (`booking_place`, bookings/sql/booking_place.sql) applies the
    rules and writes the rows; two when the day has no slot rows yet (the calendar
    plans it in between), plus the release gate's read. A refusal the call returns is
    raised here, which rolls back whatever it changed. Inside a caller's transaction it
    runs in a savepoint of it; outside one (an API request, a WhatsApp message) the call
    is its own transaction, committed with the statement: one round trip, not three
    (BEGIN, the call, COMMIT), the after-commit work done on its return.

    The call takes advisory locks on the phone, each person and the hold client
    (exclusive) and the office-day (shared), then slot row locks (all of the day's,
    in start order, when lapsed or overridden holds of the day are released first),
    then the held rows it releases with SKIP LOCKED.
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
    if slot_id is not None and not 0 < slot_id < 2**63:
        # No slot has such an id (a hostile value): the shape is wrong, said as for
        # any slot not on offer, before the database is asked.
        raise _refusal(
            {"refused": "invalid_slot"}, office=office, date=date, now=now, people=people
        )
    client = "" if phone_verified else hold_client
    keys = _lock_keys(phone, people, client)
    locks, shared = lock_ids(exclusive=keys, shared=[office_day_key(office.pk, date)])
    request = {
        "office": office.pk,
        "day": date.isoformat(),
        "now": now.isoformat(),
        "created": timezone.now().isoformat(),
        "phone": phone,
        "verified": phone_verified,
        "client": hold_client,
        "placing": draw_placement,
        "priority": any(claims),
        "slot": slot_id,
        "people": [
            {
                "name": person.name,
                "birth_date": person.birth_date.isoformat(),
                "nik": person.nik or "",
                "claim": claim,
            }
            for person, claim in zip(people, claims, strict=True)
        ],
        "codes": [codes.new_code() for _ in range(len(people) + _SPARE_CODES)],
        "service": service,
        "language": language,
        "channel": actor.channel,
        "rescheduled_from": rescheduled_from.pk if rescheduled_from else None,
        "note": gettext_noop("rescheduled") if rescheduled_from else "",
        "actor": {
            "kind": actor.kind,
            "user": actor.user.pk if actor.user else None,
            "client": actor.client.pk if actor.client else None,
            "label": actor.label,
            "channel": actor.channel,
        },
        "locks": locks,
        "shared": shared,
        "lock_timeout": lock_timeout_setting(),
        "limits": _limits(),
        "zone_label": localtime.zone_label(office),
        "notice": booked_notices_unfilled(
            office=office,
            day=date,
            people=people,
            service=service,
            language=language,
            rescheduled_from=rescheduled_from,
        )
        if phone_verified
        else None,
    }
    placed = _Placed(office=office, date=date, now=now, people=people, moved=rescheduled_from)
    if connection.in_atomic_block:
        # Within the caller's transaction: a savepoint, so a refusal leaves it as it was.
        with transaction.atomic():
            return _place_and_finish(request, placed, keys, alone=False)
    return _place_and_finish(request, placed, keys, alone=True)


@dataclass(frozen=True)
class _Placed:
    """What turns `booking_place`'s answer into bookings or a refusal."""

    office: Office
    date: dt.date
    now: dt.datetime
    people: list[Applicant]
    moved: Booking | None


def _place_and_finish(request: dict, placed: _Placed, keys: list[str], *, alone: bool):
    """The call, and the day's planning when it has no slot rows yet. `alone`: no
    transaction is open, so the call is one (`booking_place_alone`: committed with the
    statement, one round trip instead of BEGIN, the call and COMMIT; a refusal after it
    changed something is raised by the database and rolled back)."""
    office, date = placed.office, placed.date
    answer = _place(request, alone=alone)
    if answer.get("refused") == "unplanned":
        # The day has no slot rows yet (nobody has booked it): the calendar says
        # whether it is open, and plans it, under the same locks in the same order
        # (phone and people, then the office-day shared) as the call takes them.
        with transaction.atomic():
            advisory_xact_locks(exclusive=keys, shared=[office_day_key(office.pk, date)])
            _check_open(office, date)
            slots_ensure(office=office, day=date)
            return _finish(_place({**request, "planned": True}, alone=False), placed)
    return _finish(answer, placed)


def _finish(answer: dict, placed: _Placed) -> list[Booking]:
    """The refusal raised, or the after-commit work and the bookings (no query). Run in
    the call's transaction (its on-commit work waits for the commit) or after it (then
    at once)."""
    office, date, now = placed.office, placed.date, placed.now
    if "refused" in answer:
        raise _refusal(answer, office=office, date=date, now=now, people=placed.people)

    if answer["freed"]:
        # Lapsed or overridden holds of this day were released by the call.
        soldout.forget(office.code, date)
        places_freed_on_commit(office.pk, date)
    elsewhere = sorted(set(answer["elsewhere"]))
    if elsewhere:
        # Holds on other days or at other offices: released in a transaction of their
        # own once this one commits, so this one never waits on another day's slots.
        transaction.on_commit(lambda: holds_release(ids=elsewhere, now=now))
    outbox_dispatch_on_commit(answer["outbox"])
    slots = {int(pk): _from_row(Slot, row, office=office) for pk, row in answer["slots"].items()}
    return [
        _from_row(
            Booking,
            row,
            office=office,
            slot=slots[row["slot_id"]],
            rescheduled_from=placed.moved,
        )
        for row in answer["bookings"]
    ]


def booking_create(*, applicant: Applicant, **kwargs) -> Booking:
    """Book one applicant; see `booking_create_family` for the rules and locks."""
    return booking_create_family(applicants=[applicant], **kwargs)[0]
