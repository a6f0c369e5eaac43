"""The waiting list's WhatsApp commands, in front of the rest of the conversation
(WHATSAPP_INBOUND_HANDLER names this module's `handle_message`; whatever is not a
waiting-list command goes on to complaints' handler, and from there to bookings').

- `TUNGGU #NAME#DDMMYYYY#DDMMYYYY#` (`WAIT ...`): join the day's list, one line per
  person of the family (all for the same day). The sender is the phone: it waits at
  once.
- `YA` / `YES` without a code, or with the request's reference: accept the open offer.
  (`YA <code>` with a hold's code stays the hold's confirmation; `YA <ref>` of a web
  request waiting for its phone confirms the request.)
- `TIDAK` / `NO`: decline the open offer, which passes to the next on the list.
- Any other reply from a phone with an open offer passes the offer on too ("`YA`
  accepts; anything else, or silence, passes the offer on"), unless it is a command
  of the conversation (a booking line, STATUS/CEK, BATAL, HELP/INFO, a language word,
  YA/KONFIRMASI with a code, LAPOR, TUNGGU, KELUAR): those are answered as always
  and the offer stays open. `IYA` is `YA`. A message without text (a photo, a voice
  note) is no reply we can read: it changes nothing.
- `KELUAR` / `LEAVE` [ref]: leave the list.
- `STATUS` without a code: the bookings' answer, then the positions on lists.
- A refused booking line for a full day is answered with the way to join its list.
"""

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext as _

from bookings import codes, notices
from bookings.applicant import Applicant
from bookings.conversation.handler import _confirmations, find_office
from bookings.conversation.parser import format_book_line, parse
from bookings.models import Channel
from bookings.services import day_places_left
from complaints.whatsapp import handle_message as next_handler
from complaints.whatsapp import parse_report
from immigration.errors import DomainError
from notifications.inbound import HandlerReply, Inbound
from notifications.models import About
from offices import localtime
from offices.models import Office
from waitlist.models import ABOUT_WAITLIST, RequestState, WaitlistRequest
from waitlist.services import (
    has_open_offer,
    waitlist_confirm,
    waitlist_join,
    waitlist_leave,
    waitlist_of_phone,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_open_offer,
    waitlist_position,
)

JOIN_WORDS = {"TUNGGU": "id", "WAIT": "en"}
ACCEPT_WORDS = {"YA": "id", "IYA": "id", "YES": "en"}
DECLINE_WORDS = {"TIDAK": "id", "NO": "en"}
LEAVE_WORDS = {"KELUAR": "id", "LEAVE": "en"}
STATUS_WORDS = {"STATUS", "CEK", "CHECK"}


def _words(text: str) -> list[str]:
    first_line = (text or "").strip().split("\n", 1)[0]
    return [w.strip(".!,:") for w in first_line.upper().split()]


def handle_message(*, message: Inbound, language: str | None, now: dt.datetime) -> HandlerReply:
    words = _words(message.text)
    office = find_office(message) if words else None
    if office is None:
        return next_handler(message=message, language=language, now=now)
    first, rest = words[0], "".join(words[1:])
    reply = None
    said_in = None
    if first in JOIN_WORDS and "#" in (message.text or ""):
        said_in = JOIN_WORDS[first]
        with translation.override(said_in):
            reply = _join(office, message, said_in, now)
    elif first in ACCEPT_WORDS and _offer_or_pending(office, message.sender, rest):
        said_in = ACCEPT_WORDS[first]
        with translation.override(said_in):
            reply = _accept(office, message, rest, now)
    elif first in DECLINE_WORDS and has_open_offer(office=office, phone=message.sender):
        said_in = DECLINE_WORDS[first]
        with translation.override(said_in):
            reply = _decline(office, message, now)
    elif first in LEAVE_WORDS:
        said_in = LEAVE_WORDS[first]
        with translation.override(said_in):
            reply = _leave(office, message, rest, now)
    elif not _is_command(message.text, first) and has_open_offer(
        office=office, phone=message.sender
    ):
        reply = _pass_on(office, message, now)
        said_in = reply.language if reply is not None else None
    if reply is None:
        reply = next_handler(message=message, language=language, now=now)
        with translation.override(reply.language or language):
            _add_waitlist_lines(reply, office, message, words, now)
        return reply
    reply.language = said_in
    reply.office_code = office.code
    reply.sender_number = office.whatsapp_number
    reply.phone_number_id = office.whatsapp_phone_number_id or ""
    return reply


