"""The WhatsApp notices of a booking's life, queued in the outbox by the services in
the same transaction as the change they announce.

Texts are short, in the applicant's language, with the office's name and the date
and time in the office's own zone. Outside WhatsApp's 24-hour window the provider
needs an approved template: each notice names its template and parameters too.
"""

import datetime as dt
import functools

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings.applicant import age_on
from bookings.models import Booking
from notifications.models import Urgency
from notifications.services import outbox_enqueue, outbox_enqueue_many
from offices import localtime, schedule

# Documents by service. The KTP is issued at 17: a younger applicant brings the
# parents' documents instead, and a parent comes along.
_BRING_ADULT = {
    "new": gettext_lazy("KTP, Kartu Keluarga, birth certificate / diploma / marriage certificate"),
    "renewal": gettext_lazy("KTP, the old passport"),
    "replacement": gettext_lazy(
        "KTP, Kartu Keluarga, a police report of the loss / the damaged passport"
    ),
}
_BRING_CHILD = {
    "new": gettext_lazy(
        "Kartu Keluarga, birth certificate, both parents' KTP and their marriage "
        "certificate; a parent comes along"
    ),
    "renewal": gettext_lazy(
        "the old passport, Kartu Keluarga, birth certificate, both parents' KTP; a parent "
        "comes along"
    ),
    "replacement": gettext_lazy(
        "Kartu Keluarga, birth certificate, both parents' KTP, a police report of the loss "
        "/ the damaged passport; a parent comes along"
    ),
}
KTP_AGE = 17


def what_to_bring(booking: Booking) -> str:
    """The documents this applicant brings, in the active language: by service, and the
    parents' documents for an applicant under 17 on the day of the visit (no KTP yet)."""
    return _what_to_bring(booking.birth_date, booking.date, booking.service)


def _what_to_bring(birth_date: dt.date, day: dt.date, service: str) -> str:
    table = _BRING_CHILD if age_on(birth_date, day) < KTP_AGE else _BRING_ADULT
    return str(table.get(service, table["new"]))


def day_text(day: dt.date) -> str:
    """ "Senin, 7 Desember 2026" in the active language: unambiguous in a message (the
    notices and the services' refusals write dates so)."""
    return _day_text(day, translation.get_language())


@functools.lru_cache(maxsize=512)
def _day_text(day: dt.date, language: str) -> str:
    # Kept: the sweep words thousands of notices for the same few days, and Django's
    # date formatting is costly per call.
    with translation.override(language):
        return date_format(day, "l, j F Y")


def _slot_when(booking: Booking) -> dict[str, str]:
    """What a notice says of the booking's slot: the same for every booking in it."""
    office = booking.office
    return {
        "office": office.name,
        "date": day_text(localtime.local(booking.slot.starts_at, office).date()),
        "time": localtime.local_text(booking.slot.starts_at, office),
        "arrive": localtime.local_text(booking.arrive_by, office),
    }


def _when(booking: Booking, slot_when: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **(slot_when or _slot_when(booking)),
        "code": booking.display_code,
        "queue": booking.queue_number,
        "name": booking.name,
    }


def _fields(booking: Booking, kind: str, text: str, params: list[str], *, image=False) -> dict:
    return {
        "to": booking.phone,
        "text": text,
        "kind": kind,
        "language": booking.language,
        "sender": booking.office.whatsapp_number,
        "phone_number_id": booking.office.whatsapp_phone_number_id or "",
        "image_qr": booking.code if image else "",
        "template_name": f"antrean_{kind}",
        "template_params": params,
        "subject": f"booking:{booking.code}",
        "about": booking.about,
    }


def _queue(
    booking: Booking,
    kind: str,
    text: str,
    params: list[str],
    *,
    image=False,
    dedupe_key=None,
    urgency=Urgency.URGENT,
):
    if not booking.phone:
        return None  # erased (bookings/retention.py): there is no one left to write to
    return outbox_enqueue(
        **_fields(booking, kind, text, params, image=image),
        dedupe_key=dedupe_key,
        urgency=urgency,
    )


