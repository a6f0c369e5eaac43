"""Reporting a complaint, adding to it, and the supervisors' workflow.

Deadlines follow SP4N-LAPOR!: triage within 3 working days of receipt, a conclusion
within 5 working days of triage, and a concluded case closes itself 10 working days
later unless the reporter adds something. `complaint_transition` is the only way a
case moves; it checks TRANSITIONS, locks the row and records the event.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bookings import codes
from bookings.applicant import normalise_phone
from complaints import notices
from complaints.evidence import MAX_BYTES, MAX_FILES, clean_upload, discard, store
from complaints.models import (
    ABOUT_COMPLAINT,
    Category,
    Complaint,
    ComplaintEvent,
    ComplaintStatus,
    ContactAccess,
    Evidence,
)
from complaints.scoping import complaints_for_user, is_inspector
from complaints.working_days import add_working_days, working_days_between
from immigration.errors import ConflictError, DomainError, NotFoundError
from immigration.locks import bound_lock_waits
from notifications.models import OutboundMessage
from notifications.retention import outbox_erasable, outbox_erase
from offices import schedule
from offices.models import Office, OfficerProfile

S = ComplaintStatus

TRANSITIONS: dict[str, set[str]] = {
    S.RECEIVED: {S.TRIAGED},
    S.TRIAGED: {S.INVESTIGATING},
    S.INVESTIGATING: {S.SUBSTANTIATED, S.UNSUBSTANTIATED},
    S.SUBSTANTIATED: {S.CLOSED},
    S.UNSUBSTANTIATED: {S.CLOSED},
    S.CLOSED: {S.INVESTIGATING},  # reopened, by an inspector only
}

TRIAGE_WORKING_DAYS = 3
FOLLOW_UP_WORKING_DAYS = 5
AUTO_CLOSE_WORKING_DAYS = 10
DESCRIPTION_MAX = 5000
# A report is about something the office can still look into; a date further back is
# a slip of the keyboard (0001-01-01), not an event.
OCCURRED_MAX_YEARS_AGO = 10


class _System:
    """The system as the actor of a transition (the daily job closing a quiet case):
    no user, no office scope; it may only close a case whose time has come
    (`autoclose_refusal`)."""

    pk = None
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    content_type: str = ""


def uploads_from(files) -> list[Upload]:
    """Read uploaded files, refusing an oversized one by its size before reading it
    into memory."""
    uploads = []
    for upload in files or []:
        if upload.size > MAX_BYTES:
            raise DomainError(
                code="invalid_evidence",
                message=_("A file may be at most 10 MB."),
                fields={"evidence": [_("A file may be at most 10 MB.")]},
            )
        uploads.append(
            Upload(upload.name, upload.read(), getattr(upload, "content_type", "") or "")
        )
    return uploads


def _store_evidence(complaint: Complaint, uploads: list[Upload]) -> None:
    """Check every file first (nothing is stored if one is refused), then store them.
    Files written before a later failure are removed again."""
    if len(uploads) + complaint.evidence.count() > MAX_FILES:
        raise DomainError(
            code="too_many_files",
            message=_("At most %(max)d files per report.") % {"max": MAX_FILES},
            fields={"evidence": [_("Too many files.")]},
        )
    cleaned = [clean_upload(u.name, u.data, u.content_type) for u in uploads]
    stored: list[str] = []
    try:
        for clean in cleaned:
            name = store(clean)
            stored.append(name)
            Evidence.objects.create(
                complaint=complaint,
                file_name=name,
                original_name=clean.original_name[:100],
                content_type=clean.content_type,
                size=len(clean.content),
                sha256=clean.sha256,
            )
    except Exception:
        for name in stored:
            discard(name)
        raise


def _new_tracking_code() -> str:
    while True:
        code = codes.new_code()
        if not Complaint.objects.filter(tracking_code=code).exists():
            return code


@transaction.atomic
def complaint_submit(
    *,
    office: Office,
    category: str,
    description: str,
    occurred_on: dt.date | None = None,
    occurred_where: str = "",
    person_involved: str = "",
    about_supervisor: bool = False,
    booking_code: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    uploads: list[Upload] = (),
    channel: str = "web",
    notify: bool = True,
    now: dt.datetime | None = None,
) -> Complaint:
    """File a report. Anonymous unless contact details are given. Everything is checked
    before anything is stored; a refusal changes nothing. `notify=False` when the
    caller answers with the tracking code itself (WhatsApp)."""
    now = now or timezone.now()
    today = schedule.local_today(office, now)
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not any(ch.isalnum() for ch in description):
        # Nothing but spaces, symbols or emoji says nothing that could be looked into.
        errors["description"] = [_("Say what happened.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(max)d characters.") % {"max": DESCRIPTION_MAX}]
    if category not in Category.values:
        errors["category"] = [_("Choose a category.")]
    if occurred_on and occurred_on > today:
        errors["occurred_on"] = [_("This date is in the future.")]
    elif occurred_on and occurred_on.year < today.year - OCCURRED_MAX_YEARS_AGO:
        errors["occurred_on"] = [
            _("Reports are about the last %(years)d years.") % {"years": OCCURRED_MAX_YEARS_AGO}
        ]
    canonical_booking = ""
    if booking_code:
        canonical_booking = codes.canonical(booking_code) or ""
        if not canonical_booking:
            errors["booking_code"] = [_("This is not a booking code.")]
    if reporter_phone:
        try:
            reporter_phone = normalise_phone(reporter_phone)
        except DomainError as exc:
            errors["reporter_phone"] = exc.fields.get("phone", [str(exc.message)])
    if errors:
        raise DomainError(code="invalid", message=_("Some fields are invalid."), fields=errors)

    complaint = Complaint.objects.create(
        tracking_code=_new_tracking_code(),
        office=office,
        category=category,
        description=description,
        occurred_on=occurred_on,
        occurred_where=occurred_where.strip()[:200],
        person_involved=person_involved.strip()[:200],
        about_supervisor=about_supervisor,
        booking_code=canonical_booking,
        channel=channel,
        reporter_name=reporter_name.strip()[:100],
        reporter_phone=reporter_phone,
        reporter_email=reporter_email.strip()[:254],
        received_at=now,
        triage_due=add_working_days(today, TRIAGE_WORKING_DAYS),
    )
    _store_evidence(complaint, list(uploads))
    ComplaintEvent.objects.create(
        complaint=complaint, to_status=S.RECEIVED, public_note=gettext_noop("Report received.")
    )
    if notify:
        notices.notify_received(complaint)
    return complaint


def complaint_for_reporter(*, tracking_code: str) -> Complaint:
    canonical = codes.canonical(tracking_code)
    complaint = (
        Complaint.objects.select_related("office").filter(tracking_code=canonical).first()
        if canonical
        else None
    )
    if complaint is None:
        raise NotFoundError(
            code="complaint_not_found", message=_("No report has this tracking code.")
        )
    return complaint


@transaction.atomic
def complaint_add_information(
    *, complaint: Complaint, text: str, uploads: list[Upload] = ()
) -> ComplaintEvent:
    """The reporter adds to their case; it also stops a concluded case from closing
    itself (the reporter answered)."""
    bound_lock_waits()
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    text = (text or "").strip()
    if not text and not uploads:
        raise DomainError(
            code="invalid", message=_("Add a text or a file."), fields={"text": [_("Required.")]}
        )
    if len(text) > DESCRIPTION_MAX:
        raise DomainError(
            code="invalid", message=_("Some fields are invalid."), fields={"text": [_("Too long.")]}
        )
    _store_evidence(complaint, list(uploads))
    return ComplaintEvent.objects.create(complaint=complaint, by_reporter=True, internal_note=text)


@transaction.atomic
def complaint_transition(
    *,
    complaint: Complaint,
    to: str,
    actor,
    internal_note: str = "",
    public_note: str = "",
    now: dt.datetime | None = None,
) -> Complaint:
    """Move a case. The actor must handle it (their office, or an inspector); only an
    inspector reopens a closed case. The actor `SYSTEM` (the daily job) may only close
    a concluded case that `autoclose_refusal` lets close, checked under the lock.
    Locks the complaint row."""
    now = now or timezone.now()
    if actor is not SYSTEM and not complaints_for_user(actor).filter(pk=complaint.pk).exists():
        raise NotFoundError(
            code="complaint_not_found", message=_("No report has this tracking code.")
        )
    bound_lock_waits()
    complaint = Complaint.objects.select_for_update().select_related("office").get(pk=complaint.pk)
    if actor is SYSTEM:
        # Checked under the lock: the reporter's additions also lock the row.
        refusal = autoclose_refusal(complaint, now=now) if to == S.CLOSED else _system_only_closes()
        if refusal is not None:
            raise refusal
    if to not in TRANSITIONS.get(complaint.status, set()):
        raise ConflictError(
            code="invalid_transition",
            message=_("A report that is %(status)s cannot become %(to)s.")
            % {"status": complaint.get_status_display().lower(), "to": S(to).label.lower()},
        )
    if complaint.status == S.CLOSED and not is_inspector(actor):
        raise ConflictError(
            code="inspector_only", message=_("Only an inspector can reopen a closed report.")
        )
    today = schedule.local_today(complaint.office, now)
    from_status = complaint.status
    complaint.status = to
    if to == S.TRIAGED:
        complaint.triaged_at = now
        complaint.follow_up_due = add_working_days(today, FOLLOW_UP_WORKING_DAYS)
        complaint.assigned_to = complaint.assigned_to or actor
    elif to in (S.SUBSTANTIATED, S.UNSUBSTANTIATED):
        complaint.concluded_at = now
    elif to == S.CLOSED:
        complaint.closed_at = now
    elif from_status == S.CLOSED:
        complaint.closed_at = None
        complaint.concluded_at = None
        complaint.follow_up_due = add_working_days(today, FOLLOW_UP_WORKING_DAYS)
        complaint.assigned_to = actor
    complaint.save()
    ComplaintEvent.objects.create(
        complaint=complaint,
        from_status=from_status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        internal_note=internal_note.strip(),
        public_note=public_note.strip(),
    )
    # The reporter's notice of an automatic closing carries no note, as before: the
    # event's note is a fixed text kept for the history.
    notices.notify_status(complaint, "" if actor is SYSTEM else public_note.strip())
    return complaint


def _system_only_closes() -> ConflictError:
    return ConflictError(
        code="invalid_transition", message=_("The system only closes concluded reports.")
    )


def autoclose_refusal(complaint: Complaint, *, now: dt.datetime) -> ConflictError | None:
    """Why `complaint` may not close itself now, or None: a concluded case closes
    itself AUTO_CLOSE_WORKING_DAYS working days after its conclusion unless the
    reporter has added something since. The one statement of the rule: the daily job
    selects with it and `complaint_transition` checks it again under the row lock."""
    if complaint.status not in (S.SUBSTANTIATED, S.UNSUBSTANTIATED):
        return _system_only_closes()
    concluded = timezone.localdate(complaint.concluded_at)
    if working_days_between(concluded, timezone.localdate(now)) < AUTO_CLOSE_WORKING_DAYS:
        return ConflictError(
            code="autoclose_not_due", message=_("This report is not due to close yet.")
        )
    if complaint.events.filter(by_reporter=True, created_at__gt=complaint.concluded_at).exists():
        return ConflictError(
            code="reporter_answered",
            message=_("The reporter added information after the conclusion."),
        )
    return None


def complaint_contact_shown(*, complaint: Complaint, user, where: str) -> ContactAccess | None:
    """Record that `user` was shown the reporter's contact details of `complaint` on
    the screen `where` ("admin"): every showing leaves exactly one audit row, written
    here and nowhere else. Nothing is recorded for an anonymous report (there was
    nothing to see). The caller calls it once the page with the details was drawn;
    takes no lock."""
    if not complaint.has_contact:
        return None
    return ContactAccess.objects.create(
        complaint=complaint, user=user if getattr(user, "pk", None) else None, where=where
    )


def overdue_condition(*, now: dt.datetime | None = None) -> Q:
    """Past the SP4N-LAPOR! deadline: not triaged in 3 working days, or not concluded
    within 5 working days of triage. One rule for filters and annotations alike."""
    today = timezone.localdate(now or timezone.now())
    return Q(status=S.RECEIVED, triage_due__lt=today) | Q(
        status__in=[S.TRIAGED, S.INVESTIGATING], follow_up_due__lt=today
    )


def overdue_complaints(*, now: dt.datetime | None = None):
    return Complaint.objects.filter(overdue_condition(now=now))


def complaints_notify_overdue(*, now: dt.datetime | None = None) -> int:
    """The daily job: tell each office's supervisors (and the inspectors of cases
    naming a supervisor) how many cases are overdue. Returns notices queued.

    Each notice commits on its own (durable: refused inside a caller's transaction,
    RuntimeError), so a job cut short keeps what it queued, and a second run the same
    day (the rest of a cut-short run, or beat firing twice) queues only what is missing:
    the outbox's dedupe key (officer, office, day) never lets a notice go out twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued = 0
    with transaction.atomic(durable=True):
        overdue = list(overdue_complaints(now=now).select_related("office"))
        handlers = list(
            OfficerProfile.objects.exclude(whatsapp_number="").select_related("user", "office")
        )
    by_office: dict[Office, int] = {}
    about_supervisors: dict[Office, int] = {}
    for complaint in overdue:
        target = about_supervisors if complaint.about_supervisor else by_office
        target[complaint.office] = target.get(complaint.office, 0) + 1
    for profile in handlers:
        user = profile.user
        if not user.is_active or not user.has_perm("complaints.change_complaint"):
            continue
        counts = (
            {**by_office, **{o: by_office.get(o, 0) + n for o, n in about_supervisors.items()}}
            if profile.is_headquarters
            else {profile.office: by_office.get(profile.office, 0)}
        )
        for office, count in counts.items():
            if count:
                with transaction.atomic(durable=True):
                    if notices.notify_overdue(
                        phone=profile.whatsapp_number,
                        office_name=office.name,
                        count=count,
                        day=today,
                    ):
                        queued += 1
    return queued


