from celery import shared_task

from complaints.services import (
    complaint_contact_purge,
    complaints_autoclose,
    complaints_notify_overdue,
)


@shared_task
def daily() -> dict:
    """The complaints' daily round (beat, 08:00 WIB)."""
    return {
        "overdue_notices": complaints_notify_overdue(),
        "closed": complaints_autoclose(),
        "contacts_erased": complaint_contact_purge(),
    }