def _replacement_head(booking: Booking) -> str:
    """What a moved booking's notice says first: that the new code replaces the old
    one, which no longer opens the door (the old booking is cancelled)."""
    old = booking.rescheduled_from
    if old is None:
        return _("Your booking has been moved.")
    return _moved_head(booking.display_code, old.display_code)


def _moved_head(new: str, old: str) -> str:
    return _(
        "Your booking has been moved. It has a NEW booking code, %(new)s, which replaces "
        "%(old)s: the old code no longer works at the door."
    ) % {"new": new, "old": old}


def _booked_text(v: dict[str, str], head: str) -> str:
    """The confirmation's words, in the active language."""
    return "\n".join(
        [
            head,
            _("Name: %(name)s") % v,
            _("Booking code: %(code)s") % v,
            _("Queue number: %(queue)s") % v,
            _("%(office)s, %(date)s at %(time)s.") % v,
            _("Come by %(arrive)s; after 30 minutes late the booking is forfeited.") % v,
            _("Bring: %(bring)s.") % v,
            _("Booking is free: never pay anyone for it."),
        ]
    )


def _booked_params(v: dict[str, str]) -> list[str]:
    return [v["name"], v["code"], v["office"], v["date"], v["time"]]


def notify_booked(booking: Booking, *, rescheduled: bool = False) -> None:
    with translation.override(booking.language):
        v = {**_when(booking), "bring": what_to_bring(booking)}
        head = _replacement_head(booking) if rescheduled else _("Your booking is confirmed.")
        text = _booked_text(v, head)
    kind = "booking_rescheduled" if rescheduled else "booking_confirmed"
    _queue(booking, kind, text, _booked_params(v), image=True)


# What the database fills into a confirmation worded before its booking exists
# (bookings/sql/booking_place.sql, `booking_fill`): chr(1) and a letter.
MARK_CODE, MARK_QUEUE, MARK_TIME, MARK_ARRIVE = "\x01C", "\x01Q", "\x01T", "\x01A"


def booked_notices_unfilled(
    *, office, day: dt.date, people, service: str, language: str, rescheduled_from=None
) -> dict:
    """The confirmations of bookings about to be made in one database call
    (`booking_place`): the same words as `notify_booked`, with markers where the code,
    queue number, slot time and time to arrive by go (the call decides them and fills
    them in). One text and one template parameter list per person, in order."""
    with translation.override(language):
        base = {
            "office": office.name,
            "date": day_text(day),
            "time": MARK_TIME,
            "arrive": MARK_ARRIVE,
            "code": MARK_CODE,
            "queue": MARK_QUEUE,
        }
        if rescheduled_from is None:
            head = _("Your booking is confirmed.")
        else:
            head = _moved_head(MARK_CODE, rescheduled_from.display_code)
        texts, params = [], []
        for person in people:
            v = {
                **base,
                "name": person.name,
                "bring": _what_to_bring(person.birth_date, day, service),
            }
            texts.append(_booked_text(v, head))
            params.append(_booked_params(v))
    return {
        "kind": "booking_rescheduled" if rescheduled_from is not None else "booking_confirmed",
        "texts": texts,
        "params": params,
        "sender": office.whatsapp_number,
        "phone_number_id": office.whatsapp_phone_number_id or "",
    }


def notify_cancelled(booking: Booking) -> None:
    with translation.override(booking.language):
        v = _when(booking)
        text = _("Booking %(code)s for %(name)s on %(date)s at %(office)s has been cancelled.") % v
    _queue(booking, "booking_cancelled", text, [v["code"], v["name"], v["date"]])


def _expired(booking: Booking, slot_when: dict[str, str] | None = None) -> dict:
    """The expiry notice's fields, worded in the active language."""
    v = _when(booking, slot_when)
    text = (
        _(
            "Booking %(code)s for %(name)s on %(date)s was forfeited: nobody checked in "
            "by 30 minutes after %(time)s. You may book again."
        )
        % v
    )
    return _fields(booking, "booking_expired", text, [v["code"], v["name"], v["date"]])


