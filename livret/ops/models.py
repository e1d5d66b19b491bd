"""What operators watch: which worker processes are alive."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched at every loop (shown by /healthz and the admin)."""

    name = models.CharField("processus", max_length=200, unique=True)
    started_at = models.DateTimeField("démarré le")
    last_seen = models.DateTimeField("vu le")
    jobs_run = models.PositiveBigIntegerField("tâches exécutées", default=0)

    class Meta:
        verbose_name = "processus d'arrière-plan"
        verbose_name_plural = "processus d'arrière-plan"
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.name
