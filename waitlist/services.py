"""Waiting lists: join, leave, position, and the offer of freed places.

How a freed place reaches the list, exactly once:
- Every path in bookings that frees places of a day hands (office, day) to
  PLACES_FREED_HANDLER after its commit (bookings/freed.py); a beat sweep
  (`waitlist_sweep`) does the same for every day with waiting requests, so a lost hook
  only delays an offer.
- `places_freed` runs under the day's list lock (an exclusive advisory lock, one per
  office-day), so two runs never look at the same free places. It offers the room an
  ordinary booking could take (the allocation service's rule) to the waiting requests
  in list order, each whose people fit, until no room or no fitting request is left.
- An offer *holds* its places as held bookings (bookings' own holds, expiring with the
  offer): the slot counters count them, so no other booking, and no second offer, can
  take an offered place; the database's `slot_never_overbooked` is the last word.
- `YA` confirms those holds (bookings' `booking_hold_confirm`); silence lets them lapse
  and the sweep passes the places on; any other answer (`TIDAK`, or a reply that is no
  command) or leaving the list releases them at
  once.

Lock order, in every path here: the list lock, then the phone and person locks (as in
bookings), then rows (requests, offers, bookings, slots). The list lock is always
taken alone, first, so no path holds a person lock while waiting for a list.
"""

import bisect
import datetime as dt
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bookings import codes, notices
from bookings.applicant import (
    Applicant,
    family_validated,
    normalise_booking_phone,
    normalise_name,
)
from bookings.lookup import birth_date_guesses, lookup_by_code
from bookings.models import HOLDING_STATUSES, ActorKind, Booking, BookingStatus, Channel
from bookings.priority import CLAIMABLE, priority_claims
from bookings.services import (
    Actor,
    booking_create_family,
    booking_hold_confirm,
    day_places_left,
    holds_release,
    release_gate,
)
from immigration.bulk import insert_many
from immigration.errors import ConflictError, DomainError, NotFoundError
from immigration.locks import (
    BusyError,
    advisory_xact_lock,
    advisory_xact_locks,
    office_day_key,
)
from notifications.models import About
from notifications.services import outbox_enqueue
from offices import localtime, release_window, schedule
from offices.contacts import office_check_takes_holds
from offices.models import Office, Slot
from offices.services import slots_ensure
from waitlist.models import (
    ABOUT_WAITLIST,
    ACTIVE_STATES,
    OfferState,
    PriorityDay,
    PriorityQuota,
    RequestState,
    WaitlistOffer,
    WaitlistPerson,
    WaitlistRequest,
)

R = RequestState
SYSTEM = Actor(ActorKind.SYSTEM, Channel.SYSTEM, label="waitlist")
# Refusals that end a request: its people can never be booked from it that day.
_ENDING = {"duplicate_booking", "no_show_blocked"}
# Refusals that end every offer of the day: the day cannot be booked any more.
_DAY_OVER = {"date_past", "same_day_closed", "day_closed", "office_inactive", "not_released"}


def _list_key(office_id: int, day: dt.date) -> str:
    return f"waitlist:{office_id}:{day.isoformat()}"


def lock_list(office: Office, day: dt.date) -> None:
    """The day's list lock (exclusive, transaction-scoped). Taken alone and first."""
    advisory_xact_lock(_list_key(office.pk, day))


# --- time --------------------------------------------------------------------------------


def day_cutoff(office: Office, day: dt.date) -> dt.datetime:
    """The last instant `day` can be booked: its same-day cut-off, or its start when the
    office never books the same day. No offer is held past it."""
    at = office.same_day_cutoff or dt.time(0, 0)
    return dt.datetime.combine(day, at, tzinfo=schedule.office_zone(office))


def offer_expiry(office: Office, day: dt.date, now: dt.datetime) -> dt.datetime:
    """When an offer made now lapses: WAITLIST_OFFER_MINUTES, but at most a quarter of
    the time left before the day's cut-off (so, as the day nears, an unanswered offer
    still leaves time to pass the places on), at least WAITLIST_OFFER_MIN_MINUTES, and
    never past the cut-off."""
    cutoff = day_cutoff(office, day)
    minutes = min(settings.WAITLIST_OFFER_MINUTES, (cutoff - now).total_seconds() / 60 / 4)
    minutes = max(minutes, settings.WAITLIST_OFFER_MIN_MINUTES)
    return min(now + dt.timedelta(minutes=minutes), cutoff)


# --- join, confirm, leave, position ----------------------------------------------------


