"""The WhatsApp conversation of an office: book, check, cancel, help.

`handle_message` is called by notifications.inbound with the active language already
set to the sender's. Every booking goes through the same services as the web and the
API; a refusal becomes a reply that says why and shows the right format.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from bookings.applicant import Applicant, normalise_phone
from bookings.conversation import refusals as refusals_
from bookings.conversation.parser import (
    BIRTH_DATE,
    VISIT_DATE,
    BookLine,
    Command,
    format_book_line,
    parse,
)
from bookings.conversation.refusals import Refusal
from bookings.conversation.refusals import quote as _quote
from bookings.models import ABOUT_BOOKING, Booking, BookingStatus, Channel
from bookings.services import (
    Actor,
    booking_cancel,
    booking_create_family,
    booking_hold_confirm,
    fees_in_force,
)
from immigration.errors import DomainError
from notifications.inbound import HandlerReply, Inbound, handler_memo
from notifications.models import OutboundMessage
from offices import release_window, schedule
from offices.models import Office
from offices.selectors import DayState, office_availability

ACTOR = Actor.applicant(Channel.WHATSAPP)


def find_office(message: Inbound) -> Office | None:
    """The active office the message was written to (by the Cloud API's phone-number
    id, or the number), looked up once per inbox chunk: the waiting list's, the
    complaints' and this conversation ask for it for every message (`handler_memo`)."""
    memo = handler_memo()
    key = ("office", message.phone_number_id, message.to)
    if key not in memo:
        memo[key] = _find_office(message)
    return memo[key]


def _find_office(message: Inbound) -> Office | None:
    offices = Office.objects.filter(is_active=True)
    if message.phone_number_id:
        return offices.filter(whatsapp_phone_number_id=message.phone_number_id).first()
    if message.to:
        digits = message.to.lstrip("+")
        return offices.filter(whatsapp_number=f"+{digits}").first()
    return None


def _example(office: Office, now: dt.datetime) -> str:
    day = schedule.local_today(office, now) + dt.timedelta(days=7)
    return format_book_line("SITI NUR'AINI", dt.date(1978, 6, 17), day)


def help_text(office: Office, now: dt.datetime) -> str:
    hours = office.opening_hours.order_by("weekday").first()
    lines = [
        _("Book at %(office)s: one message per person.") % {"office": office.name},
        # Translators: the booking format; keep the # and DDMMYYYY, translate NAME only.
        _("#NAME#DDMMYYYY#DDMMYYYY#"),
        _("Name, birth date and the day you want to come, for example:"),
        _example(office, now),
        # Translators: keep the # and DDMMYYYY; HAMIL and DISABILITAS are the Indonesian
        # words the parser reads (PREGNANT, DISABLED in English), keep them as they are.
        _(
            "Pregnant or disabled? Add it as a 4th field for a priority place, checked "
            "at the door: #NAME#DDMMYYYY#DDMMYYYY#PREGNANT# or ...#DISABLED#"
        ),
        # The Indonesian help teaches CEK, not STATUS: STATUS from a new number is read
        # as English (parser._WORD_LANGUAGE_GUESS).
        _("STATUS <code> shows a booking; CANCEL <code> cancels it; ID for Indonesian."),
        _(
            "Booked on the web? Send YA <code> from the number you typed to confirm it "
            "within %(minutes)d minutes."
        )
        % {"minutes": settings.BOOKING_HOLD_MINUTES},
    ]
    if hours:
        lines.append(
            _("Opening hours: %(opens)s-%(closes)s %(zone)s.")
            % {
                "opens": f"{hours.opens_at:%H:%M}",
                "closes": f"{hours.closes_at:%H:%M}",
                "zone": office.zone_label,
            }
        )
    lines.append(office.address)
    # The fees in force are the counter's rule (one per code, the newest start).
    fees = sorted(fees_in_force(office=office, now=now), key=lambda fee: fee.amount)
    lines.extend(f"{fee.display_name}: {fee.amount_text}" for fee in fees)
    lines.append(_("The passport fee is paid at a bank or post office, never at the counter."))
    return "\n".join(lines)


def _days_with_room(office: Office, after: dt.date, now: dt.datetime, count: int = 3) -> list[str]:
    last = release_window.last_released_day(office, now)
    if after >= last:
        return []
    start = max(after + dt.timedelta(days=1), schedule.local_today(office, now))
    end = min(start + dt.timedelta(days=30), last)
    if end < start:
        return []
    days = office_availability(office=office, start=start, end=end, now=now)
    return [date_format(d.date, "l, j F Y") for d in days if d.state == DayState.OPEN][:count]


