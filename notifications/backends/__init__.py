"""WhatsApp sender backends, chosen by the dotted path in `WHATSAPP_BACKEND`.

Like Django's EMAIL_BACKEND: `console` prints (for `make run`), `locmem` collects in a
list (for tests), `cloud` (the WhatsApp Cloud API) arrives with the WhatsApp issue.
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.backends.base import BaseBackend, OutgoingMessage, SendResult

__all__ = ("BaseBackend", "OutgoingMessage", "SendResult", "get_backend")


@cache
def _load(path: str) -> type[BaseBackend]:
    return import_string(path)


def get_backend() -> BaseBackend:
    """A fresh backend instance of the configured class (cheap; classes are cached)."""
    return _load(settings.WHATSAPP_BACKEND)()
