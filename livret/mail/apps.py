from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "livret.mail"
    verbose_name = "Courriels sortants"

    def ready(self) -> None:
        # The outbox sender runs in every `livret worker` (livret.mail.jobs).
        from livret.mail.jobs import JOBS as MAIL_JOBS
        from livret.ops.worker import JOBS

        known = {job.name for job in JOBS}
        JOBS.extend(job for job in MAIL_JOBS if job.name not in known)
