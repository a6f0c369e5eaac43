from celery import shared_task

from bookings.services import bookings_expire_no_shows, bookings_send_reminders


@shared_task
def expire_no_shows() -> int:
    """Forfeit bookings nobody checked in 30 minutes after their slot (beat, every minute)."""
    return bookings_expire_no_shows()


@shared_task
def send_reminders() -> int:
    """Queue day-before reminders that are due (beat, every 15 minutes)."""
    return bookings_send_reminders()
