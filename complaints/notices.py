"""WhatsApp notices of a complaint, to the reporter (only if they gave a phone number)
and to the supervisors who must act."""

from django.utils import translation
from django.utils.translation import gettext as _

from complaints.models import Complaint
from notifications.services import outbox_enqueue


def notify_reporter(complaint: Complaint, text: str, kind: str) -> None:
    if not complaint.reporter_phone:
        return
    outbox_enqueue(
        to=complaint.reporter_phone,
        text=text,
        kind=kind,
        sender=complaint.office.whatsapp_number,
        phone_number_id=complaint.office.whatsapp_phone_number_id or "",
        template_name=f"antrean_{kind}",
        template_params=[complaint.tracking_code, complaint.get_status_display()],
        subject=f"complaint:{complaint.tracking_code}",
        about=complaint.about,
    )


def notify_received(complaint: Complaint) -> None:
    with translation.override("id"):
        text = _(
            "Your report has been received. Tracking code: %(code)s. Use it to follow the "
            "case and to add information."
        ) % {"code": complaint.tracking_code}
    notify_reporter(complaint, text, "complaint_received")


def notify_status(complaint: Complaint, public_note: str) -> None:
    with translation.override("id"):
        text = _("Report %(code)s: %(status)s.") % {
            "code": complaint.tracking_code,
            "status": complaint.get_status_display().lower(),
        }
        if public_note:
            text += "\n" + public_note
    notify_reporter(complaint, text, "complaint_status")


def notify_overdue(*, phone: str, office_name: str, count: int, day):
    """Returns the queued message, or None if this officer was told today already."""
    with translation.override("id"):
        text = _("%(office)s: %(count)d complaint(s) are past their SP4N-LAPOR! deadline.") % {
            "office": office_name,
            "count": count,
        }
    return outbox_enqueue(
        to=phone,
        text=text,
        kind="complaints_overdue",
        template_name="antrean_complaints_overdue",
        template_params=[office_name, str(count)],
        subject="complaints:overdue",
        dedupe_key=f"complaints-overdue:{phone}:{office_name[:40]}:{day.isoformat()}",
    )