_CONFIRMATIONS = """
SELECT text FROM {table}
WHERE about_kind = %s AND about_id = ANY(%s)
    AND kind IN ('booking_confirmed', 'booking_rescheduled')
ORDER BY id
"""


def _confirmations(bookings: list[Booking]) -> list[str]:
    """The confirmation notices the services queued (with the QR): the reply itself.
    Written out: building the ORM's query was most of its cost, for every booking by
    WhatsApp."""
    if not bookings:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _CONFIRMATIONS.format(table=OutboundMessage._meta.db_table),
            [ABOUT_BOOKING, [b.pk for b in bookings]],
        )
        return [row[0] for row in cursor.fetchall()]


# The refusals that are about the day: the reply names the next days with room.
_DAY_REFUSALS = frozenset(
    {"day_full", "slot_full", "day_closed", "not_released", "date_past", "same_day_closed"}
)


def _line_refusals(command: Command, office: Office, now: dt.datetime) -> list[Refusal]:
    """What is wrong with each line on its own, before anything is booked: every line
    at fault is named at once, not only the first. The lines of one message are one
    family on one day (the draw places a family together): a line whose visit date
    differs from the first readable line's is refused. Names and birth dates are
    checked by the rules the booking applies (`Applicant.validated`), per line, to
    name the line. Reads nothing from the database."""
    quoted = {error.line: _quote(error.text) for error in command.errors}
    refusals = [refusals_.from_line_error(e, quoted[e.line]) for e in command.errors]
    today = schedule.local_today(office, now)

    def swapped(line: BookLine) -> bool:
        # A birth date not yet past and a visit day already past: the two were swapped.
        return line.service_date < today <= line.birth_date

    first = next((line for line in command.lines if not swapped(line)), None)
    for line in command.lines:
        if swapped(line):
            refusals.append(
                Refusal(
                    (line.line,),
                    BIRTH_DATE,
                    refusals_.date_value(line.birth_date),
                    _(
                        "It comes after the visit date %(visit)s: write the birth date "
                        "first, then the day of the visit."
                    )
                    % {"visit": refusals_.date_value(line.service_date)},
                )
            )
            continue
        if first is not None and line.service_date != first.service_date:
            refusals.append(
                Refusal(
                    (line.line,),
                    VISIT_DATE,
                    refusals_.date_value(line.service_date),
                    _(
                        "It differs from the visit date of line %(first)d, %(date)s. One "
                        "message books one day for everyone in it: send a separate message "
                        "for each day."
                    )
                    % {"first": first.line, "date": refusals_.date_value(first.service_date)},
                )
            )
            continue
        try:
            Applicant(line.name, line.birth_date).validated(today=today)
        except DomainError as exc:
            refusals.append(refusals_.from_domain_error(exc, [line]))
    return refusals


def _book(
    command: Command, office: Office, message: Inbound, language: str, now: dt.datetime
) -> HandlerReply:
    """One message, one family, one day: every line through one call of
    `booking_create_family`, so the family is booked all together or not at all (as
    the README promises). Any refusal books nobody and names the line and field."""
    reply = HandlerReply()
    count = len(command.lines) + len(command.errors)
    if count > settings.BOOKING_FAMILY_MAX:
        refusals = [
            Refusal(
                tuple(range(settings.BOOKING_FAMILY_MAX + 1, count + 1)),
                "",
                "",
                _(
                    "One message books at most %(max)d people, one line each: send the "
                    "others in another message."
                )
                % {"max": settings.BOOKING_FAMILY_MAX},
            )
        ]
    else:
        refusals = _line_refusals(command, office, now)
    booked: list[Booking] = []
    room: list[str] = []
    if not refusals:
        try:
            booked = booking_create_family(
                office=office,
                date=command.lines[0].service_date,
                applicants=[Applicant(line.name, line.birth_date) for line in command.lines],
                priority=[line.priority for line in command.lines],
                phone=message.sender,
                actor=ACTOR,
                phone_verified=True,  # WhatsApp authenticates the sender
                language=language,
                now=now,
            )
        except DomainError as exc:
            refusals.append(refusals_.from_domain_error(exc, list(command.lines)))
            if exc.code in _DAY_REFUSALS:
                room = _days_with_room(office, command.lines[0].service_date, now)
    reply.queued = _confirmations(booked)
    if booked:
        # The request that made the booking belongs to its conversation; a family's
        # message is shown with the first member's booking.
        reply.about = booked[0].about
    if refusals:
        parts = [refusals_.refusal_text(refusal) for refusal in refusals]
        if room:
            parts.append(_("Days with room: %(days)s.") % {"days": "; ".join(room)})
        if count > 1:
            parts.append(_("Nothing was booked: a family is booked all together or not at all."))
        if any(error.reason in refusals_.FORMAT_REASONS for error in command.errors):
            # Only when the format was the problem: after a full or closed day the
            # lecture would bury the reason.
            parts.extend(
                [
                    _("The right format, one line per person:"),
                    # Translators: the booking format; keep the # and DDMMYYYY, translate NAME only.
                    _("#NAME#DDMMYYYY#DDMMYYYY#"),
                    _example(office, now),
                    # Translators: keep the # and DDMMYYYY; HAMIL and DISABILITAS are the Indonesian
                    # words the parser reads (PREGNANT, DISABLED in English), keep them as they are.
                    _(
                        "Pregnant or disabled? Add it as a 4th field for a priority place, checked "
                        "at the door: #NAME#DDMMYYYY#DDMMYYYY#PREGNANT# or ...#DISABLED#"
                    ),
                ]
            )
        reply.text = "\n\n".join(parts)
    reply.result = {"bookings": [b.code for b in booked], "refused": len(refusals)}
    return reply


