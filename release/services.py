"""The rules of releasing days by a draw: which days a draw covers, committing to its
seed, entering it, running it, and refusing first-come booking of its days meanwhile.

A draw's life: `draw_commit` (beat, before the window opens: a secret seed from
`secrets`, its SHA-256 published) -> entries while the window is open (`draw_enter`,
`draw_entry_confirm`) -> `draw_run` at the window's end (beat): the order and the
places are computed by release/algorithm.py from the seed and the entries'
pseudonyms, stored on the entries, and only then the winners are booked one by one
through `booking_create_family` (the database's constraints judge every place), the
results are sent, and the draw is done. Each step commits on its own and is
re-entrant, so a run that crashed half-way is finished by the next run, and a second
run of a finished draw changes nothing and sends nothing.

Locks: entering and confirming hold the draw's advisory lock shared; the run's first
step holds it exclusive, so no entry slips in while the entries are read.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings import codes, notices
from bookings.applicant import Applicant, family_validated, normalise_booking_phone
from bookings.models import ActorKind, Channel, ServiceType
from bookings.services import Actor, booking_create_family
from immigration.errors import ConflictError, DomainError, NotFoundError
from immigration.integrity import violated_constraint
from immigration.locks import advisory_xact_locks
from notifications.models import About
from notifications.services import outbox_enqueue_many
from offices import localtime, release_window, schedule
from offices.contacts import office_check_takes_holds
from offices.models import Office, Slot
from offices.selectors import office_calendar
from offices.services import slots_ensure
from release import algorithm
from release.models import (
    Draw,
    DrawEntry,
    DrawEvent,
    DrawPerson,
    DrawState,
    EntryResult,
    EntryStatus,
    Placement,
    ReleaseMode,
    ReleasePolicy,
)
from waitlist.services import Arrival, waitlist_append, waitlist_positions_of_sources

MAX_PREFERENCES = 3
ABOUT_DRAW_ENTRY = "draw_entry"
NOTIFY_BATCH = 1000


# --- which days a draw covers ---------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """A block of consecutive days released together in draw mode, and its window."""

    policy: ReleasePolicy
    first_day: dt.date
    last_day: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime

    @property
    def days(self) -> list[dt.date]:
        return list(schedule.days(self.first_day, self.last_day))

    @cached_property
    def calendar(self) -> schedule.OfficeCalendar:
        """What the opening of the release's days depends on, read once per Release:
        the WhatsApp conversation keeps a Release for an inbox chunk
        (release/whatsapp.py), so a burst of entries reads it once."""
        return office_calendar(office=self.policy.office, start=self.first_day, end=self.last_day)


def policy_for(*, office: Office, day: dt.date) -> ReleasePolicy | None:
    """The policy in force for a service day: the latest that applies from it or before.
    Through the office's manager, so `policy.office` is `office` (no query more)."""
    return office.release_policies.filter(applies_from__lte=day).order_by("-applies_from").first()


def office_has_draws(*, office: Office) -> bool:
    """Whether any policy of the office is in draw mode. When none is, every day is
    first come (`release_for` is None for all): the WhatsApp conversation asks this
    once per inbox chunk instead of `release_for` for every booking line. Reads only."""
    return office.release_policies.filter(mode=ReleaseMode.DRAW).exists()


