"""Background jobs of this app, registered in the worker (livret.ops.worker.JOBS).

* ``monitoring-checks`` (every 30 s): the scheduled part of the rule engine (MON-2) — daily
  free-space checks at 03:00, event-log and services checks, missing heartbeats (none within
  1 h + 5 min of the previous one → major alert), re-alerts and stale pending alerts. Each
  server stores ``next_check_at``, its engine's next deadline; the job finds the due servers
  with one query on the partial index ``server_next_check`` and advances each in its own
  transaction.
* ``monitoring-backups`` (every 60 s): backup results not received by their job's due time
  (MON-2), on ``BackupJob.next_due_at``.
* ``monitoring-purge`` (hourly): samples and batch records older than
  ``LIVRET_MONITORING_SAMPLE_DAYS`` days (35 by default) are deleted.

Claims, as in ``livret.support.jobs``: inside its transaction each row is read again with the
scan's condition (``pk = … AND next_check_at <= now``) — ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so a second worker skips a server the first one (or an ingesting request) holds; on
SQLite the transaction is IMMEDIATE, so writers take turns and the second one finds the column
already moved past ``now`` (a compare-and-swap). A server or job that raises is logged and
pushed :data:`RETRY_AFTER` later so that it cannot block the queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet

from livret.monitoring import evaluation
from livret.monitoring.models import BackupJob, IngestedBatch, Sample, Server

log = logging.getLogger("livret.monitoring.jobs")

RETRY_AFTER = timedelta(minutes=1)
LIMIT = 500  # rows handled per run of a job; the rest waits for the next run


M = TypeVar("M", bound=Model)


def _skip_locked(query: QuerySet[M]) -> QuerySet[M]:
    """Lock the rows read, skipping those another transaction holds (PostgreSQL)."""
    if connection.features.has_select_for_update_skip_locked:
        return query.select_for_update(skip_locked=True, of=("self",))
    return query


# --------------------------------------------------------------------------- scheduled checks


def due_servers(now: datetime, limit: int = LIMIT) -> list[int]:
    """Monitored servers whose engine has a deadline at or before ``now``, earliest first."""
    query = (
        Server.objects.filter(monitored=True, next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("pk", flat=True)
    )
    return list(query[:limit])


def check_server(pk: int, now: datetime) -> int:
    """Advance one server's engine to ``now`` if it is still due; how many alerts fired."""
    with transaction.atomic():
        query = Server.objects.filter(pk=pk, monitored=True, next_check_at__lte=now)
        server = evaluation.with_offer(_skip_locked(query)).first()
        if server is None:
            return 0  # another worker has it, or it is no longer due
        return len(evaluation.advance(server, now))


def scan_checks(now: datetime) -> int:
    """Advance every due server (MON-2 scheduled checks); how many alerts fired."""
    fired = 0
    for pk in due_servers(now, LIMIT):
        try:
            fired += check_server(pk, now)
        except Exception:
            log.exception("server %s: scheduled monitoring checks failed; retried later", pk)
            Server.objects.filter(pk=pk, next_check_at__lte=now).update(
                next_check_at=now + RETRY_AFTER
            )
    if fired:
        log.info("scheduled monitoring checks: %d alert(s) fired", fired)
    return fired


# --------------------------------------------------------------------------- backups due


def schedule_new_jobs(now: datetime) -> None:
    """Give a first due instant to backup jobs that have none (just declared)."""
    for job in BackupJob.objects.filter(next_due_at__isnull=True):
        job.next_due_at = evaluation.next_backup_due(job, now)
        job.save(update_fields=["next_due_at"])


def scan_backups(now: datetime) -> int:
    """MON-2 backup results not received by their due time; how many alerts were raised."""
    schedule_new_jobs(now)
    raised = 0
    due = BackupJob.objects.filter(next_due_at__lte=now).order_by("next_due_at")
    for pk in list(due.values_list("pk", flat=True)[:LIMIT]):
        try:
            with transaction.atomic():
                query = BackupJob.objects.filter(pk=pk, next_due_at__lte=now)
                job = _skip_locked(query).select_related("server").first()
                if job is None:
                    continue
                job.server = evaluation.lock_server(job.server_id)
                raised += len(evaluation.check_backup_job(job, now))
        except Exception:
            log.exception("backup job %s: due check failed; retried later", pk)
            BackupJob.objects.filter(pk=pk, next_due_at__lte=now).update(
                next_due_at=now + RETRY_AFTER
            )
    if raised:
        log.info("backups not received: %d alert(s)", raised)
    return raised


# --------------------------------------------------------------------------- retention


def sample_days() -> int:
    """Days of samples kept: ``LIVRET_MONITORING_SAMPLE_DAYS`` (default 35, checked at start-up)."""
    return int(settings.MONITORING_SAMPLE_DAYS)


def purge(now: datetime, days: int | None = None) -> int:
    """Delete samples and batch records older than the retention, server by server (each
    delete uses the index that starts with the server); how many samples were deleted."""
    cutoff = now - timedelta(days=days or sample_days())
    deleted = 0
    for pk in Server.objects.values_list("pk", flat=True):
        deleted += Sample.objects.filter(server_id=pk, time__lt=cutoff).delete()[0]
        IngestedBatch.objects.filter(server_id=pk, received_at__lt=cutoff).delete()
    if deleted:
        log.info("purged %d monitoring sample(s) older than %s", deleted, cutoff)
    return deleted


def run_checks(now: datetime) -> None:
    """The ``monitoring-checks`` job."""
    scan_checks(now)


def run_backups(now: datetime) -> None:
    """The ``monitoring-backups`` job."""
    scan_backups(now)


def run_purge(now: datetime) -> None:
    """The ``monitoring-purge`` job."""
    purge(now)


def register_jobs() -> None:
    """Add this app's jobs to the worker once."""
    from livret.monitoring.triage import register_triage_jobs
    from livret.ops.worker import JOBS, Job

    register_triage_jobs()  # MON-3 escalation (livret.monitoring.triage)
    for job in (
        Job("monitoring-checks", 30.0, run_checks),
        Job("monitoring-backups", 60.0, run_backups),
        Job("monitoring-purge", 3600.0, run_purge),
    ):
        if not any(known.name == job.name for known in JOBS):
            JOBS.append(job)
