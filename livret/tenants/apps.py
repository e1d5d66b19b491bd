from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "livret.tenants"
    verbose_name = "Clients et contrats"