def _confirm(command: Command, office: Office, message: Inbound, now: dt.datetime) -> HandlerReply:
    """`YA <code>`: confirm a web or API hold. Only from the number typed when booking,
    and only for this office's holds: the service answers anything else with one
    polite, bilingual "no such hold of this number" and changes nothing."""
    if not command.raw_code:
        return HandlerReply(
            text=_("Write YA and the booking code, for example: YA K7P2-MX4Q."),
            result={"confirmed": []},
        )
    try:
        bookings = booking_hold_confirm(
            office=office, phone=message.sender, code=command.raw_code, now=now
        )
    except DomainError as exc:
        text = str(exc.message)
        if exc.code == "already_confirmed":
            booking = own_booking(sender=message.sender, code=command.code, office=office)
            if booking is not None:
                return HandlerReply(
                    text=f"{text}\n{_status(booking)}",
                    result={"confirmed": [], "error": exc.code},
                    about=booking.about,
                )
        return HandlerReply(text=text, result={"confirmed": [], "error": exc.code})
    codes = [b.code for b in bookings]
    return HandlerReply(
        queued=_confirmations(bookings),
        result={"confirmed": codes, "bookings": codes},
        # The YA belongs to the conversation of the booking it confirmed.
        about=bookings[0].about if bookings else None,
    )


def own_booking(*, sender: str, code: str | None, office: Office) -> Booking | None:
    """The booking `code` names, if it was booked from `sender` (WhatsApp authenticates
    the sender) at `office` (the number the message was written to: the webhook's
    phone-number id, the gateway key's office). Every command about a code resolves
    its booking here and nowhere else; anything else is None, answered exactly like a
    code that does not exist, so no office learns of another office's bookings."""
    if not code:
        return None
    return (
        Booking.objects.select_related("office", "slot")
        .filter(code=code, phone=sender, office=office)
        .first()
    )


def own_upcoming_bookings(*, sender: str, office: Office, now: dt.datetime) -> list[Booking]:
    """The sender's own bookings at `office` still to come (held or booked, slot not yet
    started), soonest first: what STATUS or CANCEL without a code lists. Scoped like
    `own_booking` (this sender, this office) so no number sees another's bookings and no
    office another office's. Reads only; takes no locks."""
    return list(
        Booking.objects.select_related("office", "slot")
        .filter(
            phone=sender,
            office=office,
            status__in=[BookingStatus.HELD, BookingStatus.BOOKED],
            slot__starts_at__gte=now,
        )
        .order_by("slot__starts_at", "pk")[:10]
    )


def _own_list(command: Command, office: Office, message: Inbound, now: dt.datetime) -> HandlerReply:
    bookings = own_upcoming_bookings(sender=message.sender, office=office, now=now)
    if not bookings:
        return HandlerReply(
            text=_("This WhatsApp number has no upcoming booking at %(office)s.")
            % {"office": office.name},
            result={"listed": 0},
        )
    lines = [_("Your upcoming bookings at %(office)s:") % {"office": office.name}]
    lines.extend(_status(booking) for booking in bookings)
    lines.append(
        _("To cancel one, send CANCEL and its code, for example: CANCEL %(code)s")
        % {"code": bookings[0].display_code}
    )
    return HandlerReply(text="\n".join(lines), result={"listed": len(bookings)})


