import logging

from celery import shared_task

from bookings.retention import bookings_erase_personal_data
from bookings.services import (
    bookings_expire_no_shows,
    bookings_send_reminders,
    holds_release_expired,
)

logger = logging.getLogger(__name__)

# The first run after a deployment may meet years of history; batches commit one by
# one, so a run cut short resumes where it stopped the next night.
ERASURE_SOFT_TIME_LIMIT = 1800


@shared_task
def expire_no_shows() -> int:
    """Forfeit bookings nobody checked in 30 minutes after their slot (beat, every minute)."""
    return bookings_expire_no_shows()


@shared_task
def release_expired_holds() -> int:
    """Release holds not confirmed in time (beat, every minute). Only tidies up: a
    lapsed hold already counts nowhere."""
    return holds_release_expired()


@shared_task
def send_reminders() -> int:
    """Queue day-before reminders that are due (beat, every 15 minutes)."""
    return bookings_send_reminders()


@shared_task(soft_time_limit=ERASURE_SOFT_TIME_LIMIT, time_limit=ERASURE_SOFT_TIME_LIMIT + 60)
def erase_personal_data() -> int:
    """Erase applicants' personal data past BOOKING_RETENTION_DAYS (beat, nightly)."""
    erased = bookings_erase_personal_data()
    logger.info("retention: %d booking(s) erased", erased)
    return erased
