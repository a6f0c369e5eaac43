"""The draw in the WhatsApp conversation: the same `#NAME#DDMMYYYY#DDMMYYYY#` lines
enter the draw when the day is given by a draw (several days as
`DDMMYYYY,DDMMYYYY,DDMMYYYY`, in order of preference), and `YA <reference>` confirms a
request made on the web; HELP/INFO says, at an office in draw mode, that requests
enter a draw, until when and where its page is.

`reply` is a hook of the conversation (settings.BOOKING_CONVERSATION_HOOKS): it answers
what concerns a draw and returns None for everything else, which the conversation then
handles as before. The rules are release.services'; this module only reads the lines
and words the replies.
"""

import datetime as dt

from django.utils.translation import gettext as _

from bookings import notices
from bookings.applicant import Applicant
from bookings.conversation.handler import help_text
from bookings.conversation.parser import Command, parse_date
from bookings.models import Channel
from immigration.errors import DomainError
from notifications.inbound import HandlerReply, Inbound, handler_memo
from notifications.models import About
from offices.models import Office
from release import services
from release.models import EntryStatus


def _line(line: str) -> tuple[str, dt.date, list[dt.date]] | None:
    """name, birth date and one to three days; None when the line is not of that form
    (the conversation's own parser then explains the format)."""
    parts = [part.strip() for part in line.strip().strip("#").split("#")]
    if len(parts) != 3 or not parts[0]:
        return None
    birth = parse_date(parts[1])
    days = [parse_date(piece) for piece in parts[2].split(",") if piece.strip()]
    if isinstance(birth, str) or not days or any(isinstance(day, str) for day in days):
        return None
    return parts[0], birth, days


def _entered_text(entry, office: Office) -> str:
    draw = entry.draw
    lines = [
        _("This is an entry in the draw, not yet a booking."),
        _("The draw is on %(when)s; you get the result by WhatsApp.")
        % {"when": services._when(draw.closes_at, office)},
        _("Entering early or late makes no difference: the order is drawn at random."),
        _("Request %(reference)s, public pseudonym %(pseudonym)s.")
        % {"reference": entry.display_reference, "pseudonym": entry.pseudonym},
    ]
    return "\n".join(lines)


def _release(office: Office, day: dt.date) -> services.Release | None:
    """`release_for`, kept for the inbox chunk (`handler_memo`): at an office with no
    policy in draw mode (one query per chunk), every day is first come; at one with,
    each day's release (and its calendar, `Release.calendar`) is read once per chunk."""
    memo = handler_memo()
    draws = ("office_has_draws", office.pk)
    if draws not in memo:
        memo[draws] = services.office_has_draws(office=office)
    if not memo[draws]:
        return None
    key = ("release", office.pk, day)
    if key not in memo:
        memo[key] = services.release_for(office=office, day=day)
    return memo[key]


def _book(command: Command, office: Office, message: Inbound, language: str, now):
    lines = [
        line.strip()
        for line in (message.text or "").replace("\r", "\n").split("\n")
        if line.strip().startswith("#") or line.count("#") >= 2
    ]
    read = [_line(line) for line in lines]
    if not read or any(item is None for item in read):
        return None
    first_days = read[0][2]
    release = _release(office, first_days[0])
    if release is None:
        return None  # first come: the conversation books as before
    if any(item[2] != first_days for item in read):
        return HandlerReply(
            text=_("One request, one set of days: give the same days on every line."),
            result={"draw_entry": None, "error": "days_differ"},
        )
    try:
        entry = services.draw_enter(
            office=office,
            applicants=[Applicant(name, birth) for name, birth, _days in read],
            preferences=first_days,
            phone=message.sender,
            channel=Channel.WHATSAPP,
            language=language,
            phone_verified=True,  # WhatsApp authenticates the sender
            now=now,
            release=release,
        )
    except DomainError as exc:
        return HandlerReply(text=str(exc.message), result={"draw_entry": None, "error": exc.code})
    return HandlerReply(
        text=_entered_text(entry, office),
        result={"draw_entry": entry.reference},
        about=About(services.ABOUT_DRAW_ENTRY, entry.pk),
    )


def _confirm(command: Command, office: Office, message: Inbound, now):
    entry = services.draw_entry_for_phone(
        office=office, phone=message.sender, code=command.raw_code
    )
    if entry is None:
        return None  # perhaps a hold's code: the conversation's own YA handles it
    about = About(services.ABOUT_DRAW_ENTRY, entry.pk)
    try:
        entry = services.draw_entry_confirm(
            office=office, phone=message.sender, code=command.raw_code, now=now
        )
    except DomainError as exc:
        return HandlerReply(
            text=str(exc.message),
            result={"draw_entry": entry.reference, "error": exc.code},
            about=about,
        )
    if entry.status == EntryStatus.INVALID:
        return HandlerReply(
            text=entry.invalid_reason,
            result={"draw_entry": entry.reference, "error": "invalid"},
            about=about,
        )
    return HandlerReply(
        text=_entered_text(entry, office),
        result={"draw_entry": entry.reference, "confirmed": True},
        about=about,
    )


def help_lines(office: Office, now: dt.datetime) -> list[str]:
    """What HELP/INFO adds at an office in draw mode: that a request enters a draw (the
    same lines, up to three days), when entries close in the office's zone, and where
    the draw's page is. Empty at a first-come office."""
    found = services.draw_to_enter(office=office, now=now)
    if found is None:
        return []
    days = {
        "first": notices.day_text(found.first_day),
        "last": notices.day_text(found.last_day),
        "opens": services._when(found.opens_at, office),
        "closes": services._when(found.closes_at, office),
    }
    lines = [
        _("%(office)s gives its places by a draw, not to the fastest.") % {"office": office.name},
        # Translators: keep the # and DDMMYYYY as they are.
        _(
            "The same lines enter the draw; give up to three days in order of preference: "
            "#NAME#DDMMYYYY#DDMMYYYY,DDMMYYYY,DDMMYYYY#. A request is an entry, not yet a "
            "booking."
        ),
    ]
    if found.opens_at <= now:
        lines.append(
            _(
                "Entries for %(first)s to %(last)s are open until %(closes)s, when the draw "
                "is made; entering early or late makes no difference."
            )
            % days
        )
    else:
        lines.append(
            _(
                "Entries for %(first)s to %(last)s open on %(opens)s and close on "
                "%(closes)s, when the draw is made; entering early or late makes no "
                "difference."
            )
            % days
        )
    if found.url:
        lines.append(_("The draw and its result: %(url)s") % {"url": found.url})
    return lines


def _help(office: Office, now: dt.datetime) -> HandlerReply | None:
    lines = help_lines(office, now)
    if not lines:
        return None  # first come: the conversation's own help
    return HandlerReply(
        text="\n".join(lines) + "\n\n" + help_text(office, now),
        result={"help": True, "draw": True},
    )


def reply(
    *, command: Command, office: Office, message: Inbound, language: str, now: dt.datetime
) -> HandlerReply | None:
    """The draw's answer to the message, or None when it is not about a draw."""
    if command.action in ("help", "unknown"):  # both answered with the help
        return _help(office, now)
    if command.action == "book":
        return _book(command, office, message, language, now)
    if command.action == "confirm" and command.raw_code:
        return _confirm(command, office, message, now)
    return None