def complaints_autoclose(*, now: dt.datetime | None = None) -> int:
    """Close concluded cases 10 working days after the conclusion when the reporter
    has not answered since (`autoclose_refusal`), each through `complaint_transition`
    as SYSTEM: a history row and the reporter's notice, like any other move. Returns
    cases closed.

    Each case commits on its own (durable: refused inside a caller's transaction,
    RuntimeError). Resumable and idempotent: a case closed by a run cut short is no
    longer concluded, so the next run neither closes it again nor sends its notice
    twice; the rule is checked again under the row lock."""
    now = now or timezone.now()
    closed = 0
    with transaction.atomic(durable=True):
        candidates = [
            complaint
            for complaint in Complaint.objects.filter(
                status__in=[S.SUBSTANTIATED, S.UNSUBSTANTIATED]
            ).order_by("pk")
            if autoclose_refusal(complaint, now=now) is None
        ]
    for complaint in candidates:
        try:
            with transaction.atomic(durable=True):
                complaint_transition(
                    complaint=complaint,
                    to=S.CLOSED,
                    actor=SYSTEM,
                    public_note=gettext_noop(
                        "Closed: no answer from the reporter within 10 working days."
                    ),
                    now=now,
                )
        except ConflictError:
            continue  # changed since it was selected (answered, reopened, closed)
        closed += 1
    return closed


