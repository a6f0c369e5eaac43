from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    name = "offices"
    verbose_name = _("Offices")

    def ready(self):
        # Registers the API key's OpenAPI security scheme with drf-spectacular.
        from offices import schema  # noqa: F401