def release_for(*, office: Office, day: dt.date) -> Release | None:
    """The draw release `day` belongs to, or None when the day is first come. Releases
    are blocks of `days_per_release` days counted from the policy's first day (a later
    policy cuts the last block short); a block's window opens when its first day would
    be released (offices/release_window.release_at) and lasts `draw_window_hours`."""
    policy = policy_for(office=office, day=day)
    if policy is None or policy.mode != ReleaseMode.DRAW:
        return None
    size = policy.days_per_release
    first = policy.applies_from + dt.timedelta(days=(day - policy.applies_from).days // size * size)
    last = first + dt.timedelta(days=size - 1)
    following = (
        ReleasePolicy.objects.filter(office=office, applies_from__gt=policy.applies_from)
        .order_by("applies_from")
        .values_list("applies_from", flat=True)
        .first()
    )
    if following is not None and last >= following:
        last = following - dt.timedelta(days=1)
    opens = release_window.release_at(office, first)
    return Release(
        policy=policy,
        first_day=first,
        last_day=last,
        opens_at=opens,
        closes_at=opens + dt.timedelta(hours=policy.draw_window_hours),
    )


def release_policy_refusal(
    *, office: Office, applies_from: dt.date, policy: ReleasePolicy | None = None
) -> str | None:
    """Why a policy may not be added or changed, or None: a policy that already decided
    a draw is fixed (the draw's days and window are public), and a new one may not start
    inside a draw already committed (it would cut a published release). Reads only."""
    if policy is not None and policy.pk and policy.draws.exists():
        return _("This policy already decided a draw; add a new policy from a later day.")
    inside = Draw.objects.filter(
        office=office, first_day__lt=applies_from, last_day__gte=applies_from
    ).first()
    if inside is not None:
        return _(
            "A draw covering %(first)s to %(last)s is already published; a new policy may "
            "start on %(next)s at the earliest."
        ) % {
            "first": notices.day_text(inside.first_day),
            "last": notices.day_text(inside.last_day),
            "next": notices.day_text(inside.last_day + dt.timedelta(days=1)),
        }
    return None


def _when(instant: dt.datetime, office: Office) -> str:
    """ "Senin, 14 Desember 2026 09:00 WITA": a moment as the applicant reads it."""
    local = localtime.local(instant, office)
    return f"{notices.day_text(local.date())} {localtime.local_text(instant, office)}"


def first_come_refusal(
    *, office: Office, day: dt.date, now: dt.datetime, placing: bool = False
) -> bool | None:
    """Asked by the booking allocation when `booking_place` refused a day
    (settings.BOOKING_RELEASE_GATE), to word the refusal. None: the day is first come,
    the usual release rules apply. True: the day belongs to a draw that has placed its
    winners (or this is the draw placing them), so it counts as released. Raises
    `day_in_draw` while the day's draw is to come or running: first come may not take
    a place the draw gives out. The decision is the SQL gate's
    (release/sql/release_gate.sql, one implementation for both). Reads only."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT booking_release_gate(%s, %s, %s)", [office.pk, day, placing])
        gate = cursor.fetchone()[0]
    if gate is None:
        return None
    if gate == "released":
        return True
    release = release_for(office=office, day=day)
    message = _(
        "Places on %(date)s at %(office)s are given by a draw, not to the fastest: enter "
        "the draw from %(opens)s until %(closes)s (entering early or late makes no "
        "difference). The draw is at %(closes)s."
    ) % {
        "date": notices.day_text(day),
        "office": office.name,
        "opens": _when(release.opens_at, office),
        "closes": _when(release.closes_at, office),
    }
    raise ConflictError(code="day_in_draw", message=message, fields={"date": [message]})


@dataclass(frozen=True)
class HeldDay:
    """A day of a draw release, as the calendar shows it: when entries close (the draw)
    and where to enter; `drawn` once the draw is done, when the day counts as released
    (what `first_come_refusal` answers) even before its own release time."""

    closes_at: dt.datetime
    url: str
    drawn: bool = False


@dataclass(frozen=True)
class DrawHolds:
    """settings.AVAILABILITY_DRAW_HOOK's answer: `expression`, a subquery the calendar
    adds to a query it makes anyway (so an office without draws costs no query more),
    and `days`, which reads its value into {day: HeldDay}."""

    office: Office
    start: dt.date
    end: dt.date
    expression: object

    def days(self, value) -> dict[dt.date, HeldDay]:
        from django.urls import reverse

        held: dict[dt.date, HeldDay] = {}
        for row in value or []:
            first_day = dt.date.fromisoformat(row["first"])
            last_day = dt.date.fromisoformat(row["last"])
            closes_at = dt.datetime.fromisoformat(row["closes"])
            url = reverse(
                "draw-page", kwargs={"office": self.office.code, "release": first_day.isoformat()}
            )
            drawn = row["state"] == DrawState.DONE
            for day in schedule.days(max(first_day, self.start), min(last_day, self.end)):
                held[day] = HeldDay(closes_at=closes_at, url=url, drawn=drawn)
        return held


def draw_holds(*, office: Office, start: dt.date, end: dt.date) -> DrawHolds:
    """settings.AVAILABILITY_DRAW_HOOK: the days from `start` to `end` of committed
    draws, each with its window's close, the draw page's address and whether the draw
    is done. While it is not, the calendar shows the days as `by_draw` instead of open,
    so it says what booking them would answer (`first_come_refusal`: day_in_draw); once
    it is, the days are released, all of them at once (the release's later days
    included, before their usual release time), as `first_come_refusal` lets them be
    booked: open with the places the draw left, or full with the waiting list. A draw
    release whose draw is not committed yet is before its window (its days are not
    released). Reads only; no query of its own: the calendar evaluates the expression
    inside its hours query."""
    from django.contrib.postgres.aggregates import JSONBAgg
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import JSONObject

    rows = (
        Draw.objects.filter(office=OuterRef("office_id"), first_day__lte=end, last_day__gte=start)
        .values("office_id")
        .annotate(
            rows=JSONBAgg(
                JSONObject(first="first_day", last="last_day", closes="closes_at", state="state")
            )
        )
        .values("rows")
    )
    return DrawHolds(office=office, start=start, end=end, expression=Subquery(rows))


@dataclass(frozen=True)
class DrawToEnter:
    """The draw release an applicant of a draw-mode office would enter now: its days,
    its window, and its public page once its draw is committed (else "")."""

    first_day: dt.date
    last_day: dt.date
    opens_at: dt.datetime
    closes_at: dt.datetime
    url: str


def draw_to_enter(*, office: Office, now: dt.datetime) -> DrawToEnter | None:
    """What HELP says of the draw: the committed draw whose window is open or opens
    next, else the release the next day to be released belongs to (its draw not
    committed yet), else None (the office books first come). Reads only."""
    from django.urls import reverse

    draw = (
        Draw.objects.filter(office=office, state=DrawState.COMMITTED, closes_at__gt=now)
        .order_by("opens_at")
        .first()
    )
    if draw is not None:
        url = reverse("draw-page", kwargs={"office": office.code, "release": draw.release})
        return DrawToEnter(
            draw.first_day,
            draw.last_day,
            draw.opens_at,
            draw.closes_at,
            f"{settings.PUBLIC_BASE_URL}{url}",
        )
    release = release_for(
        office=office, day=release_window.last_released_day(office, now) + dt.timedelta(days=1)
    )
    if release is None:
        return None
    return DrawToEnter(release.first_day, release.last_day, release.opens_at, release.closes_at, "")


# --- the commitment ---------------------------------------------------------------------


def _event(draw: Draw, kind: str, now: dt.datetime, **detail) -> None:
    DrawEvent.objects.create(draw=draw, kind=kind, detail=detail, created_at=now)


@transaction.atomic
def draw_commit(*, office: Office, first_day: dt.date, now: dt.datetime | None = None) -> Draw:
    """The draw of the release starting on `first_day`, created with a fresh secret seed
    (`secrets`, 32 bytes) and its SHA-256 as the published commitment if it does not
    exist yet. Idempotent: an existing draw is returned unchanged (its seed is never
    replaced). Refused when `first_day` does not start a draw release, or when the
    window would close after the first day has begun. No lock beyond the unique
    constraint (office, first_day)."""
    now = now or timezone.now()
    existing = Draw.objects.filter(office=office, first_day=first_day).first()
    if existing is not None:
        return existing
    release = release_for(office=office, day=first_day)
    if release is None or release.first_day != first_day:
        raise DomainError(
            code="not_a_release",
            message=_("No draw release of this office starts on %(date)s.")
            % {"date": notices.day_text(first_day)},
        )
    day_starts = dt.datetime.combine(first_day, dt.time(0), tzinfo=schedule.office_zone(office))
    if release.closes_at > day_starts:
        raise DomainError(
            code="window_too_long",
            message=_(
                "The draw window would close after the first day of the release has begun: "
                "shorten the window or release the days earlier."
            ),
        )
    seed = secrets.token_hex(32)
    draw, created = Draw.objects.get_or_create(
        office=office,
        first_day=first_day,
        defaults={
            "policy": release.policy,
            "last_day": release.last_day,
            "opens_at": release.opens_at,
            "closes_at": release.closes_at,
            "seed": seed,
            "commitment": algorithm.commitment(seed),
            "committed_at": now,
        },
    )
    if created:
        _event(draw, "committed", now, commitment=draw.commitment)
    return draw


def draws_commit_upcoming(*, now: dt.datetime | None = None) -> int:
    """Beat: commit every draw whose window opens within RELEASE_COMMIT_AHEAD_HOURS (or
    is open already), so each commitment is public before its window opens. Returns
    how many draws were created."""
    now = now or timezone.now()
    ahead = now + dt.timedelta(hours=settings.RELEASE_COMMIT_AHEAD_HOURS)
    created = 0
    offices = Office.objects.filter(
        is_active=True, release_policies__mode=ReleaseMode.DRAW
    ).distinct()
    for office in offices:
        day = schedule.local_today(office, now)
        horizon = release_window.last_released_day(office, ahead) + dt.timedelta(days=31)
        while day <= horizon:
            release = release_for(office=office, day=day)
            if release is None:
                day += dt.timedelta(days=1)
                continue
            due = release.opens_at <= ahead and release.closes_at > now
            if due and not Draw.objects.filter(office=office, first_day=release.first_day).exists():
                try:
                    draw_commit(office=office, first_day=release.first_day, now=now)
                    created += 1
                except DomainError:
                    pass  # a misconfigured policy: entering says the draw is not open
            day = release.last_day + dt.timedelta(days=1)
    return created


# --- entering ---------------------------------------------------------------------------


def _secret(purpose: str) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).digest()


def pseudonym(reference: str) -> str:
    """The entry's public name: an HMAC of its reference under a server key, 16 hex
    digits. Nobody can link it to a person; the applicant sees their own."""
    return hmac.new(_secret("release.pseudonym"), reference.encode(), hashlib.sha256).hexdigest()[
        :16
    ]


def _person_keys(person: Applicant) -> list[str]:
    """Keyed hashes of the person's identities (folded name + birth date, and NIK):
    compared by the database, and no personal data in the table."""
    secret = _secret("release.person")
    return [hmac.new(secret, key.encode(), hashlib.sha256).hexdigest() for key in person.lock_keys]


def _both(message: Callable[[], str]) -> str:
    """A message in Indonesian and English: the reason a request became invalid is read
    later, possibly by someone else than the one who entered it."""
    parts = []
    for language in ("id", "en"):
        with translation.override(language):
            parts.append(str(message()))
    return "\n".join(parts)


def _draw_key(draw: Draw) -> str:
    return f"draw:{draw.pk}"


def _check_window(draw: Draw, now: dt.datetime) -> None:
    office = draw.office
    if now < draw.opens_at:
        raise DomainError(
            code="draw_not_open",
            message=_("Entries for this draw open on %(opens)s.")
            % {"opens": _when(draw.opens_at, office)},
        )
    if now >= draw.closes_at or draw.state != DrawState.COMMITTED:
        raise ConflictError(
            code="draw_closed",
            message=_("Entries for this draw closed on %(closes)s.")
            % {"closes": _when(draw.closes_at, office)},
        )


def _check_preferences(
    office: Office, preferences: list[dt.date], release: Release | None = None
) -> Release:
    if not preferences or len(preferences) > MAX_PREFERENCES:
        raise DomainError(
            code="invalid_preferences",
            message=_("Give one to %(max)d days, in order of preference.")
            % {"max": MAX_PREFERENCES},
            fields={"days": [_("One to three days.")]},
        )
    if len(set(preferences)) != len(preferences):
        raise DomainError(
            code="invalid_preferences",
            message=_("The same day is given twice."),
            fields={"days": [_("Each day once.")]},
        )
    if release is None:
        release = release_for(office=office, day=preferences[0])
    if release is None:
        raise DomainError(
            code="not_draw_mode",
            message=_("%(date)s at %(office)s is booked first come, not by a draw.")
            % {"date": notices.day_text(preferences[0]), "office": office.name},
        )
    for day in preferences:
        if not release.first_day <= day <= release.last_day:
            raise DomainError(
                code="days_other_release",
                message=_("All days must be in one draw: from %(first)s to %(last)s.")
                % {
                    "first": notices.day_text(release.first_day),
                    "last": notices.day_text(release.last_day),
                },
                fields={"days": [_("Not in this draw.")]},
            )
    for day in preferences:
        plan = schedule.plan_day(release.calendar, day)
        if not plan.is_open:
            raise DomainError(
                code="day_closed",
                message=_("The office is closed on %(date)s (%(reason)s); choose another day.")
                % {"date": notices.day_text(day), "reason": plan.closed_reason},
                fields={"days": [_("Closed.")]},
            )
    return release


def _validated_people(office: Office, applicants: list[Applicant], now: dt.datetime):
    return family_validated(applicants, today=schedule.local_today(office, now))


def _duplicate_person() -> str:
    return _both(
        lambda: _(
            "Someone in this request is already in another request for this draw: a person "
            "may be in one request only. This request does not take part."
        )
    )


def _duplicate_phone() -> str:
    return _both(
        lambda: _(
            "This WhatsApp number already has a request in this draw: one request per "
            "family. This request does not take part."
        )
    )


def _persons_of(entry: DrawEntry, people: list[Applicant]) -> list[DrawPerson]:
    return [
        DrawPerson(draw_id=entry.draw_id, entry=entry, key=key)
        for person in people
        for key in _person_keys(person)
    ]


def _entered_conflict(exc: IntegrityError) -> ConflictError | None:
    """The bilingual refusal for a second entered request of the phone or a person
    already entered, which the database's constraints caught; None for anything else."""
    if violated_constraint(exc, DrawPerson).constraint == "draw_person_once":
        return ConflictError(code="person_entered", message=_duplicate_person())
    if violated_constraint(exc, DrawEntry).constraint == "draw_entry_one_per_phone":
        return ConflictError(code="phone_entered", message=_duplicate_phone())
    return None


def _enter_locked(entry: DrawEntry, people: list[Applicant], now: dt.datetime) -> None:
    """Make a pending entry take part: the database refuses a second entered request of
    the phone and a person already entered (raises ConflictError, bilingual). Caller's
    transaction, holding the draw's lock shared."""
    try:
        with transaction.atomic():
            DrawEntry.objects.filter(pk=entry.pk).update(
                status=EntryStatus.ENTERED, confirmed_at=now
            )
            DrawPerson.objects.bulk_create(_persons_of(entry, people))
    except IntegrityError as exc:
        conflict = _entered_conflict(exc)
        if conflict is not None:
            raise conflict from exc
        raise
    entry.status = EntryStatus.ENTERED
    entry.confirmed_at = now


def _people_of(entry: DrawEntry) -> list[Applicant]:
    return [
        Applicant(p["name"], dt.date.fromisoformat(p["birth_date"]), p.get("nik") or None)
        for p in entry.people
    ]


@transaction.atomic
def draw_enter(
    *,
    office: Office,
    applicants: list[Applicant],
    preferences: list[dt.date],
    phone: str,
    channel: str,
    language: str = "id",
    service: str = ServiceType.NEW,
    phone_verified: bool = False,
    now: dt.datetime | None = None,
    release: Release | None = None,
) -> DrawEntry:
    """A request to the draw of the release `preferences` belong to: the people (one
    family, 1 to BOOKING_FAMILY_MAX), one to three days of that release in order. An
    application, not a booking. With `phone_verified` (WhatsApp's sender) it takes part
    at once; otherwise it is pending until `YA <reference>` comes from that phone
    (`draw_entry_confirm`). Refused, changing nothing: an office or day not in draw
    mode, days of two releases, a closed day, a window not open, a phone that already
    has a request in the draw, a person already in one.

    An office without a published WhatsApp number takes no entry from the web: its
    `YA` could never arrive (offices.contacts.office_check_takes_holds).

    `release`: what `release_for` gives for the first preference, when the caller has
    it already (the WhatsApp conversation keeps it for an inbox chunk, with its
    calendar). A request that takes part at once is stored entered, with its persons,
    in one savepoint: the database's constraints refuse a second request of the phone
    or a person already in one, as for a confirmed one (`_enter_locked`); a pending
    one is checked first, so that it is refused at once rather than at its `YA`.

    Locks: the draw's advisory lock, shared (the run takes it exclusive)."""
    now = now or timezone.now()
    if not phone_verified:
        office_check_takes_holds(office=office)
    if service not in ServiceType.values:
        raise DomainError(code="invalid_service", message=_("Unknown service."))
    people = _validated_people(office, applicants, now)
    phone = normalise_booking_phone(phone)
    release = _check_preferences(office, preferences, release)
    draw = office.draws.filter(first_day=release.first_day).first()
    if draw is None:
        raise DomainError(
            code="draw_not_open",
            message=_("Entries for this draw open on %(opens)s.")
            % {"opens": _when(release.opens_at, office)},
        )
    advisory_xact_locks(shared=[_draw_key(draw)])
    draw.refresh_from_db(fields=["state"])
    _check_window(draw, now)
    if not phone_verified:
        if DrawEntry.objects.filter(draw=draw, phone=phone, status=EntryStatus.ENTERED).exists():
            raise ConflictError(code="phone_entered", message=_duplicate_phone())
        keys = [key for person in people for key in _person_keys(person)]
        if DrawPerson.objects.filter(draw=draw, key__in=keys).exists():
            raise ConflictError(code="person_entered", message=_duplicate_person())
    entered = {"status": EntryStatus.ENTERED, "confirmed_at": now} if phone_verified else {}
    return _insert_entry(
        DrawEntry(
            draw=draw,
            phone=phone,
            language=language,
            channel=channel,
            service=service,
            people=[
                {"name": p.name, "birth_date": p.birth_date.isoformat(), "nik": p.nik or ""}
                for p in people
            ],
            people_count=len(people),
            preferences=[day.isoformat() for day in preferences],
            created_at=now,
            **entered,
        ),
        people if phone_verified else None,
    )


def _insert_entry(entry: DrawEntry, people: list[Applicant] | None = None) -> DrawEntry:
    """Save with a fresh reference (the booking codes' alphabet, so `YA <reference>`
    reads like `YA <code>`) and its pseudonym; retries the rare collision. `people`:
    the persons of an entry stored entered, inserted in the same savepoint (a person
    or the phone already entered: ConflictError, bilingual)."""
    for _attempt in range(10):
        entry.reference = codes.new_code()
        entry.pseudonym = pseudonym(entry.reference)
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
                if people is not None:
                    DrawPerson.objects.bulk_create(_persons_of(entry, people))
            return entry
        except IntegrityError as exc:
            conflict = _entered_conflict(exc)
            if conflict is not None:
                raise conflict from exc
            entry.pk = None
            broken = violated_constraint(exc, DrawEntry)
            if broken.constraint != "draw_entry_pseudonym" and broken.columns != ("reference",):
                raise
    raise RuntimeError("could not insert the draw entry after 10 attempts")


def draw_entry_for_phone(*, office: Office, phone: str, code: str) -> DrawEntry | None:
    """The request `code` names, if it was made with `phone` at `office`; else None (the
    caller answers as for any unknown code). Reads only."""
    canonical = codes.canonical(code or "")
    if canonical is None:
        return None
    return (
        DrawEntry.objects.select_related("draw", "draw__office")
        .filter(reference=canonical, phone=phone, draw__office=office)
        .first()
    )


def draw_entry_confirm(
    *, office: Office, phone: str, code: str, now: dt.datetime | None = None
) -> DrawEntry:
    """`YA <reference>` from `phone`: a pending request takes part. A person or the
    phone already entered makes it invalid instead (stored, with the bilingual reason,
    and returned: the reply says why). Refused without change: no such request of this
    phone at this office (NotFoundError), already entered, invalid, window closed.

    Locks: the draw's advisory lock shared, then the entry row."""
    now = now or timezone.now()
    found = draw_entry_for_phone(office=office, phone=phone, code=code)
    if found is None:
        raise NotFoundError(
            code="entry_not_found",
            message=_("No draw request of this WhatsApp number has that reference."),
        )
    with transaction.atomic():
        advisory_xact_locks(shared=[_draw_key(found.draw)])
        entry = (
            DrawEntry.objects.select_for_update(of=("self",))
            .select_related("draw__office")
            .get(pk=found.pk)
        )
        if entry.status == EntryStatus.ENTERED:
            raise ConflictError(
                code="already_entered", message=_("This request is already in the draw.")
            )
        if entry.status == EntryStatus.INVALID:
            raise ConflictError(code="entry_invalid", message=entry.invalid_reason)
        _check_window(entry.draw, now)
        try:
            _enter_locked(entry, _people_of(entry), now)
        except ConflictError as refused:
            entry.status = EntryStatus.INVALID
            entry.invalid_reason = str(refused.message)[:300]
            entry.save(update_fields=["status", "invalid_reason"])
    return entry


# --- the run ----------------------------------------------------------------------------


def _free_places(office: Office, day: dt.date, now: dt.datetime) -> int:
    slots_ensure(office=office, day=day)
    free = Slot.objects.filter(
        office=office, date=day, starts_at__gt=now, capacity__gt=0
    ).aggregate(left=Coalesce(Sum(F("capacity") - F("booked")), 0))["left"]
    return max(free, 0)


_STORE_OUTCOMES = """
UPDATE release_drawentry AS e
SET rank = u.rank, result = u.result, won_day = u.won_day, waitlist_position = u.position
FROM unnest(%s::bigint[], %s::integer[], %s::varchar[], %s::date[], %s::integer[])
    AS u(id, rank, result, won_day, position)
WHERE e.id = u.id
"""


def _store_outcomes(ids: dict[str, int], outcomes: list[algorithm.Outcome]) -> None:
    """One statement for all entries (20,000 rows in a draw)."""
    rows = [
        (
            ids[o.pseudonym],
            o.rank,
            EntryResult.WON if o.day else EntryResult.WAITLIST,
            dt.date.fromisoformat(o.day) if o.day else None,
            o.waitlist_position,
        )
        for o in outcomes
    ]
    with connection.cursor() as cursor:
        cursor.execute(_STORE_OUTCOMES, [list(column) for column in zip(*rows, strict=True)])


def _draw_locked(draw: Draw, now: dt.datetime) -> None:
    """Compute and store the order and the result of every entered request, with the
    places each day had. The caller holds the draw's row and its advisory lock."""
    rows = list(
        DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED).values_list(
            "pk", "pseudonym", "people_count", "preferences"
        )
    )
    capacities = {
        day.isoformat(): _free_places(draw.office, day, now)
        for day in schedule.days(draw.first_day, draw.last_day)
    }
    entries = [algorithm.Entry(p, count, tuple(prefs)) for _pk, p, count, prefs in rows]
    outcomes = algorithm.allocate(draw.seed, entries, capacities)
    if outcomes:
        _store_outcomes({p: pk for pk, p, _c, _prefs in rows}, outcomes)
    draw.capacities = capacities
    draw.state = DrawState.DRAWN
    draw.drawn_at = now
    draw.save(update_fields=["capacities", "state", "drawn_at"])
    winners = [o for o in outcomes if o.day]
    _event(
        draw,
        "drawn",
        now,
        entries=len(outcomes),
        winning_requests=len(winners),
        places=sum(capacities.values()),
        waitlist=len(outcomes) - len(winners),
    )