def complaints_due_for_contact_purge(*, now: dt.datetime | None = None):
    """Cases closed longer than COMPLAINT_CONTACT_RETENTION_DAYS whose reporter's
    contact details are still kept. A reopened case is not closed, so it keeps them."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.COMPLAINT_CONTACT_RETENTION_DAYS)
    return Complaint.objects.filter(
        status=S.CLOSED, closed_at__lt=cutoff, contact_purged_at__isnull=True
    )


def complaint_contact_purge(*, now: dt.datetime | None = None) -> int:
    """Erase reporters' name, phone and e-mail address of cases closed longer than the
    retention period. Returns how many cases lost them. The case itself (what happened,
    its history, its evidence) stays: it is the record of the investigation."""
    now = now or timezone.now()
    return complaints_due_for_contact_purge(now=now).update(
        reporter_name="", reporter_phone="", reporter_email="", contact_purged_at=now
    )


def _purged_reporters_messages():
    purged = Complaint.objects.filter(contact_purged_at__isnull=False).values("pk")
    return OutboundMessage.objects.filter(about_kind=ABOUT_COMPLAINT, about_id__in=purged)


def complaint_messages_due_for_erasure():
    """Messages to reporters whose contact details were purged, not yet erased."""
    return outbox_erasable(_purged_reporters_messages())


def complaint_messages_erase(*, now: dt.datetime | None = None) -> int:
    """Erase the number (and text) of the messages sent to reporters whose contact
    details were purged, which may be younger than MESSAGE_RETENTION_DAYS. A message
    still queued or sending is left for a later run, which finds it again: the purge
    is not undone by it. Returns how many messages were erased."""
    return outbox_erase(_purged_reporters_messages(), now=now or timezone.now())
