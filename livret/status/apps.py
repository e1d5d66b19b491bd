from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "livret.status"
    verbose_name = "Disponibilité et maintenance"