def notify_expired(booking: Booking) -> None:
    with translation.override(booking.language):
        outbox_enqueue(**_expired(booking))


# The booking columns the expiry notice reads besides its slot's start (the sweep
# returns only these from its UPDATE).
EXPIRED_NOTICE_COLUMNS = ("code", "name", "phone", "language", "queue_seq", "service", "office_id")


def notify_expired_many(bookings: list[Booking]) -> None:
    """The sweep's notices: one INSERT and a few task messages per batch, not one of
    each per no-show (the sweep of a busy day forfeits thousands). Worded a language
    at a time (switching the language per notice cost more than wording it), and what
    is said of a slot (office, date, time) once per slot."""
    by_language: dict[str, list[Booking]] = {}
    for booking in bookings:
        if booking.phone:  # erased (bookings/retention.py): no one left to write to
            by_language.setdefault(booking.language, []).append(booking)
    rows = []
    for language, group in by_language.items():
        with translation.override(language):
            slots: dict[int, dict[str, str]] = {}  # a slot's words, once per slot
            for booking in group:
                if booking.slot_id not in slots:
                    slots[booking.slot_id] = _slot_when(booking)
                rows.append(_expired(booking, slots[booking.slot_id]))
    outbox_enqueue_many(rows)


def notify_reminder(booking: Booking):
    """Returns the queued message, or None if this booking was reminded before."""
    with translation.override(booking.language):
        v = _when(booking)
        text = (
            _(
                "Reminder: tomorrow, %(date)s, %(time)s at %(office)s. Code %(code)s, queue "
                "%(queue)s. Come by %(arrive)s."
            )
            % v
        )
    return _queue(
        booking,
        "booking_reminder",
        text,
        [v["name"], v["date"], v["time"], v["office"], v["code"]],
        dedupe_key=f"reminder:{booking.code}",
        # WhatsApp's limits: a reminder waits behind confirmations and changes.
        urgency=Urgency.ROUTINE,
    )


def notify_fee(booking: Booking) -> None:
    with translation.override(booking.language):
        v = _when(booking)
        amount = f"Rp{booking.fee_amount:,}".replace(",", ".")
        text = _(
            "%(name)s: the passport fee is %(amount)s. Pay with billing code %(billing)s at a "
            "bank or post office within the time shown on the receipt. Never pay at the counter."
        ) % {**v, "amount": amount, "billing": booking.billing_code}
    _queue(booking, "fee_billing", text, [v["name"], amount, booking.billing_code])


def notify_paid(booking: Booking) -> None:
    with translation.override(booking.language):
        text = _(
            "Payment received for %(name)s (%(code)s). We will tell you when the passport is ready."
        ) % _when(booking)
    _queue(booking, "payment_received", text, [booking.name, booking.display_code])


def notify_ready(booking: Booking) -> None:
    with translation.override(booking.language):
        text = _(
            "The passport of %(name)s is ready. Collect it at %(office)s with booking "
            "code %(code)s and your KTP."
        ) % _when(booking)
    _queue(
        booking, "passport_ready", text, [booking.name, booking.office.name, booking.display_code]
    )


def notify_collected(booking: Booking) -> None:
    with translation.override(booking.language):
        text = _("The passport of %(name)s has been collected. Thank you.") % _when(booking)
    _queue(booking, "passport_collected", text, [booking.name])


def reminder_due(booking: Booking, now: dt.datetime) -> bool:
    """The day before the visit, from BOOKING_REMINDER_HOUR office time, and only for
    bookings made long enough ago that the confirmation is not fresh in mind."""
    local = schedule.local_now(booking.office, now)
    return (
        booking.date == local.date() + dt.timedelta(days=1)
        and local.hour >= settings.BOOKING_REMINDER_HOUR
        and booking.created_at <= now - dt.timedelta(hours=6)
    )