def _refuse_day(office: Office, day: dt.date, now: dt.datetime) -> None:
    if not office.is_active:
        raise DomainError(code="office_inactive", message=_("This office does not take bookings."))
    if now >= day_cutoff(office, day):
        raise DomainError(
            code="waitlist_closed",
            message=_("Booking for %(date)s has closed; its waiting list too.")
            % {"date": notices.day_text(day)},
            fields={"date": [_("Closed.")]},
        )
    # A drawn block's later days are released by their draw before their own release
    # time; a day whose draw is still to come refuses with when to enter it instead.
    if day > release_window.last_released_day(office, now) and not release_gate(
        office, day, now, placing=False
    ):
        raise DomainError(
            code="not_released",
            message=_("%(date)s is not open for booking yet; its waiting list neither.")
            % {"date": notices.day_text(day)},
            fields={"date": [_("Not open for booking yet.")]},
        )


@transaction.atomic
def waitlist_join(
    *,
    office: Office,
    date: dt.date,
    applicants: list[Applicant],
    phone: str,
    phone_verified: bool,
    channel: str,
    language: str = "id",
    priority: list[str] | None = None,
    now: dt.datetime | None = None,
) -> WaitlistRequest:
    """Put a family (1 to BOOKING_FAMILY_MAX people, kept together) on the waiting list
    of `office` on `date`. Only a confirmed phone enters the list: from WhatsApp the
    sender is the phone (`phone_verified`) and the request waits at once; from the web
    it is `pending` until `YA <ref>` arrives from that number (`waitlist_confirm`),
    like a hold, and only then takes its place on the list.

    Refused, changing nothing: a day not open or past its cut-off, a person already on
    this day's list or booked that day, more people on the lists of one phone than
    BOOKING_PHONE_MAX_ACTIVE. If the day has room, the request is offered it at once
    (after commit, by `places_freed`).

    As for holds, a request whose phone is proven wins over pending ones: only
    requests on the list count against it, so nobody typing someone else's number or
    name on the web can keep that person off the list (the pending request's own `YA`
    is then refused as already waiting).

    An office without a published WhatsApp number takes no request from the web: its
    `YA` could never arrive (offices.contacts.office_check_takes_holds).

    Locks: the day's list lock, then the phone and person locks, as bookings take them."""
    now = now or timezone.now()
    if not phone_verified:
        office_check_takes_holds(office=office)
    people = family_validated(applicants, today=schedule.local_today(office, now))
    claims = priority_claims(people, date, priority)
    phone = normalise_booking_phone(phone)
    _refuse_day(office, date, now)

    lock_list(office, date)
    advisory_xact_locks(exclusive=[f"phone:{phone}", *(key for p in people for key in p.lock_keys)])
    counted = ACTIVE_STATES if phone_verified else [*ACTIVE_STATES, R.PENDING]
    _refuse_if_waiting(office, date, people, states=counted)
    for person in people:
        if Booking.objects.filter(
            office=office,
            date=date,
            name=person.name,
            birth_date=person.birth_date,
            status__in=HOLDING_STATUSES,
        ).exists():
            raise ConflictError(
                code="duplicate_booking",
                message=_("%(name)s already has a booking at this office on that day.")
                % {"name": person.name},
            )
    _refuse_over_phone_limit(phone, len(people), states=counted)
    request = WaitlistRequest.objects.create(
        office=office,
        date=date,
        ref=_new_ref(),
        position=_next_position(office, date) if phone_verified else None,
        state=R.WAITING if phone_verified else R.PENDING,
        confirm_by=None if phone_verified else now + _hold_minutes(),
        phone=phone,
        language=language,
        channel=channel,
        people_count=len(people),
        joined_at=now,
    )
    WaitlistPerson.objects.bulk_create(
        WaitlistPerson(
            request=request,
            name=p.name,
            birth_date=p.birth_date,
            nik=p.nik or "",
            priority=claim,
        )
        for p, claim in zip(people, claims, strict=True)
    )
    if phone_verified:
        _after_commit_offer(office, date)
    return request


def _refuse_over_phone_limit(
    phone: str, count: int, *, states: list[str], exclude: int | None = None
) -> None:
    """At most BOOKING_PHONE_MAX_ACTIVE people on the lists of one phone (requests in
    `states`, but `exclude`). The caller holds the phone's lock."""
    requests = WaitlistRequest.objects.filter(phone=phone, state__in=states)
    if exclude is not None:
        requests = requests.exclude(pk=exclude)
    on_lists = sum(requests.values_list("people_count", flat=True))
    if on_lists + count > settings.BOOKING_PHONE_MAX_ACTIVE:
        raise ConflictError(
            code="limit_reached",
            message=_("One WhatsApp number may have at most %(max)d people on waiting lists.")
            % {"max": settings.BOOKING_PHONE_MAX_ACTIVE},
        )


def _person_key(name: str, birth_date: dt.date) -> tuple[str, dt.date]:
    return normalise_name(name), birth_date


