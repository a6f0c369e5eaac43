from celery import shared_task

from release.services import (
    draw_entries_erase_personal_data,
    draws_commit_upcoming,
    draws_run_due,
)


@shared_task
def commit_draws() -> int:
    """Publish the commitments of draws whose windows open soon (beat, every 10 minutes)."""
    return draws_commit_upcoming()


@shared_task
def run_due_draws() -> int:
    """Run the draws whose windows have closed (beat, every minute); a run that crashed
    half-way is finished here."""
    return draws_run_due()


@shared_task
def erase_old_draw_entries() -> int:
    """Erase the personal data of old draw requests (beat, nightly)."""
    return draw_entries_erase_personal_data()
