from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "livret.status"
    verbose_name = "Disponibilité et maintenance"

    def ready(self) -> None:
        from livret.status.jobs import register_jobs

        register_jobs()
