from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "livret.offers"
    verbose_name = "Offres (livrets)"
