import logging

from celery import shared_task

from notifications.inbound import inbox_drain, inbox_process, inbox_requeue
from notifications.retention import messages_erase_old
from notifications.services import (
    outbox_drain,
    outbox_drain_task,
    outbox_requeue,
    outbox_wake_due,
)

logger = logging.getLogger(__name__)
ERASURE_SOFT_TIME_LIMIT = 1800


@shared_task
def drain_outbox(gather: float = 0.0) -> dict[str, int]:
    """Send every due outbox row, batch after batch (one task per burst of notices,
    woken after commit: notifications/services.py, `_wake_sender`; each row's state
    decides whether anything happens, so two drains at once, or a drain delivered
    twice, send each row once). `gather`: seconds to wait first, so that a burst's
    notices go in one claim. Returns a count per outcome."""
    return outbox_drain_task(gather=gather)


@shared_task
def send_outbound_message(message_id: int) -> dict[str, int]:
    """Send one outbox row (by id), then whatever else is due: what the outbox
    published per notice before `drain_outbox` (tasks of that shape may still be
    queued at an upgrade). Returns a count per outcome."""
    return outbox_drain(first=[message_id])


@shared_task
def send_outbound_messages(message_ids: list[int]) -> dict[str, int]:
    """Send a chunk of outbox rows (claimed as one batch, so a chunk delivered twice
    sends each row once), then whatever else is due; no ids: only the latter. Returns
    a count per outcome."""
    return outbox_drain(first=message_ids)


@shared_task
def requeue_outbox() -> int:
    """Dispatch what is due or stuck (beat, every minute)."""
    return outbox_requeue()


@shared_task
def wake_outbox_due() -> bool:
    """Wake a sender for rows a limit held back, once one is due (beat, every
    OUTBOX_WAKE_DUE_SECONDS)."""
    return outbox_wake_due()


@shared_task
def drain_inbox() -> dict[str, int]:
    """Process the webhook's stored messages, oldest first, chunk after chunk, and send
    their replies (one task per burst of deliveries, notifications/inbound.py; each
    row's state decides whether anything happens, so two drains at once, or a drain
    delivered twice, answer each message once)."""
    return inbox_drain()


@shared_task
def process_inbound(ids: list[int]) -> dict[str, int]:
    """Process stored messages by inbox row id: what the webhook published before the
    drain task (tasks of that shape may still be queued at an upgrade)."""
    return inbox_process(ids)


@shared_task
def requeue_inbox() -> int:
    """Dispatch inbound messages no task took (beat, every minute)."""
    return inbox_requeue()


@shared_task(soft_time_limit=ERASURE_SOFT_TIME_LIMIT, time_limit=ERASURE_SOFT_TIME_LIMIT + 60)
def erase_old_messages() -> dict:
    """Erase WhatsApp traffic past MESSAGE_RETENTION_DAYS (beat, nightly). Batches
    commit one by one: a run cut short resumes the next night."""
    counts = messages_erase_old()
    logger.info(
        "retention: %d outbound message(s) erased, %d inbound and %d contact(s) deleted",
        counts["outbound_erased"],
        counts["inbound_deleted"],
        counts["contacts_deleted"],
    )
    return counts
