"""Running the rule engine for one server and recording what it decides (SPEC MON-2, MON-3).

"The core decides, Django records": :class:`livret.core.monitoring.RuleEngine` decides when an
alert is pending, firing, resolved or reset; this module restores the server's engine from
``Server.engine_state``, feeds it, stores its transitions as :class:`MonitoringAlert` rows,
saves its snapshot and sets ``Server.next_check_at`` (the worker's due column) to its next
deadline. The caller holds the server row locked (``select_for_update`` on PostgreSQL, the
IMMEDIATE transaction on SQLite), so two batches of one server never lose engine state.

Agent metrics and offer metrics
-------------------------------
The agent reports what it measures (``service_running:<name>`` 1/0, ``vpn_up:<site>`` 1/0);
the offer's rules read what is wrong (``services_stopped``, ``vpn_down`` above 0). A running
service or a VPN that is up is 0 for the rule, anything else 1 (:func:`engine_sample`). Every
other metric keeps its name; a metric no rule reads is stored and not evaluated.

One-shot alerts
---------------
Hardware events, event-log errors (MON-1) and backup results (MON-2) are not measurements that
hold or not: each one raises its alert at once (:func:`raise_alert`), folded into the open
alert of the same server, rule and series (``occurrences`` + 1, MON-3). A backup alert is
resolved by the job's next result; the others by an operator.

Backups due (MON-2 "not received")
----------------------------------
A :class:`BackupJob` expects a result each day by ``due_time`` (local, in its zone). Its due
instants come from the core's daily schedule (``Rule.next_check``, so DST days are 23 or 25
hours long); :func:`livret.core.monitoring.missing_backups` says whether a result arrived in
the window after the previous due instant. Missing: a ``backup-missing`` alert firing at the
due instant; a late result resolves it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from livret.core.monitoring import (
    HEARTBEAT_METRIC,
    EngineSettings,
    Rule,
    RuleEngine,
    RuleError,
    Sample,
    Transition,
    engine_settings,
    missing_backups,
    rules_from_offer,
)
from livret.monitoring.models import (
    AlertState,
    BackupJob,
    BackupResult,
    MonitoringAlert,
    Server,
)
from livret.monitoring.triage import fold_repeat, resolve_alert, triage_alert
from livret.offers.models import OfferVersion

log = logging.getLogger("livret.monitoring.evaluation")

# Rule ids of the one-shot backup alerts (MON-2: failed, incomplete, cancelled, not received).
BACKUP_MISSING = "backup-missing"
BACKUP_FAILED = "backup-failed"
FAILED_STATUSES = frozenset(
    {BackupResult.Status.FAILED, BackupResult.Status.INCOMPLETE, BackupResult.Status.CANCELLED}
)
# Agent metrics that report what is right, and the offer metric that reads what is wrong.
INVERTED = {"service_running": "services_stopped", "vpn_up": "vpn_down"}
# Offer metrics of the one-shot alerts (livret/core/presets/preventcare.toml).
HARDWARE_METRIC, EVENT_LOG_METRIC, BACKUP_METRIC = (
    "hardware_events",
    "event_log_errors",
    "backup_failures",
)
# Without an offer rule for backups, a backup alert is significant (a request is opened).
BACKUP_DEFAULT_IMPACT = "significant"
_DAY_AND_MORE = timedelta(hours=26)  # longer than any local day (23 to 25 hours)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class EngineConfig:
    """The rules and heartbeat settings of one offer version (computed once per process)."""

    rules: tuple[Rule, ...]
    settings: EngineSettings

    def rule_by_metric(self, metric: str) -> Rule | None:
        """The offer's rule reading ``metric``, if any."""
        return next((rule for rule in self.rules if rule.metric == metric), None)

    def label(self, rule_id: str) -> str:
        """The rule's label (the offer's French text), or its id."""
        return next((rule.label for rule in self.rules if rule.id == rule_id), rule_id)


_CONFIGS: dict[str, EngineConfig | None] = {}
_MISSING = object()


def engine_config(version: OfferVersion) -> EngineConfig | None:
    """The offer's MON-2 rules and heartbeat; None when the offer has no monitoring section
    (samples are stored, nothing is evaluated). Cached by digest: versions never change."""
    if version.digest not in _CONFIGS:
        offer = version.offer
        config: EngineConfig | None = None
        if offer.monitoring is not None:
            try:
                config = EngineConfig(tuple(rules_from_offer(offer)), engine_settings(offer))
            except RuleError as error:
                log.error("offer %s: monitoring rules cannot be evaluated: %s", version, error)
        _CONFIGS[version.digest] = config
    return _CONFIGS[version.digest]


def with_offer(query: QuerySet[Server]) -> QuerySet[Server]:
    """Servers annotated with their contract's offer version (id and digest) for
    :func:`server_config`: one query, without loading the site, contract and version rows."""
    return query.annotate(
        offer_version_pk=F("site__contract__offer_version_id"),
        offer_digest=F("site__contract__offer_version__digest"),
    )


