"""System checks: a misspelt WHATSAPP_BACKEND should stop a deploy, not the first send."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from notifications.backends.base import BaseBackend


@checks.register(checks.Tags.compatibility)
def check_whatsapp_backend(app_configs, **kwargs):
    path = settings.WHATSAPP_BACKEND
    try:
        backend = import_string(path)
    except ImportError as exc:
        return [
            checks.Error(
                f"WHATSAPP_BACKEND {path!r} cannot be imported: {exc}",
                id="notifications.E001",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, BaseBackend)):
        return [
            checks.Error(
                f"WHATSAPP_BACKEND {path!r} is not a notifications BaseBackend subclass.",
                id="notifications.E002",
            )
        ]
    return []
