from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "livret.accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        """Connect the login throttle's signal receivers."""
        from livret.accounts import signals  # noqa: F401
