"""The applicant's own changes: finding their booking by code and birth date (with the
lockout on guessing), cancelling and rescheduling.

Locks taken here: the booking row and its slot's (`_lock`, not the office's), then,
for a reschedule, the phone and persons' advisory locks and the new day's (via
allocation)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import notices
from bookings.applicant import Applicant
from bookings.lookup import birth_date_guesses, lookup_by_code
from bookings.models import (
    Booking,
    Channel,
)
from bookings.selectors import booking_cancel_refusal, booking_reschedule_refusal
from bookings.services.actor import Actor, S, _lock, _lock_phone_and_people, _transition
from bookings.services.allocation import booking_create
from immigration.errors import NotFoundError


def booking_for_applicant(*, code: str, birth_date: dt.date, client: str | None) -> Booking:
    """The booking with this code and birth date; NotFoundError for a wrong code or
    birth date alike. `client` names who asks (an address, an API key, a WhatsApp
    number: see `caller_ident`). The lockout on guessing: bookings/lookup.py."""
    return lookup_by_code(
        code=code,
        birth_date=birth_date,
        client=client,
        limit=birth_date_guesses("birth-date"),
        find=lambda canonical, born: (
            Booking.objects.select_related("office", "slot")
            .filter(code=canonical, birth_date=born)
            .first()
        ),
        not_found=lambda: NotFoundError(
            code="booking_not_found",
            message=_("No booking matches this code and birth date."),
        ),
    )


@transaction.atomic
def booking_cancel(
    *, booking: Booking, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel and free the place at once. Locks the booking row and its slot's (a
    timeout is the `busy` refusal); the rules of who may
    cancel when are `bookings.selectors.booking_cancel_refusal` (the pages ask it too)."""
    booking = _lock(booking, office_row=False)
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
    booking = _lock(booking, office_row=False)
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
