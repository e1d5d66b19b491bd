"""Background jobs of this app (:data:`JOBS`, collected by the worker, ``livret.ops.worker``).

* ``monitoring-escalation`` (every 30 s): MON-3 major alerts whose level-1 diagnosis was not
  established within its time (1 hour) move to level 2 (:func:`escalate_due`).
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
pushed :data:`RETRY_AFTER` later so that it cannot block the queue (one loop for every scan,
:func:`livret.ops.scan.scan`). An escalation is claimed by a compare-and-swap update instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet

from livret.monitoring import evaluation, triage
from livret.monitoring.models import BackupJob, IngestedBatch, MonitoringAlert, Sample, Server
from livret.ops.scan import scan
from livret.ops.worker import Job

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
    fired = scan(
        due_servers(now, LIMIT),
        lambda pk: check_server(pk, now),
        lambda pk: Server.objects.filter(pk=pk, next_check_at__lte=now).update(
            next_check_at=now + RETRY_AFTER
        ),
        log=log,
        failure="server %s: scheduled monitoring checks failed; retried later",
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


def check_backup(pk: int, now: datetime) -> int:
    """Check one backup job if it is still due (MON-2); how many alerts were raised."""
    with transaction.atomic():
        query = BackupJob.objects.filter(pk=pk, next_due_at__lte=now)
        job = _skip_locked(query).select_related("server").first()
        if job is None:
            return 0  # another worker has it, or it is no longer due
        job.server = evaluation.lock_server(job.server_id)
        return len(evaluation.check_backup_job(job, now))


def scan_backups(now: datetime) -> int:
    """MON-2 backup results not received by their due time; how many alerts were raised."""
    schedule_new_jobs(now)
    due = BackupJob.objects.filter(next_due_at__lte=now).order_by("next_due_at")
    raised = scan(
        list(due.values_list("pk", flat=True)[:LIMIT]),
        lambda pk: check_backup(pk, now),
        lambda pk: BackupJob.objects.filter(pk=pk, next_due_at__lte=now).update(
            next_due_at=now + RETRY_AFTER
        ),
        log=log,
        failure="backup job %s: due check failed; retried later",
    )
    if raised:
        log.info("backups not received: %d alert(s)", raised)
    return raised


# --------------------------------------------------------------------------- escalation


def due_escalations(now: datetime, limit: int = LIMIT) -> list[int]:
    """Alerts whose level-1 diagnosis time ran out, earliest first (one query on the partial
    index ``alert_diagnosis_due``)."""
    query = (
        MonitoringAlert.objects.filter(diagnosis_due_at__lte=now, escalated_at__isnull=True)
        .order_by("diagnosis_due_at")
        .values_list("pk", flat=True)
    )
    return list(query[:limit])


def escalate_one(pk: int, now: datetime) -> int:
    """Escalate one alert if it is still due: 1 if this call did it, else 0.

    The alert is claimed by a compare-and-swap update (still due, not yet escalated), so two
    workers never escalate it twice; its note and mails are written in the same transaction.
    """
    with transaction.atomic():
        claimed = MonitoringAlert.objects.filter(
            pk=pk, diagnosis_due_at__lte=now, escalated_at__isnull=True
        ).update(escalated_at=now, level=2)
        if not claimed:
            return 0
        triage.notify_escalation(
            MonitoringAlert.objects.select_related("server__site__client", "request").get(pk=pk),
            now,
        )
        return 1


def escalate_due(now: datetime, limit: int = LIMIT) -> int:
    """MON-3: move to level 2 every alert whose 1-hour level-1 diagnosis ran out; return how many.

    An alert whose escalation fails stays due (its timer is the client's, not moved) and is
    tried again at the next run.
    """
    escalated = scan(
        due_escalations(now, limit),
        lambda pk: escalate_one(pk, now),
        None,
        log=log,
        failure="alert %s: escalation failed; retried at the next run",
    )
    if escalated:
        log.info("escalated %d alert(s) to level 2", escalated)
    return escalated


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


def run_escalation(now: datetime) -> None:
    """The ``monitoring-escalation`` job: :func:`escalate_due` at the worker's clock."""
    escalate_due(now)


JOBS: list[Job] = [
    Job("monitoring-escalation", 30, run_escalation),
    Job("monitoring-checks", 30.0, run_checks),
    Job("monitoring-backups", 60.0, run_backups),
    Job("monitoring-purge", 3600.0, run_purge),
]