def _is_command(text: str, first: str) -> bool:
    """Whether a message is one the conversation answers as a command (so it is no
    answer to an offer): a booking line or a word of the booking conversation
    (bookings' parser), a complaint (`LAPOR`), or a word of the waiting list."""
    return (
        parse(text).action != "unknown"
        or parse_report(text) is not None
        or first in {*JOIN_WORDS, *ACCEPT_WORDS, *DECLINE_WORDS, *LEAVE_WORDS}
    )


def _offer_or_pending(office: Office, phone: str, rest: str) -> bool:
    """Whether `YA <rest>` is the waiting list's: no code (or words that are no code:
    "YA, SAYA MAU") and an open offer, or the reference of this phone's own offer or
    pending web request. Any other code is a hold's, answered by bookings."""
    ref = codes.canonical(rest) if rest else None
    if ref is None:
        return has_open_offer(office=office, phone=phone)
    return (
        bool(ref)
        and WaitlistRequest.objects.filter(
            office=office,
            phone=phone,
            ref=ref,
            state__in=[RequestState.OFFERED, RequestState.PENDING],
        ).exists()
    )


def _join(office: Office, message: Inbound, language: str, now: dt.datetime) -> HandlerReply:
    text = (message.text or "").strip()
    command = parse(text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else "")
    days = {line.service_date for line in command.lines}
    if command.action != "book" or command.errors or len(days) != 1:
        return HandlerReply(
            text="\n".join(
                [
                    _("To join a full day's waiting list, one line per person, all for one day:"),
                    # Translators: keep TUNGGU (or WAIT) and the # format.
                    _("TUNGGU #NAME#DDMMYYYY#DDMMYYYY#"),
                ]
            ),
            result={"waitlist": None, "error": "bad_format"},
        )
    day = days.pop()
    try:
        request = waitlist_join(
            office=office,
            date=day,
            applicants=[Applicant(line.name, line.birth_date) for line in command.lines],
            phone=message.sender,
            phone_verified=True,  # WhatsApp authenticates the sender
            channel=Channel.WHATSAPP,
            language=language,
            now=now,
        )
    except DomainError as exc:
        return HandlerReply(text=str(exc.message), result={"waitlist": None, "error": exc.code})
    return HandlerReply(
        text=_(
            "You are on the waiting list of %(office)s for %(date)s, reference %(ref)s, "
            "position %(position)d. When places free up we write to you here; reply YA "
            "within the time given to book them. Send KELUAR %(ref)s to leave the list."
        )
        % {
            "office": office.name,
            "date": notices.day_text(day),
            "ref": request.display_ref,
            "position": waitlist_position(request=request),
        },
        result={"waitlist": request.ref},
        about=About(ABOUT_WAITLIST, request.pk),
    )


def _accept(office: Office, message: Inbound, rest: str, now: dt.datetime) -> HandlerReply:
    ref = codes.canonical(rest) if rest else None
    pending = (
        WaitlistRequest.objects.filter(
            office=office, phone=message.sender, ref=ref, state=RequestState.PENDING
        ).first()
        if ref
        else None
    )
    try:
        if pending is not None:
            request = waitlist_confirm(office=office, phone=message.sender, ref=ref, now=now)
            return HandlerReply(
                text=_("Confirmed: you are on the waiting list for %(date)s, position %(pos)s.")
                % {
                    "date": notices.day_text(request.date),
                    "pos": waitlist_position(request=request) or "-",
                },
                result={"waitlist": request.ref},
                about=About(ABOUT_WAITLIST, request.pk),
            )
        booked = waitlist_offer_accept(office=office, phone=message.sender, ref=ref, now=now)
    except DomainError as exc:
        return HandlerReply(text=str(exc.message), result={"accepted": [], "error": exc.code})
    return HandlerReply(
        queued=_confirmations(booked),
        result={"accepted": [b.code for b in booked], "bookings": [b.code for b in booked]},
        about=booked[0].about,
    )


