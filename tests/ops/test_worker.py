"""The worker runs its jobs, survives a failing one, and records its heartbeat."""

from __future__ import annotations

import pytest

from livret.ops.models import WorkerHeartbeat
from livret.ops.worker import Job, Worker, installed_jobs

pytestmark = pytest.mark.django_db


def test_it_records_a_heartbeat_and_keeps_going_after_a_failing_job() -> None:
    calls: list[str] = []

    def broken(now) -> None:
        calls.append("broken")
        raise RuntimeError("boom")

    def fine(now) -> None:
        calls.append("fine")

    worker = Worker(jobs=[Job("broken", 60, broken), Job("fine", 60, fine)])
    assert worker.run_due() == 3
    assert calls == ["broken", "fine"]
    beat = WorkerHeartbeat.objects.get(name=worker.name)
    assert beat.last_seen is not None
    # not due again before its interval
    assert worker.run_due() == 0


def test_it_stops_between_jobs_when_asked() -> None:
    worker = Worker(jobs=[])

    def stop_now(now) -> None:
        worker.stop()

    worker.jobs.insert(0, Job("stopper", 60, stop_now))
    assert worker.run_due() == 1  # the heartbeat after the stopper did not run
    assert not WorkerHeartbeat.objects.exists()


def test_it_collects_the_jobs_of_the_installed_apps() -> None:
    """Each app declares its jobs in ``<app>.jobs.JOBS``; the worker runs them all, once each."""
    intervals = {job.name: job.interval for job in Worker().jobs}
    assert intervals == {
        "heartbeat": 30,
        "mail": 5,
        "sla-alerts": 30,
        "new-requests": 5,
        "idempotency-keys": 3600,
        "audit-checkpoint": 3600,
        "probes": 1,
        "maintenance-clock": 30,
        "status-notifications": 5,
        "monitoring-escalation": 30,
        "monitoring-checks": 30,
        "monitoring-backups": 60,
        "monitoring-purge": 3600,
    }
    assert len(installed_jobs()) == len(intervals) - 1
