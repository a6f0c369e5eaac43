from celery import shared_task

from offices.services import slots_release_due


@shared_task
def release_due_slots() -> int:
    """Create the slot rows of newly released days (beat, every 10 minutes)."""
    return slots_release_due()
