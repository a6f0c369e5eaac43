from celery import shared_task

from notifications.services import outbox_requeue, outbox_send


@shared_task
def send_outbound_message(message_id: int) -> str:
    """Send one outbox row (by id; the row's state decides whether anything happens)."""
    return outbox_send(message_id=message_id)


@shared_task
def send_outbound_messages(message_ids: list[int]) -> dict[str, int]:
    """Send a chunk of outbox rows, one after another (each claimed on its own, so a
    chunk delivered twice sends each row once). Returns a count per outcome."""
    outcomes: dict[str, int] = {}
    for message_id in message_ids:
        outcome = outbox_send(message_id=message_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task
def requeue_outbox() -> int:
    """Dispatch what is due or stuck (beat, every minute)."""
    return outbox_requeue()
