from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "livret.support"
    verbose_name = "Support"
