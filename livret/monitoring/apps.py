from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "livret.monitoring"
    verbose_name = "Télésurveillance (PreventCare)"

    def ready(self) -> None:
        from livret.monitoring.jobs import register_jobs

        register_jobs()