def _waiting_people(
    office: Office, day: dt.date, *, states: list[str], exclude: int | None = None
) -> dict[tuple[str, dt.date], WaitlistRequest]:
    """Everyone on the day's list in `states` (but request `exclude`), by (name, birth
    date), with their request. The one rule it serves: **a person waits on a day's
    list at most once**, whichever way they came (TUNGGU, the web, the API, the
    draw's handoff). The caller holds the list lock, so the answer stays true until
    it commits."""
    people = WaitlistPerson.objects.filter(
        request__office=office, request__date=day, request__state__in=states
    ).select_related("request")
    if exclude is not None:
        people = people.exclude(request_id=exclude)
    return {_person_key(p.name, p.birth_date): p.request for p in people}


def _refuse_if_waiting(
    office: Office,
    day: dt.date,
    people: list[Applicant],
    *,
    states: list[str],
    exclude: int | None = None,
) -> None:
    """ConflictError `already_waiting` naming the first of `people` already on the
    day's list (`_waiting_people`)."""
    waiting = _waiting_people(office, day, states=states, exclude=exclude)
    for person in people:
        if _person_key(person.name, person.birth_date) in waiting:
            raise ConflictError(
                code="already_waiting",
                message=_("%(name)s is already on the waiting list of %(date)s.")
                % {"name": normalise_name(person.name), "date": notices.day_text(day)},
            )


def _hold_minutes() -> dt.timedelta:
    return dt.timedelta(minutes=settings.BOOKING_HOLD_MINUTES)


def _new_ref() -> str:
    return _new_refs(1)[0]


def _new_refs(count: int) -> list[str]:
    """`count` fresh references, none in use and none twice: one query per round (a
    draw's handoff of 20,000 losers asked one query per reference). The unique
    constraint on `ref` stays the last word."""
    refs: list[str] = []
    while len(refs) < count:
        drawn = set(codes.new_codes(count - len(refs))) - set(refs)
        # One array parameter, not an `IN` of 20,000 placeholders (psycopg re-parses
        # such a text in Python).
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ref FROM {WaitlistRequest._meta.db_table} WHERE ref = ANY(%s)",  # noqa: S608 (the model's table)
                [list(drawn)],
            )
            taken = {ref for (ref,) in cursor.fetchall()}
        refs.extend(drawn - taken)
    return refs


def _next_position(office: Office, day: dt.date) -> int:
    """The end of the day's list. The caller holds the list lock."""
    top = WaitlistRequest.objects.filter(office=office, date=day).aggregate(top=Max("position"))
    return (top["top"] or 0) + 1


def _after_commit_offer(office: Office, day: dt.date) -> None:
    from bookings.freed import places_freed_on_commit

    places_freed_on_commit(office.pk, day)


def waitlist_confirm(
    *, office: Office, phone: str, ref: str, now: dt.datetime | None = None
) -> WaitlistRequest:
    """`YA <ref>` from `phone`: a web request the phone now confirms takes its place at
    the end of the list. One bilingual answer for a ref that is not this phone's
    pending request at this office (as for holds). Refused, changing nothing, when one
    of its people is on the list meanwhile, or the phone's requests on lists already
    hold BOOKING_PHONE_MAX_ACTIVE people (requests proven meanwhile won over this one).
    Locks: the list lock, then the phone's lock, then the request row."""
    now = now or timezone.now()
    request = _own_request(office=office, phone=phone, ref=ref)
    with transaction.atomic():
        lock_list(office, request.date)
        advisory_xact_locks(exclusive=[f"phone:{phone}"])
        request = WaitlistRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != R.PENDING:
            if request.state in ACTIVE_STATES:
                raise ConflictError(
                    code="already_confirmed",
                    message=_("You are already on this waiting list."),
                )
            raise ConflictError(
                code="waitlist_request_closed", message=_("This waiting-list request has ended.")
            )
        expired = request.confirm_by <= now
        if expired:
            request.state = R.EXPIRED
            request.save(update_fields=["state", "updated_at"])
        else:
            _refuse_if_waiting(
                office,
                request.date,
                [Applicant(p.name, p.birth_date) for p in request.people.all()],
                states=ACTIVE_STATES,
                exclude=request.pk,
            )
            _refuse_over_phone_limit(
                request.phone, request.people_count, states=ACTIVE_STATES, exclude=request.pk
            )
            request.state = R.WAITING
            request.position = _next_position(office, request.date)
            request.save(update_fields=["state", "position", "updated_at"])
            _after_commit_offer(office, request.date)
    if expired:
        raise ConflictError(
            code="waitlist_confirm_expired",
            message=_(
                "This waiting-list request was not confirmed within %(minutes)d minutes. "
                "Please join again."
            )
            % {"minutes": settings.BOOKING_HOLD_MINUTES},
        )
    return request