def server_config(server: Server) -> EngineConfig | None:
    """The engine configuration of the server's contract, for a server read through
    :func:`with_offer` (the version row is read only the first time its digest is seen)."""
    annotated: Any = server
    config = _CONFIGS.get(annotated.offer_digest, _MISSING)
    if config is _MISSING:
        return engine_config(OfferVersion.objects.get(pk=annotated.offer_version_pk))
    return cast(EngineConfig | None, config)


def lock_server(pk: int) -> Server:
    """The server row, locked until the end of the caller's transaction (PostgreSQL; SQLite's
    IMMEDIATE transaction already serialises writers), annotated with its offer version."""
    query = with_offer(Server.objects.all())
    if connection.features.has_select_for_update:
        query = query.select_for_update(of=("self",))
    return query.get(pk=pk)


def engine_sample(server: Server, when: datetime, metric: str, value: float) -> Sample:
    """The engine's sample for one stored sample (see "Agent metrics and offer metrics")."""
    base, sep, series = metric.partition(":")
    if base in INVERTED:
        return Sample(when, str(server.pk), f"{INVERTED[base]}{sep}{series}", float(value < 1))
    return Sample(when, str(server.pk), metric, value)


def _restore(server: Server, config: EngineConfig) -> RuleEngine:
    if not server.engine_state:
        return RuleEngine(config.rules, **config.settings)
    try:
        return RuleEngine.restore(config.rules, server.engine_state, **config.settings)
    except (RuleError, KeyError, TypeError, ValueError):
        # A snapshot of another engine version: start afresh rather than stop monitoring.
        log.exception("server %s: engine state unreadable, started afresh", server.hostname)
        return RuleEngine(config.rules, **config.settings)


def observe(server: Server, samples: Sequence[Sample], now: datetime) -> list[MonitoringAlert]:
    """Evaluate a batch of samples (in time order) for a locked server; the alerts that became
    firing. Sets ``engine_state`` and ``next_check_at`` on ``server``; the caller saves it."""
    config = server_config(server)
    if config is None or not server.monitored:
        return []
    engine = _restore(server, config)
    transitions = engine.observe_many(samples)
    return _record(server, engine, config, transitions, now)


def advance(server: Server, now: datetime) -> list[MonitoringAlert]:
    """The scheduled part (MON-2): daily and periodic checks, missing heartbeats, re-alerts
    and stale pending alerts up to ``now``, for a locked server; saves the server row."""
    config = server_config(server)
    if config is None or not server.monitored:
        server.next_check_at = None
        server.save(update_fields=["next_check_at"])
        return []
    engine = _restore(server, config)
    fired = _record(server, engine, config, engine.advance(now), now)
    server.save(update_fields=["engine_state", "next_check_at"])
    return fired


def _record(
    server: Server,
    engine: RuleEngine,
    config: EngineConfig,
    transitions: list[Transition],
    now: datetime,
) -> list[MonitoringAlert]:
    fired = record_transitions(server, transitions, config, now)
    server.engine_state = engine.snapshot()
    server.next_check_at = engine.next_due()
    return fired


def _summary(config: EngineConfig, rule_id: str, value: float) -> str:
    if rule_id == HEARTBEAT_METRIC:
        return _("Battement de cœur manquant depuis %(minutes)d min") % {"minutes": value}
    rule = next((r for r in config.rules if r.id == rule_id), None)
    if rule is None:
        return rule_id
    return f"{rule.label} : {value:g} ({rule.op} {rule.threshold:g})"[:300]


def record_transitions(
    server: Server, transitions: Iterable[Transition], config: EngineConfig, now: datetime
) -> list[MonitoringAlert]:
    """Store the engine's transitions as alert rows; the alerts that became firing, each
    triaged (MON-3) as it fires.

    pending → a new pending alert; firing → the pending alert fires (or a new firing one);
    repeat → one more occurrence; resolved → resolved (with a note on its request); reset →
    the pending alert that never fired is deleted.
    """
    transitions = list(transitions)
    if not transitions:
        return []
    open_alerts = {
        (alert.rule, alert.series): alert
        for alert in MonitoringAlert.objects.filter(server=server, resolved_at__isnull=True)
    }
    fired: list[MonitoringAlert] = []
    for transition in transitions:
        engine_alert, at = transition.alert, transition.at
        key = (engine_alert.rule, engine_alert.series)
        alert = open_alerts.get(key)
        if transition.state in ("pending", "firing"):
            firing = transition.state == "firing"
            if alert is None:
                alert = open_alerts[key] = MonitoringAlert.objects.create(
                    server=server,
                    rule=engine_alert.rule,
                    series=engine_alert.series,
                    state=AlertState.FIRING if firing else AlertState.PENDING,
                    impact=engine_alert.impact,
                    summary=_summary(config, engine_alert.rule, engine_alert.value),
                    last_value=engine_alert.value,
                    pending_at=engine_alert.pending_at,
                    firing_at=at if firing else None,
                    last_occurrence_at=at,
                    created_at=now,
                )
            elif firing and alert.state == AlertState.PENDING:
                alert.state, alert.firing_at, alert.last_value = (
                    AlertState.FIRING,
                    at,
                    engine_alert.value,
                )
                alert.summary = _summary(config, engine_alert.rule, engine_alert.value)
                alert.last_occurrence_at = at
                alert.save(
                    update_fields=[
                        "state",
                        "firing_at",
                        "last_value",
                        "summary",
                        "last_occurrence_at",
                    ]
                )
            else:  # the same alert again while it is open: one more occurrence (MON-3)
                fold_repeat(alert, at)
                continue
            if firing:
                triage_alert(alert, now)  # MON-3, in the same transaction, before what follows
                fired.append(alert)
        elif transition.state == "repeat" and alert is not None:
            fold_repeat(alert, at)  # "re-alerted until restored" (latency, VPN)
        elif transition.state == "resolved" and alert is not None:
            # a heartbeat sent in time but received after its deadline resolves at firing time
            resolve_alert(alert, max(at, alert.firing_at or at))
            del open_alerts[key]
        elif transition.state == "reset" and alert is not None and alert.state == "pending":
            alert.delete()
            del open_alerts[key]
    return fired