def _place_one(draw: Draw, entry_id: int, now: dt.datetime) -> None:
    """Book one winner, in its own transaction: the entry row is locked (SKIP LOCKED,
    so two runs never book it twice; a placed entry is skipped), then
    `booking_create_family` takes its locks. A refusal (the phone's limit, say) is
    stored on the entry; its places stay free."""
    with transaction.atomic(durable=True):
        entry = (
            DrawEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=entry_id, placement="")
            .first()
        )
        if entry is None:
            return
        try:
            with transaction.atomic():
                bookings = booking_create_family(
                    office=draw.office,
                    date=entry.won_day,
                    applicants=_people_of(entry),
                    phone=entry.phone,
                    actor=Actor(ActorKind.SYSTEM, Channel.SYSTEM, label=f"draw {draw}"),
                    service=entry.service,
                    language=entry.language,
                    now=now,
                    phone_verified=True,
                    draw_placement=True,
                )
            entry.placement = Placement.BOOKED
            entry.group_code = bookings[0].group_code or bookings[0].code
        except DomainError as exc:
            entry.placement = Placement.REFUSED
            entry.placement_error = f"{exc.code}: {exc.message}"[:300]
        entry.save(update_fields=["placement", "placement_error", "group_code"])


@dataclass(frozen=True)
class _ResultWords:
    """A draw's result message in one language, translated once: a run words 20,000
    messages in one or two languages, and `translation.override` per message was a
    third of queueing them (cProfile)."""

    head: str
    won: str
    refused: str
    waiting: str
    tail: str


