from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "livret.support"
    verbose_name = "Support"

    def ready(self) -> None:
        # The outbox sender runs in every `livret worker` (livret.support.mailer).
        from livret.ops.worker import JOBS, Job
        from livret.support.mailer import run_outbox

        if not any(job.name == "mail" for job in JOBS):
            JOBS.append(Job("mail", 5, run_outbox))
        # The SLA alert scan: 75 % warnings and breaches, once each (livret.support.jobs).
        from livret.support.jobs import run_scan

        if not any(job.name == "sla-alerts" for job in JOBS):
            JOBS.append(Job("sla-alerts", 30, run_scan))
