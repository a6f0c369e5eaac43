"""The WhatsApp entry point (WHATSAPP_INBOUND_HANDLER): `LAPOR ...` files a complaint;
everything else is the booking conversation.

It sits in `complaints` because complaints may use bookings but not the reverse.
"""

import datetime as dt

from django.utils.translation import gettext as _

from bookings.conversation.handler import find_office
from bookings.conversation.handler import handle_message as booking_conversation
from complaints.models import Category
from complaints.services import complaint_submit
from immigration.errors import DomainError
from notifications.inbound import HandlerReply, Inbound

KEYWORDS = {"LAPOR", "ADUAN", "REPORT"}
SUPERVISOR_WORDS = {"KEPALA", "SUPERVISOR", "ATASAN"}
CATEGORY_WORDS = {
    "PUNGLI": Category.PUNGLI,
    "CALO": Category.CALO,
    "LAYANAN": Category.SERVICE,
    "SERVICE": Category.SERVICE,
}


def parse_report(text: str) -> tuple[str, str, bool] | None:
    """(category, description, about a supervisor) for
    `LAPOR [KEPALA] [PUNGLI|CALO|LAYANAN] what happened`, else None. KEPALA sends the
    report to the inspectors only (it names the head of the office or a supervisor)."""
    words = (text or "").strip().split()
    if not words or words[0].upper().strip(":") not in KEYWORDS:
        return None
    rest = words[1:]
    about_supervisor = bool(rest) and rest[0].upper().strip(":") in SUPERVISOR_WORDS
    if about_supervisor:
        rest = rest[1:]
    category = Category.OTHER
    if rest and rest[0].upper().strip(":") in CATEGORY_WORDS:
        category = CATEGORY_WORDS[rest[0].upper().strip(":")]
        rest = rest[1:]
    return category, " ".join(rest).strip(), about_supervisor


# What the inbound log keeps of a report: the word, and the tracking code if one was
# given. Its text lives only on the complaint, behind complaints/scoping.py.
REPORT_LOGGED = "report"


def handle_message(*, message: Inbound, language: str | None, now: dt.datetime) -> HandlerReply:
    """`language`: the sender's remembered language, None for a number new to us."""
    report = parse_report(message.text)
    if report is None:
        return booking_conversation(message=message, language=language, now=now)
    reply = _report(report, message, language, now)
    if reply.logged_text is None:
        reply.logged_text = REPORT_LOGGED
    return reply


def _report(
    report: tuple[str, str, bool], message: Inbound, language: str | None, now: dt.datetime
) -> HandlerReply:
    office = find_office(message)
    if office is None:
        return booking_conversation(message=message, language=language, now=now)
    category, description, about_supervisor = report
    reply = HandlerReply(
        office_code=office.code,
        sender_number=office.whatsapp_number,
        phone_number_id=office.whatsapp_phone_number_id or "",
        language=language,
    )
    if not description:
        reply.text = _(
            "To report, write LAPOR, then PUNGLI, CALO or LAYANAN, then what happened, "
            "when and where. Example: LAPOR PUNGLI asked to pay Rp500.000 at counter 3 on 8 August."
        )
        reply.result = {"complaint": None}
        return reply
    try:
        complaint = complaint_submit(
            office=office,
            category=category,
            description=description,
            reporter_phone=f"+{message.sender}",
            about_supervisor=about_supervisor,
            channel="whatsapp",
            notify=False,
            now=now,
        )
    except DomainError as exc:
        # Say what is wrong, not only that something is: the fields' own messages.
        reasons = [str(error) for errors in exc.fields.values() for error in errors]
        reply.text = (
            _("The report could not be filed: %(reasons)s") % {"reasons": " ".join(reasons)}
            if reasons
            else str(exc.message)
        )
        reply.result = {"complaint": None, "error": exc.code}
        return reply
    reply.text = _(
        "Report received, tracking code %(code)s. Your number is seen only by the officers "
        "handling the report. Send LAPOR again to report something else."
    ) % {"code": complaint.tracking_code}
    reply.result = {"complaint": complaint.tracking_code}
    reply.about = complaint.about
    reply.logged_text = f"{REPORT_LOGGED} {complaint.tracking_code}"
    return reply
