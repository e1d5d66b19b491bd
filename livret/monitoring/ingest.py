"""Storing what the agents send: samples, events and backup results (issue 7, SPEC MON-1, MON-2).

Each batch is ONE transaction: the server row is locked (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the IMMEDIATE transaction serialises writers), the batch is recorded in
:class:`IngestedBatch` — whose unique (server, batch_id) makes a re-sent batch a no-op answered
``duplicate`` — its rows are inserted in bulk, the server's clock and last-seen fields are
updated and the rule engine evaluates what arrived (:mod:`livret.monitoring.evaluation`).
A failure anywhere rolls the whole batch back: it is stored entirely or not at all.

Agent clocks (issue 7): ``sent_at`` is the agent's clock when it sent the batch. The measured
skew is ``server time − sent_at``. More than 5 minutes either way (:data:`MAX_CLOCK_SKEW`) and
the server is flagged and every time of the batch is moved by the skew, so it is stored in the
server's time; 5 minutes or less is taken as it is (network delay and small drifts are not
corrected, so the times are exactly what the agent measured). The flag follows the latest
batch: an agent whose clock is fixed is unflagged by its next batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from livret.core.monitoring import HEARTBEAT_METRIC
from livret.monitoring import evaluation
from livret.monitoring.models import (
    BackupResult,
    IngestedBatch,
    MonitoringAlert,
    MonitoringEvent,
    Server,
)
from livret.monitoring.models import Sample as SampleRow
from livret.monitoring.triage import triage_alert

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_MESSAGE = 10_000  # characters of an event or backup message kept
# Event-log entries of these severities are errors (MON-1); every hardware event alerts.
EVENT_LOG_ALERTING = frozenset({"error", "critical"})


class SampleData(Protocol):
    """One sample as the agent sent it."""

    @property
    def time(self) -> datetime: ...
    @property
    def metric(self) -> str: ...
    @property
    def value(self) -> float: ...


class EventData(Protocol):
    """One hardware event or event-log error as the agent sent it (MON-1)."""

    @property
    def time(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...


class BackupData(Protocol):
    """One backup job result as the agent sent it (MON-1, MON-2)."""

    @property
    def job(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime: ...
    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class IngestResult:
    """The API's answer to one batch."""

    accepted: int
    duplicate: bool
    clock_skew_seconds: float
    clock_flagged: bool


@dataclass(frozen=True)
class _Clock:
    skew: timedelta
    flagged: bool

    @property
    def shift(self) -> timedelta:
        """What is added to every time of the batch: the skew when flagged, else nothing."""
        return self.skew if self.flagged else timedelta(0)


def measure_clock(sent_at: datetime, now: datetime) -> _Clock:
    """The agent's clock against the server's (issue 7: flagged beyond 5 minutes)."""
    skew = now - sent_at
    return _Clock(skew, abs(skew) > MAX_CLOCK_SKEW)


def _begin(
    server: Server, batch_id: str, kind: str, count: int, clock: _Clock, now: datetime
) -> Server | None:
    """Inside the batch's transaction: lock the server and record the batch; None when the
    batch is already stored (also when a concurrent request carrying it committed first)."""
    locked = evaluation.lock_server(server.pk)
    try:
        with transaction.atomic():  # a savepoint: the duplicate's error leaves the rest usable
            IngestedBatch.objects.create(
                server=locked,
                batch_id=batch_id,
                kind=kind,
                count=count,
                received_at=now,
                clock_skew_seconds=clock.skew.total_seconds(),
            )
    except IntegrityError:
        return None
    return locked


def _seen(server: Server, clock: _Clock, now: datetime) -> list[str]:
    server.last_seen_at = now
    server.clock_skew_seconds = clock.skew.total_seconds()
    server.clock_flagged = clock.flagged
    return ["last_seen_at", "clock_skew_seconds", "clock_flagged"]


def _result(count: int, clock: _Clock, duplicate: bool = False) -> IngestResult:
    return IngestResult(count, duplicate, clock.skew.total_seconds(), clock.flagged)


