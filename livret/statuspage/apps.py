from django.apps import AppConfig


class StatusPageConfig(AppConfig):
    name = "livret.statuspage"
    verbose_name = "Page de statut et abonnements"

    def ready(self) -> None:
        from livret.statuspage.cache import connect_signals

        connect_signals()  # admin edits that write no status event still refresh the pages
