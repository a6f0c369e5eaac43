from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleaseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "release"
    verbose_name = _("Release of days (draw)")