def _status(booking: Booking) -> str:
    zone = schedule.office_zone(booking.office)
    start = booking.slot.starts_at.astimezone(zone)
    return _(
        "%(code)s (%(name)s): %(status)s. %(office)s, %(date)s at %(time)s, queue %(queue)s."
    ) % {
        "code": booking.display_code,
        "name": booking.name,
        "status": booking.get_status_display().lower(),
        "office": booking.office.name,
        "date": date_format(start.date(), "l, j F Y"),
        "time": f"{start:%H:%M} {booking.office.zone_label}",
        "queue": booking.queue_number or "-",
    }


def _status_command(booking: Booking, message: Inbound, now: dt.datetime) -> HandlerReply:
    return HandlerReply(text=_status(booking), result={"booking": booking.code})


def _cancel_command(booking: Booking, message: Inbound, now: dt.datetime) -> HandlerReply:
    try:
        booking_cancel(booking=booking, actor=ACTOR, now=now)
    except DomainError as exc:
        return HandlerReply(
            text=str(exc.message), result={"booking": booking.code, "error": exc.code}
        )
    cancelled = OutboundMessage.objects.filter(**booking.about.fields(), kind="booking_cancelled")
    return HandlerReply(
        queued=list(cancelled.values_list("text", flat=True)),
        result={"cancelled": booking.code},
    )


# The commands about one booking: parser action -> what it does to the sender's own
# booking at this office (resolved by `own_booking`, the only way in). A new command
# about a code is one entry here.
BOOKING_COMMANDS: dict[str, Callable[[Booking, Inbound, dt.datetime], HandlerReply]] = {
    "status": _status_command,
    "cancel": _cancel_command,
}


def _hooks() -> list[Callable[..., HandlerReply | None]]:
    """Apps that answer some messages first (settings.BOOKING_CONVERSATION_HOOKS, e.g. the
    draw): each returns a reply, or None to leave the message to this conversation."""
    return [import_string(path) for path in settings.BOOKING_CONVERSATION_HOOKS]


def reply_language(command: Command, language: str | None) -> str:
    """The language to answer in: the one the message chose (`EN`, or a command word
    written in one language: HELP, BATAL), else the sender's (None: a number that has
    not written before), else the one a shared word suggests (STATUS: English), else
    Indonesian. notifications.inbound remembers the answer's language for the sender."""
    return command.language or language or command.language_guess or settings.LANGUAGE_CODE


def handle_message(*, message: Inbound, language: str | None, now: dt.datetime) -> HandlerReply:
    """`language`: the sender's remembered language, None for a number new to us."""
    office = find_office(message)
    command = parse(message.text)
    language = reply_language(command, language)
    with translation.override(language):
        if office is None:
            reply = HandlerReply(
                text=_("This number does not take bookings."), result={"office": None}
            )
        else:
            reply = _dispatch(command, office, message, language, now)
            reply.office_code = office.code
            reply.sender_number = office.whatsapp_number
            reply.phone_number_id = office.whatsapp_phone_number_id or ""
    reply.language = language
    return reply


def _dispatch(
    command: Command, office: Office, message: Inbound, language: str, now: dt.datetime
) -> HandlerReply:
    try:
        normalise_phone(f"+{message.sender}")
    except DomainError:
        return HandlerReply(text=_("This number cannot book."), result={"invalid_sender": True})
    for hook in _hooks():
        answered = hook(command=command, office=office, message=message, language=language, now=now)
        if answered is not None:
            return answered
    if command.action == "book":
        return _book(command, office, message, language, now)
    if command.action == "confirm":
        return _confirm(command, office, message, now)
    if command.action in BOOKING_COMMANDS and not command.raw_code:
        return _own_list(command, office, message, now)
    if command.action in BOOKING_COMMANDS:
        booking = own_booking(sender=message.sender, code=command.code, office=office)
        if booking is None:
            return HandlerReply(
                text=_("No booking of this WhatsApp number has the code %(code)s.")
                % {"code": _quote(command.raw_code, 20) or "-"},
                result={"found": False},
            )
        reply = BOOKING_COMMANDS[command.action](booking, message, now)
        reply.about = booking.about
        return reply
    if command.action == "language":
        head = (
            _("We will write to you in English.")
            if language == "en"
            else _("We will write to you in Indonesian.")
        )
        return HandlerReply(
            text=f"{head}\n\n{help_text(office, now)}", result={"language": language}
        )
    return HandlerReply(text=help_text(office, now), result={"help": True})