def _result_words(draw: Draw, language: str) -> _ResultWords:
    office = draw.office
    with translation.override(language):
        return _ResultWords(
            head=_("The draw of %(office)s for %(first)s to %(last)s has been made.")
            % {
                "office": office.name,
                "first": notices.day_text(draw.first_day),
                "last": notices.day_text(draw.last_day),
            },
            won=_(
                "You were drawn for %(date)s: your booking (code, queue number and time) is "
                "in the next message."
            ),
            refused=_("You were drawn for %(date)s, but the booking could not be made: %(reason)s"),
            waiting=_(
                "No place was drawn for your request. You are number %(position)d on the "
                "waiting list; we will write to you if a place frees up."
            ),
            tail=_("Your request %(reference)s, public pseudonym %(pseudonym)s."),
        )


def _result_message(
    draw: Draw, entry: DrawEntry, position: int | None, words: _ResultWords
) -> dict:
    office = draw.office
    if entry.result == EntryResult.WON:
        with translation.override(entry.language):
            date = notices.day_text(entry.won_day)  # cached per day and language
        if entry.placement == Placement.BOOKED:
            body = words.won % {"date": date}
        else:
            body = words.refused % {
                "date": date,
                "reason": entry.placement_error.partition(": ")[2],
            }
    else:
        body = words.waiting % {"position": position or entry.waitlist_position}
    tail = words.tail % {"reference": entry.display_reference, "pseudonym": entry.pseudonym}
    return {
        "to": entry.phone,
        "text": "\n".join([words.head, body, tail]),
        "kind": "draw_result",
        "language": entry.language,
        "sender": office.whatsapp_number,
        "phone_number_id": office.whatsapp_phone_number_id or "",
        "template_name": "antrean_draw_result",
        "template_params": [office.name, entry.display_reference],
        "subject": f"draw:{entry.reference}",
        "about": About(ABOUT_DRAW_ENTRY, entry.pk),
    }


