from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "livret.ops"
    verbose_name = "Exploitation"
