from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "livret.mail"
    verbose_name = "Courriels sortants"
