from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "livret.support"
    verbose_name = "Support"

    def ready(self) -> None:
        # The SLA alert scan: 75 % warnings and breaches, once each (livret.support.jobs).
        from livret.ops.worker import JOBS, Job
        from livret.support.jobs import run_scan

        if not any(job.name == "sla-alerts" for job in JOBS):
            JOBS.append(Job("sla-alerts", 30, run_scan))
