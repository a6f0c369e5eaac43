from celery import shared_task

from complaints.services import (
    complaint_contact_purge,
    complaint_messages_erase,
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
        # After the purge, so today's purged reporters lose their messages today.
        "contact_messages_erased": complaint_messages_erase(),
    }
