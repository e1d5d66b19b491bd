from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "livret.monitoring"
    verbose_name = "Télésurveillance (PreventCare)"
