from django.apps import AppConfig


class ImmigrationConfig(AppConfig):
    name = "immigration"
    verbose_name = "Antrean"