# --------------------------------------------------------------------------- one-shot alerts


def raise_alert(
    server: Server,
    *,
    rule: str,
    series: str,
    at: datetime,
    impact: str,
    summary: str,
    now: datetime,
    value: float | None = None,
) -> MonitoringAlert | None:
    """A firing alert at ``at``; folded into the open one of the same server, rule and series
    (MON-3). Returns the new alert, to be triaged, or None when it was folded."""
    alert = MonitoringAlert.objects.filter(
        server=server, rule=rule, series=series, resolved_at__isnull=True
    ).first()
    if alert is not None:
        fold_repeat(alert, at)
        return None
    return MonitoringAlert.objects.create(
        server=server,
        rule=rule,
        series=series,
        state=AlertState.FIRING,
        impact=impact,
        summary=summary[:300],
        last_value=value,
        pending_at=at,
        firing_at=at,
        last_occurrence_at=at,
        created_at=now,
    )


def resolve_open(server: Server, rule: str, series: str, at: datetime) -> None:
    """Resolve the open alert of this server, rule and series, if any."""
    alert = MonitoringAlert.objects.filter(
        server=server, rule=rule, series=series, resolved_at__isnull=True
    ).first()
    if alert is not None:
        resolve_alert(alert, max(at, alert.firing_at or at))


def backup_impact(config: EngineConfig | None) -> str:
    """The offer's impact for backup alerts (its ``backup_failures`` rule), else significant."""
    rule = config.rule_by_metric(BACKUP_METRIC) if config else None
    return rule.impact if rule else BACKUP_DEFAULT_IMPACT


# --------------------------------------------------------------------------- backups due


def _daily(job: BackupJob) -> Rule:
    """The job's due time as a daily schedule of the core (DST-aware local time)."""
    return Rule(
        id=BACKUP_MISSING,
        label=job.name,
        metric="backup_result",
        op="<",
        threshold=1,
        schedule=job.due_time,
        zone=job.timezone,
    )


def next_backup_due(job: BackupJob, after: datetime) -> datetime:
    """The job's first due instant strictly after ``after``."""
    return _daily(job).next_check(after + _TICK)


def previous_backup_due(job: BackupJob, due: datetime) -> datetime:
    """The job's due instant before ``due`` (one local day earlier: 23, 24 or 25 hours)."""
    return _daily(job).next_check(due - _DAY_AND_MORE)


def check_backup_job(job: BackupJob, now: datetime) -> list[MonitoringAlert]:
    """MON-2 "not received": for each due instant of a locked job up to ``now``, raise a
    ``backup-missing`` alert when no result of the job arrived since the previous due instant;
    move ``next_due_at`` on. Returns the alerts raised (already triaged)."""
    server = job.server
    config = server_config(server)
    raised: list[MonitoringAlert] = []
    due = job.next_due_at
    while due is not None and due <= now and server.monitored:
        since = previous_backup_due(job, due)
        received = BackupResult.objects.filter(
            server=server, job=job.name, received_at__gt=since
        ).values_list("received_at", flat=True)
        for missing in missing_backups([(job.name, due)], [(job.name, at) for at in received], now):
            alert = raise_alert(
                server,
                rule=BACKUP_MISSING,
                series=job.name,
                at=missing.due_at,
                impact=backup_impact(config),
                summary=_("Sauvegarde « %(job)s » non reçue à %(time)s")
                % {"job": job.name, "time": job.due_time.strftime("%H:%M")},
                now=now,
            )
            if missing.received_at is not None:  # it came late, before this check ran
                resolve_open(server, BACKUP_MISSING, job.name, missing.received_at)
            elif alert is not None:
                triage_alert(alert, now)
                raised.append(alert)
        due = next_backup_due(job, due)
    if due is not None and due <= now:  # an unmonitored server: skip its past due instants
        due = next_backup_due(job, now)
    job.next_due_at = due
    job.save(update_fields=["next_due_at"])
    return raised