def ingest_samples(
    server: Server,
    batch_id: str,
    sent_at: datetime,
    samples: list[SampleData],
    now: datetime,
) -> IngestResult:
    """Store a batch of samples once and evaluate the rules on it (MON-2)."""
    clock = measure_clock(sent_at, now)
    shift = clock.shift
    with transaction.atomic():
        locked = _begin(server, batch_id, "samples", len(samples), clock, now)
        if locked is None:
            return _result(0, clock, duplicate=True)
        rows = [
            SampleRow(server=locked, time=s.time + shift, metric=s.metric, value=s.value)
            for s in samples
        ]
        SampleRow.objects.bulk_create(rows)
        fields = _seen(locked, clock, now)
        beats = [row.time for row in rows if row.metric == HEARTBEAT_METRIC]
        if beats:
            latest = max(beats)
            if locked.last_heartbeat_at is None or latest > locked.last_heartbeat_at:
                locked.last_heartbeat_at = latest
                fields.append("last_heartbeat_at")
        rows.sort(key=lambda row: row.time)
        evaluation.observe(
            locked,
            [evaluation.engine_sample(locked, r.time, r.metric, r.value) for r in rows],
            now,
        )
        locked.save(update_fields=[*fields, "engine_state", "next_check_at"])
    return _result(len(rows), clock)


def _triage(alert: MonitoringAlert | None, now: datetime) -> None:
    """MON-3 for a new alert (None: it folded into an open one), in the batch's transaction."""
    if alert is not None:
        triage_alert(alert, now)


def ingest_events(
    server: Server,
    batch_id: str,
    sent_at: datetime,
    events: list[EventData],
    now: datetime,
) -> IngestResult:
    """Store a batch of hardware events and event-log entries once; every hardware event and
    every event-log error raises (or folds into) its alert (MON-1, MON-2)."""
    clock = measure_clock(sent_at, now)
    with transaction.atomic():
        locked = _begin(server, batch_id, "events", len(events), clock, now)
        if locked is None:
            return _result(0, clock, duplicate=True)
        rows = [
            MonitoringEvent(
                server=locked,
                time=e.time + clock.shift,
                kind=e.kind,
                source=e.source,
                severity=e.severity,
                message=e.message[:MAX_MESSAGE],
            )
            for e in events
        ]
        MonitoringEvent.objects.bulk_create(rows)
        locked.save(update_fields=_seen(locked, clock, now))
        config = evaluation.server_config(locked)
        if config is not None and locked.monitored:
            for row in sorted(rows, key=lambda r: r.time):
                metric = (
                    evaluation.HARDWARE_METRIC
                    if row.kind == MonitoringEvent.Kind.HARDWARE
                    else evaluation.EVENT_LOG_METRIC
                )
                rule = config.rule_by_metric(metric)
                if rule is None or (
                    metric == evaluation.EVENT_LOG_METRIC and row.severity not in EVENT_LOG_ALERTING
                ):
                    continue
                alert = evaluation.raise_alert(
                    locked,
                    rule=rule.id,
                    series=row.source,
                    at=min(row.time, now),
                    impact=rule.impact,
                    summary=f"{rule.label} — {row.source} : {row.message}",
                    now=now,
                )
                _triage(alert, now)
    return _result(len(rows), clock)


def ingest_backups(
    server: Server,
    batch_id: str,
    sent_at: datetime,
    results: list[BackupData],
    now: datetime,
) -> IngestResult:
    """Store a batch of backup results once (MON-1). A failed, incomplete or cancelled result
    raises a ``backup-failed`` alert for its job; a succeeded one resolves it; any result
    resolves the job's ``backup-missing`` alert (MON-2)."""
    clock = measure_clock(sent_at, now)
    shift = clock.shift
    with transaction.atomic():
        locked = _begin(server, batch_id, "backups", len(results), clock, now)
        if locked is None:
            return _result(0, clock, duplicate=True)
        rows = [
            BackupResult(
                server=locked,
                job=r.job,
                status=r.status,
                started_at=r.started_at + shift if r.started_at else None,
                finished_at=r.finished_at + shift,
                message=r.message[:MAX_MESSAGE],
                received_at=now,
            )
            for r in results
        ]
        BackupResult.objects.bulk_create(rows)
        locked.save(update_fields=_seen(locked, clock, now))
        if locked.monitored:
            config = evaluation.server_config(locked)
            for row in sorted(rows, key=lambda r: r.finished_at):
                evaluation.resolve_open(locked, evaluation.BACKUP_MISSING, row.job, now)
                if row.status in evaluation.FAILED_STATUSES:
                    status = BackupResult.Status(row.status).label
                    alert = evaluation.raise_alert(
                        locked,
                        rule=evaluation.BACKUP_FAILED,
                        series=row.job,
                        at=now,
                        impact=evaluation.backup_impact(config),
                        summary=_("Sauvegarde « %(job)s » : %(status)s")
                        % {"job": row.job, "status": status}
                        + (f" — {row.message}" if row.message else ""),
                        now=now,
                    )
                    _triage(alert, now)
                else:
                    evaluation.resolve_open(locked, evaluation.BACKUP_FAILED, row.job, now)
    return _result(len(rows), clock)