def _waitlist_source(reference: str) -> str:
    """The request's `source` on the waiting list: one per request (unique there)."""
    return f"draw:{reference}"


def _waitlist_losers(draw: Draw, now: dt.datetime) -> None:
    """Hand the requests that won nothing to the waiting lists, in draw order: each onto
    its first preferred day, after anyone already there, with its people, phone and
    language (confirmed when it entered, so it waits at once). After the winners are
    booked, so the places offered from the lists are only those left over. Idempotent
    (waitlist's unique `source` per request): a second or resumed run adds nobody twice.
    Each day's list commits on its own (waitlist takes its list lock)."""
    by_day: dict[dt.date, list[Arrival]] = {}
    for entry in draw_waitlist(draw=draw):
        if not entry.people:  # erased: nobody left to offer a place to
            continue
        day = dt.date.fromisoformat(entry.preferences[0])
        by_day.setdefault(day, []).append(
            Arrival(
                source=_waitlist_source(entry.reference),
                phone=entry.phone,
                language=entry.language,
                channel=entry.channel,
                applicants=_people_of(entry),
            )
        )
    for day, arrivals in sorted(by_day.items()):
        waitlist_append(office=draw.office, day=day, arrivals=arrivals, now=now)


def _mark_told(ids: list[int], now: dt.datetime) -> None:
    """`notified_at` of a batch, its ids sent as one array: psycopg re-parses a
    1,000-placeholder `IN (...)` on every batch (cProfile: a third of the UPDATE's
    time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE release_drawentry SET notified_at = %s WHERE id = ANY(%s)", [now, ids]
        )


def _notify_results(draw: Draw, now: dt.datetime) -> int:
    """Queue one result message per entered request not yet told, in batches that
    commit with the entries' `notified_at`: each request is told exactly once, even
    across a crash. Winners are told once they are placed (or refused).

    The waiting-list positions are read once for the whole run (each read walks the
    day's list), the batches follow the draw order by rank (each batch an index range,
    not a rescan of the requests told already), and only the columns the message needs
    are loaded."""
    untold = (
        DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED, notified_at__isnull=True)
        .exclude(result=EntryResult.WON, placement="")
        .order_by("rank")
    )
    positions = waitlist_positions_of_sources(
        sources=[
            _waitlist_source(reference)
            for reference in untold.filter(result=EntryResult.WAITLIST).values_list(
                "reference", flat=True
            )
        ]
    )
    words: dict[str, _ResultWords] = {}
    sent = 0
    after = 0
    while True:
        with transaction.atomic(durable=True):
            batch = list(
                untold.select_for_update(skip_locked=True, of=("self",))
                .filter(rank__gt=after)
                .only(
                    "pk",
                    "reference",
                    "pseudonym",
                    "phone",
                    "language",
                    "result",
                    "placement",
                    "placement_error",
                    "won_day",
                    "waitlist_position",
                    "rank",
                )[:NOTIFY_BATCH]
            )
            if not batch:
                return sent
            messages = []
            for entry in batch:
                if entry.language not in words:
                    words[entry.language] = _result_words(draw, entry.language)
                messages.append(
                    _result_message(
                        draw,
                        entry,
                        positions.get(_waitlist_source(entry.reference)),
                        words[entry.language],
                    )
                )
            outbox_enqueue_many(messages)
            _mark_told([e.pk for e in batch], now)
        sent += len(batch)
        after = batch[-1].rank


def draw_run(*, draw: Draw, now: dt.datetime | None = None) -> Draw:
    """Run a draw whose window has closed (beat, `draws_run_due`): compute and store the
    result (one transaction, the draw's lock exclusive), book the winners in draw order
    (one transaction each), send every result (batches), and mark it done.

    Idempotent and resumable: each step skips what is already done, so a run after a
    crash finishes the work and a run of a done draw changes nothing and sends
    nothing. Refused before the window closes. Commits in steps: durable."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        advisory_xact_locks(exclusive=[_draw_key(draw)])
        draw = Draw.objects.select_for_update(of=("self",)).select_related("office").get(pk=draw.pk)
        if draw.state == DrawState.COMMITTED:
            if now < draw.closes_at:
                raise ConflictError(
                    code="draw_not_due",
                    message=_("The draw is at %(closes)s.")
                    % {"closes": _when(draw.closes_at, draw.office)},
                )
            _draw_locked(draw, now)
    if draw.state == DrawState.DONE:
        return draw
    winners = (
        DrawEntry.objects.filter(draw=draw, result=EntryResult.WON, placement="")
        .order_by("rank")
        .values_list("pk", flat=True)
    )
    for entry_id in list(winners):
        _place_one(draw, entry_id, now)
    _waitlist_losers(draw, now)
    sent = _notify_results(draw, now)
    with transaction.atomic(durable=True):
        draw = Draw.objects.select_for_update(of=("self",)).select_related("office").get(pk=draw.pk)
        unfinished = DrawEntry.objects.filter(draw=draw, status=EntryStatus.ENTERED).filter(
            notified_at__isnull=True
        )
        if draw.state == DrawState.DRAWN and not unfinished.exists():
            draw.state = DrawState.DONE
            draw.finished_at = now
            draw.save(update_fields=["state", "finished_at"])
            entries = DrawEntry.objects.filter(draw=draw, result=EntryResult.WON)
            _event(
                draw,
                "finished",
                now,
                booked=entries.filter(placement=Placement.BOOKED).count(),
                refused=entries.filter(placement=Placement.REFUSED).count(),
                results_sent=sent,
            )
    return draw


def draws_run_due(*, now: dt.datetime | None = None) -> int:
    """Beat: run every draw whose window has closed and that is not done (a crashed
    run included). Returns how many were run."""
    now = now or timezone.now()
    due = list(
        Draw.objects.filter(closes_at__lte=now)
        .exclude(state=DrawState.DONE)
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )
    for pk in due:
        draw_run(draw=Draw.objects.get(pk=pk), now=now)
    return len(due)


# --- the handoff to the waiting list ------------------------------------------------------


def draw_waitlist(*, draw: Draw) -> list[DrawEntry]:
    """The requests that won no place, in draw order (their `waitlist_position`, 1, 2,
    ...): what the waiting list takes over once the draw is done. Reads only."""
    return list(
        DrawEntry.objects.filter(draw=draw, result=EntryResult.WAITLIST).order_by(
            "waitlist_position"
        )
    )


# --- retention ------------------------------------------------------------------------------


def draw_entries_erase_personal_data(
    *, now: dt.datetime | None = None, batch_size: int = 1000
) -> int:
    """Erase the people and the phone of requests whose release ended more than
    BOOKING_RETENTION_DAYS ago (the bookings of the winners follow bookings/retention.py),
    and the keyed hashes of their persons. The pseudonym, counts, preferences and
    results stay: the public page of an old draw still recomputes. Commits per batch
    (durable); returns how many requests were erased."""
    now = now or timezone.now()
    before = now.date() - dt.timedelta(days=settings.BOOKING_RETENTION_DAYS)
    total = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                DrawEntry.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(draw__last_day__lt=before, personal_data_erased_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            DrawPerson.objects.filter(entry_id__in=ids).delete()
            DrawEntry.objects.filter(pk__in=ids).update(
                people=[], phone="", invalid_reason="", personal_data_erased_at=now
            )
        total += len(ids)
        if len(ids) < batch_size:
            return total