def _own_request(*, office: Office, phone: str, ref: str) -> WaitlistRequest:
    canonical = codes.canonical(ref or "")
    request = (
        WaitlistRequest.objects.filter(ref=canonical, office=office, phone=phone).first()
        if canonical
        else None
    )
    if request is None:
        parts = []
        for language in ("id", "en"):
            with translation.override(language):
                parts.append(
                    _("No waiting-list request of this WhatsApp number has the reference %(ref)s.")
                    % {"ref": codes.display(canonical) if canonical else "-"}
                )
        raise NotFoundError(code="waitlist_not_found", message="\n".join(parts))
    return request


def waitlist_leave(*, request: WaitlistRequest, now: dt.datetime | None = None) -> WaitlistRequest:
    """Leave the list. An open offer is declined and its held places released at once,
    and passed on. Locks: the list lock, then the request row, then the offer's held
    bookings (by bookings' `holds_release`)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_list(request.office, request.date)
        request = WaitlistRequest.objects.select_for_update().get(pk=request.pk)
        if request.state not in [*ACTIVE_STATES, R.PENDING]:
            raise ConflictError(
                code="waitlist_request_closed", message=_("This waiting-list request has ended.")
            )
        for offer in request.offers.filter(state=OfferState.OPEN).select_for_update():
            _close_offer(offer, OfferState.DECLINED, now)
        request.state = R.LEFT
        request.save(update_fields=["state", "updated_at"])
        _after_commit_offer(request.office, request.date)
    return request


def waitlist_position(*, request: WaitlistRequest) -> int | None:
    """1 for the first waiting request of its day, and so on; None once it is no longer
    waiting (offered, booked, left, expired, not yet confirmed). Reads only."""
    if request.state != R.WAITING:
        return None
    return (
        WaitlistRequest.objects.filter(
            office_id=request.office_id,
            date=request.date,
            state=R.WAITING,
            position__lt=request.position,
        ).count()
        + 1
    )


def waitlist_open_offer(*, request: WaitlistRequest) -> WaitlistOffer | None:
    """The request's open offer (at most one: `waitlist_one_open_offer`), whose
    `expires_at` is the deadline for `YA`; None unless offered. Reads only."""
    if request.state != R.OFFERED:
        return None
    return request.offers.filter(state=OfferState.OPEN).first()


def waitlist_of_phone(*, office: Office, phone: str) -> list[WaitlistRequest]:
    """The phone's requests at `office` still on a list, soonest day first (STATUS)."""
    return list(
        WaitlistRequest.objects.filter(
            office=office, phone=phone, state__in=[*ACTIVE_STATES, R.PENDING]
        ).order_by("date", "pk")
    )


# --- requests placed by another service (the draw) ---------------------------------------


@dataclass(frozen=True)
class Arrival:
    """A request another service puts on a list: its people (already validated and
    phone-confirmed there) and a unique `source` (e.g. "draw:<reference>")."""

    source: str
    phone: str
    language: str
    channel: str
    applicants: list[Applicant]


