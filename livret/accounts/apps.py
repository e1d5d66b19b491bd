from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "livret.accounts"
    verbose_name = "Comptes"