def _decline(office: Office, message: Inbound, now: dt.datetime) -> HandlerReply:
    try:
        offer = waitlist_offer_decline(office=office, phone=message.sender, now=now)
    except DomainError as exc:
        return HandlerReply(text=str(exc.message), result={"declined": None, "error": exc.code})
    return HandlerReply(
        text=_("Declined: the places go to the next on the list, and you have left it."),
        result={"declined": offer.request.ref},
        about=About(ABOUT_WAITLIST, offer.request_id),
    )


def _pass_on(office: Office, message: Inbound, now: dt.datetime) -> HandlerReply | None:
    """A reply that is neither `YA` nor a command, from a phone with an open offer: the
    offer passes on (as `TIDAK`), and the reply says so, in the request's language.
    None when the offer closed meanwhile (a `YA` or the sweep first): the message is
    then the conversation's, as any other."""
    try:
        offer = waitlist_offer_decline(office=office, phone=message.sender, now=now)
    except DomainError:
        return None
    request = offer.request
    with translation.override(request.language):
        text = _(
            "Your reply was not YA, so the places offered to you for %(date)s have gone to "
            "the next on the waiting list, and your request %(ref)s has left the list. To "
            "wait again, join the list anew."
        ) % {"date": notices.day_text(request.date), "ref": request.display_ref}
    return HandlerReply(
        text=text,
        result={"passed_on": request.ref},
        about=About(ABOUT_WAITLIST, request.pk),
        language=request.language,
    )


def _leave(office: Office, message: Inbound, rest: str, now: dt.datetime) -> HandlerReply:
    mine = waitlist_of_phone(office=office, phone=message.sender)
    ref = codes.canonical(rest) if rest else None
    chosen = [r for r in mine if r.ref == ref] if ref else mine[:1] if len(mine) == 1 else []
    if not chosen:
        lines = [_("Send KELUAR and the reference of the list to leave:")]
        lines += [f"{r.display_ref}: {notices.day_text(r.date)}" for r in mine]
        if not mine:
            lines = [
                _("This WhatsApp number is on no waiting list at %(office)s.")
                % {"office": office.name}
            ]
        return HandlerReply(text="\n".join(lines), result={"left": None})
    try:
        request = waitlist_leave(request=chosen[0], now=now)
    except DomainError as exc:
        return HandlerReply(text=str(exc.message), result={"left": None, "error": exc.code})
    return HandlerReply(
        text=_("You have left the waiting list for %(date)s.")
        % {"date": notices.day_text(request.date)},
        result={"left": request.ref},
        about=About(ABOUT_WAITLIST, request.pk),
    )


def _add_waitlist_lines(
    reply: HandlerReply, office: Office, message: Inbound, words: list[str], now: dt.datetime
) -> None:
    """STATUS without a code: the positions too. A booking line refused for a full day:
    how to join its list."""
    if words and words[0] in STATUS_WORDS and len(words) == 1:
        mine = waitlist_of_phone(office=office, phone=message.sender)
        lines = [_status_line(r) for r in mine]
        if lines:
            reply.text = "\n".join([reply.text, *lines]).strip()
        return
    command = parse(message.text)
    if command.action != "book" or command.errors or not reply.result.get("refused"):
        return
    booked = set(reply.result.get("bookings") or [])
    if booked:
        return
    days = sorted({line.service_date for line in command.lines})
    for day in days:
        count = sum(1 for line in command.lines if line.service_date == day)
        if day_places_left(office=office, day=day, now=now, priority=True) >= count:
            continue
        first = next(line for line in command.lines if line.service_date == day)
        reply.text = "\n\n".join(
            [
                reply.text,
                _("%(date)s is full. To join its waiting list, send:")
                % {"date": notices.day_text(day)},
                "TUNGGU " + format_book_line(first.name, first.birth_date, day),
            ]
        )


def _status_line(request: WaitlistRequest) -> str:
    position = waitlist_position(request=request)
    offer = waitlist_open_offer(request=request)
    if offer is not None:
        state = _("places offered: reply YA by %(until)s to book them") % {
            "until": localtime.local_text(offer.expires_at, request.office, localtime.DATETIME)
        }
    elif request.state == RequestState.PENDING:
        state = _("waiting for YA %(ref)s from this number") % {"ref": request.display_ref}
    elif position is not None:
        state = _("position %(position)d") % {"position": position}
    else:
        state = request.get_state_display()
    return _("Waiting list %(ref)s, %(date)s: %(state)s.") % {
        "ref": request.display_ref,
        "date": notices.day_text(request.date),
        "state": state,
    }
