from django.apps import AppConfig


class StatusPageConfig(AppConfig):
    name = "livret.statuspage"
    verbose_name = "Page de statut et abonnements"

    def ready(self) -> None:
        from livret.statuspage.jobs import register_jobs

        register_jobs()
