from celery import shared_task

from notifications.services import outbox_requeue, outbox_send


@shared_task
def send_outbound_message(message_id: int) -> str:
    """Send one outbox row (by id; the row's state decides whether anything happens)."""
    return outbox_send(message_id=message_id)


@shared_task
def requeue_outbox() -> int:
    """Dispatch what is due or stuck (beat, every minute)."""
    return outbox_requeue()
