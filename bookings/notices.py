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
from bookings.models import ABOUT_BOOKING, Booking
from notifications.models import Urgency
from notifications.services import outbox_enqueue, outbox_enqueue_select
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


def _when(booking: Booking) -> dict[str, str]:
    return {
        **_slot_when(booking),
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


def _expired_words(v: dict[str, str]) -> tuple[str, list[str]]:
    """The expiry notice's text and template parameters, in the active language."""
    text = (
        _(
            "Booking %(code)s for %(name)s on %(date)s was forfeited: nobody checked in "
            "by 30 minutes after %(time)s. You may book again."
        )
        % v
    )
    return text, [v["code"], v["name"], v["date"]]


def _expired(booking: Booking) -> dict:
    """The expiry notice's fields, worded in the active language."""
    text, params = _expired_words(_when(booking))
    return _fields(booking, "booking_expired", text, params)


def notify_expired(booking: Booking) -> None:
    with translation.override(booking.language):
        outbox_enqueue(**_expired(booking))


# What the no-show sweep's statement fills into an expiry notice worded once for a slot
# and a language (`expired_notice_unfilled`): the booking's code as printed (MARK_CODE)
# and its name.
MARK_NAME = "\x01N"

# The fields of an expiry notice that are the booking's own, filled in by the sweep's
# statement (bookings/services/sweeps.py) from the booking row: `_fields` says what
# each one is.
EXPIRED_NOTICE_FILLED = ("to", "subject", "about")


def expired_notice_unfilled(booking: Booking) -> dict:
    """The expiry notice of every booking of `booking`'s slot and language (`booking`:
    an unsaved one with its office, slot and language), as `notify_expired` words it,
    with MARK_CODE and MARK_NAME in its text and template parameters where each
    booking's code and name go, and without the fields EXPIRED_NOTICE_FILLED. The
    sweep words a batch's notices so, once per slot and language, and its statement
    fills them in: no booking passes through Python (bench/README.md)."""
    with translation.override(booking.language):
        v = {**_slot_when(booking), "code": MARK_CODE, "name": MARK_NAME}
        text, params = _expired_words(v)
    fields = _fields(booking, "booking_expired", text, params)
    return {key: value for key, value in fields.items() if key not in EXPIRED_NOTICE_FILLED}


# The expiry notices of a batch of bookings, filled in from their rows: one unfilled
# notice per slot and language (arrays `w`, one element per notice, its other fields
# as worded, named as the fields are), joined to each booking of that slot and language. The text's
# and template parameters' markers take the code as `display` prints it (XXXX-XXXX)
# and the name; the fields EXPIRED_NOTICE_FILLED are what `_fields` makes of the row
# (`to`: the phone; `subject`: "booking:" and the code; `about`: the booking). An
# erased booking (no phone, bookings/retention.py) gets none, as `_queue` skips it.
_EXPIRED_FILLED = """
SELECT b.phone, {plain},
       replace(replace(w.text, m.code, c.printed), m.name, b.name),
       (SELECT jsonb_agg(replace(replace(p.value, m.code, c.printed), m.name, b.name)
                         ORDER BY p.n)
          FROM jsonb_array_elements_text(w.params) WITH ORDINALITY AS p(value, n)),
       'booking:' || b.code, %b::varchar, b.id
  FROM bookings_booking AS b
 CROSS JOIN (SELECT %b::text AS code, %b::text AS name) AS m
 CROSS JOIN LATERAL (SELECT left(b.code, 4) || '-' || substr(b.code, 5) AS printed) AS c
  JOIN unnest(%b::bigint[], %b::text[], %b::jsonb[], {arrays})
       AS w(slot_id, text, params, {names})
    ON w.slot_id = b.slot_id AND w.language = b.language
 WHERE b.id = ANY(%b::bigint[]) AND b.phone <> ''
 ORDER BY b.expires_at, b.id
"""


def notify_expired_batch(groups: list[tuple[Booking, list[int]]]) -> list[int]:
    """Queue the expiry notices of a batch of no-shows with one statement: `groups`
    pairs an unsaved booking (office, slot and language) with the ids of the batch's
    bookings of that slot and language. Each group's notice is worded once
    (`expired_notice_unfilled`), and PostgreSQL fills in each booking's own values:
    the same rows `notify_expired` queues one at a time (test_sweep_notices.py), with
    no booking read into Python. Returns the messages' ids (after commit they go to
    the workers, as every outbox row does)."""
    from psycopg.types.json import Jsonb

    if not groups:
        return []
    unfilled = [expired_notice_unfilled(booking) for booking, _ in groups]
    plain = [key for key in unfilled[0] if key not in ("text", "template_params")]
    select = _EXPIRED_FILLED.format(  # names: `_fields`' keys, ours
        plain=", ".join(f"w.{key}" for key in plain),
        arrays=", ".join("%b::text[]" for _ in plain),
        names=", ".join(plain),
    )
    params = [
        ABOUT_BOOKING,
        MARK_CODE,
        MARK_NAME,
        [booking.slot.pk for booking, _ in groups],
        [notice["text"] for notice in unfilled],
        [Jsonb(notice["template_params"]) for notice in unfilled],
        *([notice[key] for notice in unfilled] for key in plain),
        [pk for _, ids in groups for pk in ids],
    ]
    attnames = ["to", *plain, "text", "template_params", "subject", "about_kind", "about_id"]
    return outbox_enqueue_select(attnames, select, params)


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
