"""Backups (SPEC MON-2: "failed, incomplete, cancelled or not received, analysed daily").

A backup job expects a result every day by its local due time. The worker's job raises a
``backup-missing`` alert at the due instant when no result arrived since the previous one; a
failed, incomplete or cancelled result raises ``backup-failed`` when it arrives; the job's
next result resolves them. Results arrive through the real API; the worker's job is called
under a frozen clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from livret.monitoring import jobs
from livret.monitoring.evaluation import next_backup_due, previous_backup_due
from livret.monitoring.models import BackupJob, BackupResult, MonitoringAlert, Server
from livret.monitoring.tokens import create_server_token
from tests.helpers.clock import at
from tests.helpers.monitoring import batch, monitored_server, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(personas, versions) -> Server:  # type: ignore[no-untyped-def]
    return monitored_server(personas.client_a, versions, "srv-a1")


@pytest.fixture
def job(server: Server) -> BackupJob:
    return BackupJob.objects.create(server=server, name="nightly", due_time=time(7, 0))


@pytest.fixture
def report(client: Client, server: Server):  # type: ignore[no-untyped-def]
    """``report(when, status)``: the agent sends the nightly job's result at ``when``."""
    token = create_server_token(server)

    def send(when: datetime, status: str, job: str = "nightly") -> None:
        result = {
            "job": job,
            "status": status,
            "started_at": (when - timedelta(hours=2)).isoformat(),
            "finished_at": when.isoformat(),
            "message": "" if status == "succeeded" else "Support de sauvegarde plein",
        }
        with time_machine.travel(when, tick=False):
            response = post(client, "backups", token, batch("results", [result], when))
        assert response.status_code == 200, response.content

    return send


def scan(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return jobs.scan_backups(when)


def alerts(server: Server, rule: str) -> list[MonitoringAlert]:
    return list(MonitoringAlert.objects.filter(server=server, rule=rule).order_by("pk"))


def test_it_raises_an_alert_when_a_result_is_not_received_by_its_due_time(
    server: Server, job: BackupJob, report: Any
) -> None:
    scan(at("2026-11-24 06:00"))  # the job's first due instant is planned
    job.refresh_from_db()
    assert job.next_due_at == at("2026-11-24 07:00")
    report(at("2026-11-24 06:30"), "succeeded")
    assert scan(at("2026-11-24 07:00")) == 0  # received in time
    assert scan(at("2026-11-25 06:59:59")) == 0
    assert scan(at("2026-11-25 07:00")) == 1  # nothing since yesterday 07:00
    [alert] = alerts(server, "backup-missing")
    assert (alert.state, alert.series, alert.firing_at) == (
        "firing",
        "nightly",
        at("2026-11-25 07:00"),
    )
    assert alert.impact == "minor-moderate"  # the preset's "backup" rule: no impact given
    assert alert.triaged_at is not None
    report(at("2026-11-25 08:15"), "succeeded")  # late: resolves it
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_at) == ("resolved", at("2026-11-25 08:15"))


def test_it_records_a_late_result_that_came_before_the_worker_looked(
    server: Server, job: BackupJob, report: Any
) -> None:
    """The worker was down at 07:00; the result came at 07:30; the check at 08:00 records
    the missed due time, resolved at 07:30, and opens nothing (no triage)."""
    BackupJob.objects.filter(pk=job.pk).update(next_due_at=at("2026-11-24 07:00"))
    report(at("2026-11-24 07:30"), "succeeded")
    scan(at("2026-11-24 08:00"))
    [alert] = alerts(server, "backup-missing")
    assert (alert.firing_at, alert.resolved_at) == (at("2026-11-24 07:00"), at("2026-11-24 07:30"))
    assert alert.triaged_at is None
    assert alert.request is None


def test_it_folds_the_days_a_result_stays_missing(server: Server, job: BackupJob) -> None:
    """Three due instants missed while the worker was down: one open alert, 3 occurrences."""
    BackupJob.objects.filter(pk=job.pk).update(next_due_at=at("2026-11-22 07:00"))
    scan(at("2026-11-24 09:00"))
    [alert] = alerts(server, "backup-missing")
    assert (alert.firing_at, alert.occurrences) == (at("2026-11-22 07:00"), 3)
    job.refresh_from_db()
    assert job.next_due_at == at("2026-11-25 07:00")


@pytest.mark.parametrize("status", ["failed", "incomplete", "cancelled"])
def test_it_raises_an_alert_for_a_failed_incomplete_or_cancelled_backup(
    server: Server, job: BackupJob, report: Any, status: str
) -> None:
    report(at("2026-11-24 02:10"), status)
    [alert] = alerts(server, "backup-failed")
    assert (alert.state, alert.series, alert.firing_at) == (
        "firing",
        "nightly",
        at("2026-11-24 02:10"),
    )
    assert "Support de sauvegarde plein" in alert.summary
    assert alert.triaged_at is not None
    report(at("2026-11-25 02:10"), status)  # failing again: the same alert, once more
    alert.refresh_from_db()
    assert alert.occurrences == 2
    report(at("2026-11-26 02:10"), "succeeded")
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_at) == ("resolved", at("2026-11-26 02:10"))
    assert BackupResult.objects.filter(server=server).count() == 3


def test_it_raises_nothing_for_a_succeeded_backup(
    server: Server, job: BackupJob, report: Any
) -> None:
    report(at("2026-11-24 02:10"), "succeeded")
    assert not MonitoringAlert.objects.filter(server=server).exists()


def test_it_keeps_the_local_due_time_over_the_march_dst_day(
    server: Server, job: BackupJob, report: Any
) -> None:
    """Last Sunday of March 2026: 07:00 CET on Saturday, 07:00 CEST on Sunday — 23 hours
    apart. A result at 06:30 CEST on Sunday answers Sunday's due time."""
    saturday = datetime.fromisoformat("2026-03-28T07:00:00+01:00")
    sunday = datetime.fromisoformat("2026-03-29T07:00:00+02:00")
    assert next_backup_due(job, saturday) == sunday
    assert previous_backup_due(job, sunday) == saturday
    assert sunday - saturday == timedelta(hours=23)
    BackupJob.objects.filter(pk=job.pk).update(next_due_at=sunday)
    report(datetime.fromisoformat("2026-03-29T06:30:00+02:00"), "succeeded")
    assert scan(sunday) == 0
    job.refresh_from_db()
    assert job.next_due_at == datetime.fromisoformat("2026-03-30T07:00:00+02:00")


def test_it_keeps_the_local_due_time_over_the_october_dst_day(
    server: Server, job: BackupJob
) -> None:
    """Last Sunday of October 2026: 07:00 CEST on Saturday, 07:00 CET on Sunday — 25 hours
    apart; with no result the alert fires at 07:00 CET, not an hour early."""
    saturday = datetime.fromisoformat("2026-10-24T07:00:00+02:00")
    sunday = datetime.fromisoformat("2026-10-25T07:00:00+01:00")
    assert next_backup_due(job, saturday) == sunday
    assert previous_backup_due(job, sunday) == saturday
    BackupJob.objects.filter(pk=job.pk).update(next_due_at=sunday)
    assert scan(sunday - timedelta(hours=1)) == 0
    assert scan(sunday) == 1
    assert alerts(server, "backup-missing")[0].firing_at == sunday
