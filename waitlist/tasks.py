"""The waiting list's Celery tasks: the offer of freed places (after a booking freed
them) and the sweep (beat, every minute)."""

import datetime as dt

from celery import shared_task

from waitlist.services import places_freed_by_id, waitlist_sweep


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def places_freed(office_id: int, day: str) -> None:
    """Offer a day's free places to its waiting list. Idempotent: a retry or a
    duplicate offers only what is still free."""
    places_freed_by_id(office_id=office_id, day=dt.date.fromisoformat(day))


@shared_task
def sweep() -> int:
    """Lapsed offers passed on, unused priority places released, every waiting day
    offered its room (beat, every minute)."""
    return waitlist_sweep()


def enqueue_places_freed(*, office_id: int, day: dt.date) -> None:
    """PLACES_FREED_HANDLER: called after the freeing transaction commits."""
    places_freed.delay(office_id, day.isoformat())
