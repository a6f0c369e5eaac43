"""The applicant's own changes: finding their booking by code and birth date (with the
lockout on guessing), cancelling and rescheduling.

Locks taken here: the booking row (`_lock`), then, for a reschedule, the phone and
persons' advisory locks and the new day's (via allocation)."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes, notices
from bookings.applicant import Applicant
from bookings.models import (
    Booking,
    Channel,
)
from bookings.selectors import booking_cancel_refusal, booking_reschedule_refusal
from bookings.services.actor import Actor, S, _lock, _lock_phone_and_people, _transition
from bookings.services.allocation import booking_create
from immigration.attempts import GuessLimit, guesses_check, guesses_record_failure
from immigration.errors import NotFoundError

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