def waitlist_append(
    *, office: Office, day: dt.date, arrivals: list[Arrival], now: dt.datetime | None = None
) -> int:
    """Put `arrivals`, in the order given, at the end of the waiting list of `office` on
    `day`: after anyone already on it, each `waiting` at once (their phone was confirmed
    where they came from, so no `YA`). The draw hands its losers over this way, in draw
    order.

    Idempotent: an arrival whose `source` is already on any list is skipped (the unique
    `waitlist_unique_source` is the last word), so a second or resumed handoff adds
    nobody twice. The people were checked by the service they came from (one request
    per person and release), so the join's per-phone check is not repeated here.

    A person waits on a day's list at most once (`_waiting_people`): someone already
    waiting on the day (by TUNGGU, the web or the API, before the draw) keeps that
    earlier place and is left out of the arrival; the arrival's other people are added
    together. An arrival left with nobody is not added: the request already there
    stands for it and takes its `source` (when it has none), so the draw's result
    message gives that request's position. A web request still pending is no place on
    the list: the arrival is added whole, and the pending request's `YA` is then
    refused as already waiting.

    Offers any room at once, after commit. Returns how many requests were added.

    Locks: the day's list lock (alone, first). Commits on its own (durable)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        lock_list(office, day)
        known = set(
            WaitlistRequest.objects.filter(source__in=[a.source for a in arrivals]).values_list(
                "source", flat=True
            )
        )
        waiting = _waiting_people(office, day, states=ACTIVE_STATES)
        fresh: list[Arrival] = []
        for arrival in arrivals:
            if arrival.source in known:
                continue
            if not waiting:  # nobody on the list to leave out (a draw's usual case)
                fresh.append(arrival)
                continue
            keys = [_person_key(p.name, p.birth_date) for p in arrival.applicants]
            pairs = zip(arrival.applicants, keys, strict=True)
            left = [person for person, key in pairs if key not in waiting]
            if not left:
                there = waiting[keys[0]]
                if not there.source:
                    there.source = arrival.source
                    there.save(update_fields=["source", "updated_at"])
                continue
            if len(left) < len(arrival.applicants):
                arrival = replace(arrival, applicants=left)
            fresh.append(arrival)
        if not fresh:
            return 0
        start = _next_position(office, day)
        refs = _new_refs(len(fresh))
        # One statement each for the requests and their people (`insert_many`): a draw
        # hands over ~20,000 requests, where `bulk_create`'s batches were half its run.
        request_ids = insert_many(
            WaitlistRequest,
            [
                {
                    "office_id": office.pk,
                    "date": day,
                    "ref": refs[index],
                    "position": start + index,
                    "state": R.WAITING,
                    "phone": arrival.phone,
                    "language": arrival.language,
                    "channel": arrival.channel,
                    "people_count": len(arrival.applicants),
                    "source": arrival.source,
                    "joined_at": now,
                }
                for index, arrival in enumerate(fresh)
            ],
        )
        insert_many(
            WaitlistPerson,
            [
                {
                    "request_id": request_id,
                    "name": person.name,
                    "birth_date": person.birth_date,
                    "nik": person.nik or "",
                }
                for request_id, arrival in zip(request_ids, fresh, strict=True)
                for person in arrival.applicants
            ],
        )
        _after_commit_offer(office, day)
    return len(fresh)


def waitlist_positions_of_sources(*, sources: list[str]) -> dict[str, int | None]:
    """The list position (as `waitlist_position`: 1 for the first waiting request of its
    day) of each request placed with one of `sources`; None when it is no longer
    waiting or unknown. One query per day involved, for the draw's result messages.
    Reads only."""
    # One array parameter, not an `IN` of a placeholder per source (20,000 for a draw).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT source, office_id, date, position, state "  # noqa: S608 (the model's table)
            f"FROM {WaitlistRequest._meta.db_table} WHERE source = ANY(%s)",
            [list(sources)],
        )
        requests = cursor.fetchall()
    lists: dict[tuple[int, dt.date], list[int]] = {}
    for _source, office_id, day, _position, state in requests:
        if state == R.WAITING and (office_id, day) not in lists:
            lists[(office_id, day)] = list(
                WaitlistRequest.objects.filter(office_id=office_id, date=day, state=R.WAITING)
                .order_by("position")
                .values_list("position", flat=True)
            )
    found: dict[str, int | None] = dict.fromkeys(sources)
    for source, office_id, day, position, state in requests:
        if state == R.WAITING:
            found[source] = bisect.bisect_left(lists[(office_id, day)], position) + 1
    return found


# --- offers ------------------------------------------------------------------------------


def places_freed(
    *, office: Office, day: dt.date, now: dt.datetime | None = None
) -> list[WaitlistOffer]:
    """Offer the day's free places to its waiting list: to each waiting request in list
    order whose people fit the room left (the allocation service's count of places an
    ordinary booking may take, or a priority one for a request with a priority person),
    by holding the places for it (held bookings that lapse with the offer) and writing
    to it by WhatsApp. Stops when no room is left or no waiting request fits.

    Idempotent and safe to call any number of times, at once from several workers: it
    runs under the day's list lock, and the held bookings are counted in the slots, so
    a place once offered is not free to offer again. Commits on its own (durable).
    Returns the offers made."""
    now = now or timezone.now()
    offers: list[WaitlistOffer] = []
    with transaction.atomic(durable=True):
        lock_list(office, day)
        if now >= day_cutoff(office, day):
            return offers
        expires = offer_expiry(office, day, now)
        waiting = list(
            WaitlistRequest.objects.filter(office=office, date=day, state=R.WAITING)
            .order_by("position")
            .prefetch_related("people")
        )
        if not waiting:
            return offers
        room = {False: day_places_left(office=office, day=day, now=now, priority=False)}
        room[True] = day_places_left(office=office, day=day, now=now, priority=True)
        for request in waiting:
            people = list(request.people.all())
            priority = any(p.priority for p in people)
            if request.people_count > room[priority]:
                continue
            try:
                with transaction.atomic():
                    offer = _offer(request, people, expires=expires, now=now)
            except DomainError as refusal:
                if refusal.code in _DAY_OVER:
                    break
                if refusal.code in _ENDING:
                    request.state = R.EXPIRED
                    request.save(update_fields=["state", "updated_at"])
                # Anything else (the phone's limit, a busy lock) leaves it waiting.
                room = {
                    p: day_places_left(office=office, day=day, now=now, priority=p)
                    for p in (False, True)
                }
                continue
            offers.append(offer)
            room = {
                p: day_places_left(office=office, day=day, now=now, priority=p)
                for p in (False, True)
            }
            if room[True] <= 0:
                break
    return offers


def _offer(
    request: WaitlistRequest, people: list[WaitlistPerson], *, expires: dt.datetime, now
) -> WaitlistOffer:
    held = booking_create_family(
        office=request.office,
        date=request.date,
        applicants=[Applicant(p.name, p.birth_date, p.nik or None) for p in people],
        phone=request.phone,
        actor=SYSTEM,
        language=request.language,
        now=now,
        phone_verified=False,
        # What was claimed; age-based groups are read again from the birth dates.
        priority=[p.priority if p.priority in CLAIMABLE else "" for p in people],
    )
    Booking.objects.filter(pk__in=[b.pk for b in held]).update(
        hold_expires_at=expires, hold_client="waitlist"
    )
    offer = WaitlistOffer.objects.create(
        request=request,
        office=request.office,
        date=request.date,
        first_booking=held[0],
        places=len(held),
        offered_at=now,
        expires_at=expires,
    )
    request.state = R.OFFERED
    request.save(update_fields=["state", "updated_at"])
    _notify_offer(request, offer, held)
    return offer


def _notify_offer(request: WaitlistRequest, offer: WaitlistOffer, held: list[Booking]) -> None:
    office = request.office
    with translation.override(request.language):
        first = min(held, key=lambda b: b.slot.starts_at)
        text = _(
            "A place has become free at %(office)s on %(date)s at %(time)s for the %(count)d "
            "people of your waiting-list request %(ref)s. Reply YA by %(until)s to book it. "
            "Any other reply, or no answer, passes it to the next on the list."
        ) % {
            "office": office.name,
            "date": notices.day_text(request.date),
            "time": localtime.local_text(first.slot.starts_at, office),
            "count": offer.places,
            "ref": request.display_ref,
            "until": " ".join(
                [
                    notices.day_text(localtime.local(offer.expires_at, office).date()),
                    localtime.local_text(offer.expires_at, office),
                ]
            ),
        }
    outbox_enqueue(
        to=request.phone,
        text=text,
        kind="waitlist_offer",
        language=request.language,
        sender=office.whatsapp_number,
        phone_number_id=office.whatsapp_phone_number_id or "",
        template_name="antrean_waitlist_offer",
        template_params=[office.name, request.display_ref],
        subject=f"waitlist:{request.ref}",
        about=About(ABOUT_WAITLIST, request.pk),
        dedupe_key=f"waitlist-offer:{offer.pk}",
    )


def _close_offer(offer: WaitlistOffer, state: str, now: dt.datetime) -> None:
    """Close a locked open offer; its still-held places are released (SKIP LOCKED: a
    `YA` confirming them this instant wins, and then the offer was accepted)."""
    first = offer.first_booking
    group = Booking.objects.filter(
        office_id=offer.office_id, phone=first.phone, status=BookingStatus.HELD
    )
    group = (
        group.filter(group_code=first.group_code) if first.group_code else group.filter(pk=first.pk)
    )
    holds_release(ids=list(group.values_list("pk", flat=True)), now=now)
    offer.state = state
    offer.closed_at = now
    offer.save(update_fields=["state", "closed_at"])


def _open_offer(office: Office, phone: str, ref: str | None) -> WaitlistOffer:
    offers = WaitlistOffer.objects.filter(
        office=office, request__phone=phone, state=OfferState.OPEN
    ).select_related("request", "first_booking")
    if ref:
        canonical = codes.canonical(ref)
        offers = offers.filter(request__ref=canonical) if canonical else offers.none()
    offer = offers.order_by("expires_at").first()
    if offer is None:
        raise NotFoundError(
            code="no_open_offer",
            message=_("This WhatsApp number has no open offer of a place from a waiting list."),
        )
    return offer


def has_open_offer(*, office: Office, phone: str, ref: str | None = None) -> bool:
    """Whether `YA` (or `YA <ref>`) from `phone` would answer an offer (the WhatsApp
    dispatcher asks it before treating `YA` as a hold's confirmation)."""
    try:
        _open_offer(office, phone, ref)
    except NotFoundError:
        return False
    return True


def waitlist_offer_accept(
    *, office: Office, phone: str, ref: str | None = None, now: dt.datetime | None = None
) -> list[Booking]:
    """`YA` from `phone`: the open offer (the one whose ref is given, else the one that
    lapses first) is accepted: its held places become bookings with queue numbers
    (bookings' `booking_hold_confirm`, which sends the confirmation with the QR), and
    the request leaves the list as accepted. An offer that has lapsed is refused and
    passed on.

    Locks: the list lock, the offer row, then (in booking_hold_confirm) the phone and
    person locks, the held rows and their slots."""
    now = now or timezone.now()
    offer = _open_offer(office, phone, ref)
    refusal = None
    with transaction.atomic():
        lock_list(office, offer.date)
        offer = (
            WaitlistOffer.objects.select_for_update()
            .select_related("request", "first_booking")
            .get(pk=offer.pk)
        )
        if offer.state != OfferState.OPEN:
            raise ConflictError(code="offer_closed", message=_("This offer is no longer open."))
        if offer.expires_at <= now:
            _close_offer(offer, OfferState.EXPIRED, now)
            _end_request(offer.request, R.EXPIRED)
            _after_commit_offer(office, offer.date)
            refusal = ConflictError(
                code="offer_expired",
                message=_("This offer lapsed and the places went to the next on the list."),
            )
        else:
            try:
                with transaction.atomic():
                    booked = booking_hold_confirm(
                        office=office, phone=phone, code=offer.first_booking.code, now=now
                    )
            except BusyError:
                raise  # a lock not granted in time: the offer stands, `YA` again
            except DomainError as exc:
                _close_offer(offer, OfferState.EXPIRED, now)
                _end_request(offer.request, R.EXPIRED)
                _after_commit_offer(office, offer.date)
                refusal = exc
            else:
                offer.state = OfferState.ACCEPTED
                offer.closed_at = now
                offer.save(update_fields=["state", "closed_at"])
                _end_request(offer.request, R.ACCEPTED)
    if refusal is not None:
        raise refusal
    return booked


def waitlist_offer_decline(
    *, office: Office, phone: str, ref: str | None = None, now: dt.datetime | None = None
) -> WaitlistOffer:
    """Any answer from `phone` but `YA` (`TIDAK`, or a reply that is no command: see
    waitlist/whatsapp.py): the open offer (the one whose ref is given, else the one that
    lapses first, as for `YA`) is declined, its places released and passed on, and the
    request leaves the list. Locks as `waitlist_offer_accept`."""
    now = now or timezone.now()
    offer = _open_offer(office, phone, ref)
    with transaction.atomic():
        lock_list(office, offer.date)
        offer = WaitlistOffer.objects.select_for_update().select_related("request").get(pk=offer.pk)
        if offer.state != OfferState.OPEN:
            raise ConflictError(code="offer_closed", message=_("This offer is no longer open."))
        _close_offer(offer, OfferState.DECLINED, now)
        _end_request(offer.request, R.LEFT)
        _after_commit_offer(office, offer.date)
    return offer


def _end_request(request: WaitlistRequest, state: str) -> None:
    request.state = state
    request.save(update_fields=["state", "updated_at"])


def waitlist_offers_expire(*, now: dt.datetime | None = None) -> int:
    """Close every open offer past its expiry (beat, every minute): its places are
    released and passed on (`places_freed`), its request leaves the list as expired
    (silence passes the offer on). Each day in a transaction of its own, under its list
    lock; refused inside a caller's transaction (durable). Returns how many closed."""
    now = now or timezone.now()
    days = (
        WaitlistOffer.objects.filter(state=OfferState.OPEN, expires_at__lte=now)
        .values_list("office_id", "date")
        .distinct()
    )
    closed = 0
    for office_id, day in list(days):
        office = Office.objects.get(pk=office_id)
        with transaction.atomic(durable=True):
            lock_list(office, day)
            due = WaitlistOffer.objects.filter(
                office=office, date=day, state=OfferState.OPEN, expires_at__lte=now
            ).select_related("request", "first_booking")
            for offer in due.select_for_update(of=("self",)):
                _close_offer(offer, OfferState.EXPIRED, now)
                _end_request(offer.request, R.EXPIRED)
                closed += 1
        places_freed(office=office, day=day, now=now)
    return closed


def waitlist_sweep(*, now: dt.datetime | None = None) -> int:
    """The beat's safety net (every minute): lapsed offers closed and passed on, lapsed
    web requests never confirmed expired, and every day with a waiting request offered
    whatever room it has (a hook lost with a crashed worker, places added by staff).
    Returns how many offers it made."""
    now = now or timezone.now()
    priority_places_keep_due(now=now)
    priority_places_release_due(now=now)
    waitlist_offers_expire(now=now)
    WaitlistRequest.objects.filter(state=R.PENDING, confirm_by__lte=now).update(
        state=R.EXPIRED, updated_at=now
    )
    made = 0
    days = (
        WaitlistRequest.objects.filter(
            state=R.WAITING, date__gte=(now - dt.timedelta(days=1)).date()
        )
        .values_list("office_id", "date")
        .distinct()
    )
    for office_id, day in list(days):
        made += len(places_freed(office=Office.objects.get(pk=office_id), day=day, now=now))
    return made


def places_freed_by_id(*, office_id: int, day: dt.date, now: dt.datetime | None = None) -> None:
    """PLACES_FREED_HANDLER's synchronous form (tests, `make run` without a worker)."""
    places_freed(office=Office.objects.get(pk=office_id), day=day, now=now)


# --- priority places ---------------------------------------------------------------------


def priority_quota_for(*, office: Office, day: dt.date) -> PriorityQuota | None:
    """The office's quota in force on `day` (the latest that applies from it)."""
    return (
        PriorityQuota.objects.filter(office=office, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )


def priority_release_at(office: Office, day: dt.date, hours: int) -> dt.datetime:
    """When a day's unused priority places go to the list, then to everyone: `hours`
    before the day begins in the office's zone."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=schedule.office_zone(office))
    return start - dt.timedelta(hours=hours)


@transaction.atomic
def priority_places_keep(
    *, office: Office, day: dt.date, now: dt.datetime | None = None
) -> PriorityDay | None:
    """Keep the day's priority places (the quota in force), once: spread one by one
    over the day's slots in start order, each slot at most its free room (the places
    are kept only while free; a priority booking uses them up). Run ahead of the day's
    release by the sweep, so the rush meets the places already kept. None when the
    office has no quota for the day, the day has no slots (closed), or its release
    moment has passed. Idempotent: the PriorityDay row is the record.

    Locks: the office-day lock shared (as bookings and slots_ensure), then the day's
    slot rows in start order, as bookings take them."""
    now = now or timezone.now()
    quota = priority_quota_for(office=office, day=day)
    if quota is None or quota.places == 0:
        return None
    release_at = priority_release_at(office, day, quota.release_hours)
    if release_at <= now or PriorityDay.objects.filter(office=office, date=day).exists():
        return None
    slots_ensure(office=office, day=day)
    slots = list(
        Slot.objects.select_for_update()
        .filter(office=office, date=day, capacity__gt=0)
        .order_by("starts_at")
    )
    if not slots:
        return None
    if PriorityDay.objects.filter(office=office, date=day).exists():
        return None  # kept by another worker while we waited for the slots
    keep = {slot.pk: 0 for slot in slots}
    left = quota.places
    while left:
        placed = False
        for slot in slots:
            if left and slot.capacity - slot.booked - slot.priority_kept - keep[slot.pk] > 0:
                keep[slot.pk] += 1
                left -= 1
                placed = True
        if not placed:
            break
    for slot in slots:
        if keep[slot.pk]:
            Slot.objects.filter(pk=slot.pk).update(priority_kept=F("priority_kept") + keep[slot.pk])
    return PriorityDay.objects.create(
        office=office, date=day, kept=quota.places - left, release_at=release_at
    )


def priority_places_release_due(*, now: dt.datetime | None = None) -> int:
    """Release the unused priority places of every day whose release moment has come:
    they become ordinary places, offered first to the day's waiting list
    (`places_freed`), then open to everyone. Each day commits on its own (durable).
    Locks: the office-day lock shared, then the day's slots in start order."""
    now = now or timezone.now()
    released = 0
    due = PriorityDay.objects.filter(released_at__isnull=True, release_at__lte=now)
    for day_row in list(due.select_related("office")):
        office = day_row.office
        with transaction.atomic(durable=True):
            advisory_xact_lock(office_day_key(office.pk, day_row.date), shared=True)
            row = PriorityDay.objects.select_for_update().get(pk=day_row.pk)
            if row.released_at is not None:
                continue
            list(
                Slot.objects.select_for_update()
                .filter(office=office, date=row.date)
                .order_by("starts_at")
                .values_list("pk", flat=True)
            )
            Slot.objects.filter(office=office, date=row.date).update(priority_kept=0)
            row.released_at = now
            row.save(update_fields=["released_at"])
        released += 1
        places_freed(office=office, day=row.date, now=now)
    return released


def priority_places_keep_due(*, now: dt.datetime | None = None) -> int:
    """Keep the priority places of every day of an office with a quota, from today to
    the last day released within the next 24 hours (so a day's places are kept before
    its release). Returns how many days it kept places for."""
    now = now or timezone.now()
    kept = 0
    offices = Office.objects.filter(is_active=True, priority_quotas__isnull=False).distinct()
    for office in offices:
        today = schedule.local_today(office, now)
        last = release_window.last_released_day(office, now + dt.timedelta(days=1))
        done = set(
            PriorityDay.objects.filter(office=office, date__range=(today, last)).values_list(
                "date", flat=True
            )
        )
        for day in schedule.days(today, last):
            if day not in done and priority_places_keep(office=office, day=day, now=now):
                kept += 1
    return kept


def waitlist_for_applicant(*, ref: str, birth_date: dt.date, client: str | None) -> WaitlistRequest:
    """The request with this reference and a person of this birth date (the /cek/
    page, the API); one NotFoundError for a wrong reference or birth date alike. Wrong
    birth dates are counted per reference and client as for bookings
    (bookings/lookup.py), so a reference seen over a shoulder cannot be paired with a
    birth date by trying."""
    return lookup_by_code(
        code=ref,
        birth_date=birth_date,
        client=client,
        limit=birth_date_guesses("waitlist-birth-date"),
        find=lambda canonical, born: (
            WaitlistRequest.objects.select_related("office")
            .filter(ref=canonical, people__birth_date=born)
            .first()
        ),
        not_found=lambda: NotFoundError(
            code="waitlist_not_found",
            message=_("No waiting-list request matches this reference and birth date."),
        ),
    )
