"""The PreventCare rule engine: samples in, alert transitions out (SPEC MON-2, MON-3).

The engine is pure and deterministic: it holds the state of every (server, rule, series) and
turns each sample, and the passing of time, into :class:`Transition` values. A database row
can keep its :meth:`RuleEngine.snapshot`; :meth:`RuleEngine.restore` resumes exactly.

Semantics (Prometheus ``for:`` per server, rule and series)
-----------------------------------------------------------
* An *evaluation* of a sample-driven rule happens when a sample of its metric (and series)
  for that server arrives: a cpu sample evaluates ``cpu``, a memory sample does not.
* The first evaluation that holds makes the alert *pending* at that time. A later evaluation
  that still holds at or after ``pending_at + hold`` makes it *firing* at that evaluation's
  time (so samples every minute from 10:00 to 10:20 fire a 20-minute rule at 10:20). A rule with
  ``hold`` 0 fires at its first holding evaluation (``pending_at == firing_at``, one
  ``firing`` transition).
* An evaluation that does not hold *resets* a pending alert (no alert) or *resolves* a firing
  one (``resolved_at`` = that evaluation's time).
* Missing data (a livret reading of MON-2): like Prometheus's 5-minute staleness, a pending
  alert whose series has no sample for more than ``stale`` (5 min) is reset at ``last sample +
  stale``; the condition did not demonstrably hold for the whole duration. A firing alert is
  never resolved by silence: only a measurement that does not hold resolves it (a silent
  server is the heartbeat rule's business).
* Scheduled rules (``schedule``: free disk space daily at 03:00 Europe/Paris; ``every``:
  event-log errors every 10 min, services hourly) are evaluated only at their instants, on the
  latest value of each series received at or before the instant, without the staleness reset.
  With ``hold`` 0 they fire at the first holding check and resolve at the next check that does
  not hold.
* Heartbeat (MON-2): from a server's first heartbeat, one is expected within ``every + grace``
  (1 h + 5 min) of the previous one. At that deadline, if none arrived, a *major* alert fires
  (``pending_at == firing_at`` = the deadline); it resolves when the next heartbeat arrives. A
  heartbeat exactly at the deadline is in time. The sample's value is not read.
* Re-alerting (latency, VPN: "re-alerted until restored"): a rule with ``repeat`` emits a
  ``repeat`` transition every ``repeat`` after ``firing_at`` while the alert is firing.
* Time: at one instant, samples come first, then scheduled checks, heartbeat deadlines and
  repeats. :meth:`RuleEngine.observe` first runs the checks due strictly before its sample;
  :meth:`RuleEngine.advance` runs those due up to ``now`` included. A sample older than the
  latest one of its series is ignored. Samples of a metric no rule reads are ignored.
  Instants are aware; the engine works and answers in UTC (elapsed time, so the DST nights
  count their real 23 or 25 hours); :meth:`Alert.as_json` writes them in Europe/Paris.

Backups not received by their due time (MON-2) are a pure function, :func:`missing_backups`.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal, Unpack, cast
from zoneinfo import ZoneInfo

from livret.core.monitoring_rules import (
    DEFAULT_STALE,
    HEARTBEAT_METRIC,
    IMPACTS,
    EngineSettings,
    Rule,
    RuleError,
    engine_settings,
    rules_from_offer,
)

__all__ = [
    "HEARTBEAT_METRIC",
    "Alert",
    "EngineSettings",
    "MissingBackup",
    "Rule",
    "RuleEngine",
    "RuleError",
    "Sample",
    "Transition",
    "engine_settings",
    "missing_backups",
    "replay",
    "rules_from_offer",
]

PARIS = ZoneInfo("Europe/Paris")
SNAPSHOT_VERSION = 1
HEARTBEAT_RULE = "heartbeat"
_FAR = datetime(9999, 1, 1, tzinfo=UTC)

State = Literal["pending", "firing", "resolved", "reset", "repeat"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement. ``metric`` may carry a series: ``disk_free_percent:C:`` is the
    ``disk_free_percent`` metric of series (volume) ``C:``."""

    time: datetime
    server: str
    metric: str
    value: float


@dataclass(slots=True)
class Alert:
    """One alert of a rule on a server's series: pending, then firing, then resolved.

    ``value`` is the measured value of the evaluation that made it pending, then firing (for
    the heartbeat: minutes since the last heartbeat at the deadline).
    """

    rule: str
    server: str
    series: str
    pending_at: datetime
    firing_at: datetime | None
    resolved_at: datetime | None
    impact: str
    value: float

    def as_json(self, zone: tzinfo = PARIS) -> dict[str, object]:
        """Stable JSON: instants in ISO 8601 with ``zone``'s offset (Europe/Paris by default)."""

        def text(instant: datetime | None) -> str | None:
            return instant.astimezone(zone).isoformat() if instant is not None else None

        return {
            "rule": self.rule,
            "server": self.server,
            "series": self.series or None,
            "pending_at": text(self.pending_at),
            "firing_at": text(self.firing_at),
            "resolved_at": text(self.resolved_at),
            "impact": self.impact,
            "value": self.value,
        }


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of an alert's state at an instant; ``alert`` is a copy taken at that moment."""

    alert: Alert
    state: State
    at: datetime


@dataclass(slots=True, eq=False)
class _Series:
    """The samples of one server's metric series, and the rules reading it."""

    server: str
    metric: str
    heartbeat: bool = False
    last: datetime | None = None
    value: float = 0.0
    states: list[_RuleState] = field(default_factory=list)  # sample-driven rules
    checked: dict[int, _RuleState] = field(default_factory=dict)  # scheduled rules by index


@dataclass(slots=True, eq=False)
class _RuleState:
    """One rule on one series of one server (hashed by identity)."""

    rule: Rule
    index: int
    owner: _Series
    series: str
    above: bool
    threshold: float
    alert: Alert | None = None
    fire_due: datetime | None = None  # pending_at + hold
    repeat_at: datetime | None = None  # next re-alert of a firing alert


@dataclass(slots=True, eq=False)
class _Heartbeat:
    server: str
    last: datetime
    alert: Alert | None = None


Emit = Callable[[Transition], object]
_Event = tuple[datetime, int, tuple[object, ...], int, object]

# Kinds of timed events, in their order at one instant.
_CHECK, _HEARTBEAT, _REPEAT = 0, 1, 2


class RuleEngine:
    """Evaluates MON-2 rules over samples and time; see the module docstring for semantics."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        heartbeat_every: timedelta = timedelta(hours=1),
        heartbeat_grace: timedelta = timedelta(minutes=5),
        heartbeat_impact: str = "major-extended",
        stale: timedelta = DEFAULT_STALE,
    ) -> None:
        ids = [rule.id for rule in rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RuleError(f"duplicate monitoring rule ids: {', '.join(duplicates)}")
        if HEARTBEAT_RULE in ids:
            raise RuleError(f"rule id {HEARTBEAT_RULE!r} is reserved for the heartbeat")
        if heartbeat_every <= timedelta(0) or heartbeat_grace < timedelta(0):
            raise RuleError("the heartbeat interval must be positive and its grace not negative")
        if heartbeat_impact not in IMPACTS:
            raise RuleError(f"heartbeat impact must be one of {', '.join(IMPACTS)} (MON-3)")
        if stale <= timedelta(0):
            raise RuleError("the staleness window must be positive")
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.heartbeat_every = heartbeat_every
        self.heartbeat_grace = heartbeat_grace
        self.heartbeat_impact = heartbeat_impact
        self.stale = stale
        self._deadline = heartbeat_every + heartbeat_grace
        self._rank = {rule.id: index for index, rule in enumerate(self.rules)}
        self._rank[HEARTBEAT_RULE] = len(self.rules)
        self._sampled: dict[str, list[int]] = {}
        self._scheduled: dict[str, list[int]] = {}
        for index, rule in enumerate(self.rules):
            target = self._scheduled if rule.scheduled else self._sampled
            target.setdefault(rule.metric, []).append(index)
        self._series: dict[tuple[str, str], _Series | None] = {}
        self._by_metric: dict[str, list[_Series]] = {}  # series read by scheduled rules
        self._heartbeats: dict[str, _Heartbeat] = {}
        self._pending: dict[_RuleState, None] = {}  # sample-driven pending states, in order
        self._events: list[_Event] = []  # heap of checks, heartbeat deadlines, re-alerts
        self._seq = 0
        self._next_check: dict[int, datetime] = {}
        self._clock: datetime | None = None
        self._history: list[Alert] = []

    # ------------------------------------------------------------------ public

    def observe(self, sample: Sample) -> list[Transition]:
        """Evaluate the rules of ``sample``'s metric at ``sample.time``."""
        return self.observe_many((sample,))

    def observe_many(self, samples: Iterable[Sample]) -> list[Transition]:
        """Observe samples in order (the fast path for batches).

        Transitions come in time order, then rule order, server and series.
        """
        out: list[Transition] = []
        emit = out.append
        series_map = self._series
        pending = self._pending
        events = self._events
        stale = self.stale
        clock = self._clock
        next_due = events[0][0] if events else _FAR
        for sample in samples:
            t = sample.time
            if t.tzinfo is not UTC:
                t = _utc(t)
            if clock is None:
                self._start(t)
                clock = t
                next_due = events[0][0] if events else _FAR
            elif t > clock:
                clock = self._clock = t
            if next_due < t:
                self._run_due(t, False, emit)
                next_due = events[0][0] if events else _FAR
            key = (sample.server, sample.metric)
            try:
                series = series_map[key]
            except KeyError:
                series = series_map[key] = self._new_series(sample.server, sample.metric)
            if series is None:
                continue  # no rule reads this metric
            previous = series.last
            if previous is not None and t < previous:
                continue  # older than the series' latest sample
            series.last = t
            value = series.value = sample.value
            for state in series.states:
                holds = value > state.threshold if state.above else value < state.threshold
                alert = state.alert
                if alert is None:
                    if holds:
                        self._begin(state, t, value, emit)
                elif alert.firing_at is None:  # pending
                    if previous is not None and t - previous > stale:
                        self._reset(state, previous + stale, emit)
                        if holds:
                            self._begin(state, t, value, emit)
                    elif not holds:
                        self._reset(state, t, emit)
                    elif t >= cast(datetime, state.fire_due):
                        del pending[state]
                        self._fire(state, alert, t, value, emit)
                elif not holds:
                    self._resolve(state, alert, t, emit)
            if series.heartbeat:
                self._beat(series.server, t, emit)
            if events and events[0][0] < next_due:  # a heartbeat deadline or re-alert was added
                next_due = events[0][0]
        out.sort(key=self._order)
        return out

    def advance(self, now: datetime) -> list[Transition]:
        """Run scheduled checks, heartbeat deadlines, re-alerts and stale resets up to ``now``."""
        out: list[Transition] = []
        now = _utc(now)
        if self._clock is None:
            self._start(now)
        self._run_due(now, True, out.append)
        for state in list(self._pending):
            last = state.owner.last
            if last is not None and now > last + self.stale:
                self._reset(state, last + self.stale, out.append)
        if now > cast(datetime, self._clock):
            self._clock = now
        out.sort(key=self._order)
        return out

    def next_due(self) -> datetime | None:
        """The first instant at which :meth:`advance` has work (a scheduled check, a heartbeat
        deadline, a re-alert or a stale pending reset), in UTC; None when there is none."""
        dues = [
            when
            for when, kind, key, _, payload in self._events
            if self._live(kind, key, payload, when)
        ]
        dues += [
            state.owner.last + self.stale + _TICK  # reset once the gap exceeds ``stale``
            for state in self._pending
            if state.owner.last is not None
        ]
        return min(dues, default=None)

    def active(self) -> list[Alert]:
        """Copies of the pending and firing alerts, by pending time."""
        alerts = [state.alert for state in self._states() if state.alert is not None]
        alerts += [beat.alert for beat in self._heartbeats.values() if beat.alert is not None]
        return [copy.copy(alert) for alert in sorted(alerts, key=_alert_order)]

    def history(self) -> list[Alert]:
        """Copies of the alerts that fired since this engine was built or restored, in firing
        order, resolved or not (the history is not part of the snapshot)."""
        return [copy.copy(alert) for alert in self._history]

    def snapshot(self) -> dict[str, object]:
        """The engine's state as JSON-serialisable data (for a database row)."""
        series_rows: list[dict[str, object]] = []
        for series in self._series.values():
            if series is None or series.last is None:
                continue
            alerts: dict[str, object] = {}
            for state in (*series.states, *series.checked.values()):
                if state.alert is not None:
                    saved = _alert_json(state.alert)
                    if state.repeat_at is not None:
                        saved["repeat_at"] = state.repeat_at.isoformat()
                    alerts[state.rule.id] = saved
            series_rows.append(
                {
                    "server": series.server,
                    "metric": series.metric,
                    "last": series.last.isoformat(),
                    "value": series.value,
                    "alerts": alerts,
                }
            )
        return {
            "version": SNAPSHOT_VERSION,
            "clock": self._clock.isoformat() if self._clock else None,
            "next_checks": {
                self.rules[index].id: when.isoformat() for index, when in self._next_check.items()
            },
            "series": series_rows,
            "heartbeats": [
                {
                    "server": beat.server,
                    "last": beat.last.isoformat(),
                    "alert": _alert_json(beat.alert) if beat.alert else None,
                }
                for beat in self._heartbeats.values()
            ],
        }

    @classmethod
    def restore(
        cls, rules: Sequence[Rule], state: dict[str, object], **settings: Unpack[EngineSettings]
    ) -> RuleEngine:
        """An engine that continues from a :meth:`snapshot`; the state of a rule no longer in
        ``rules`` is dropped, a new scheduled rule starts at its next instant.

        ``settings`` are the constructor's keyword settings.
        """
        engine = cls(rules, **settings)
        if state.get("version") != SNAPSHOT_VERSION:
            raise RuleError(f"unknown monitoring snapshot version {state.get('version')!r}")
        clock = state.get("clock")
        if clock is None:
            return engine
        engine._clock = _instant(clock)
        next_checks = cast(dict[str, str], state.get("next_checks", {}))
        for index, rule in enumerate(engine.rules):
            if rule.scheduled:
                saved_at = next_checks.get(rule.id)
                at = _instant(saved_at) if saved_at else rule.next_check(engine._clock)
                engine._schedule(index, at)
        for row in cast(list[dict[str, object]], state.get("series", [])):
            server, metric = str(row["server"]), str(row["metric"])
            series = engine._series[(server, metric)] = engine._new_series(server, metric)
            if series is None:
                continue
            series.last = _instant(row["last"])
            series.value = float(cast(float, row["value"]))
            saved_alerts = cast(dict[str, dict[str, object]], row["alerts"])
            for target in (*series.states, *series.checked.values()):
                saved = saved_alerts.get(target.rule.id)
                if saved is None:
                    continue
                alert = target.alert = _alert_from(saved)
                if alert.firing_at is None:
                    target.fire_due = alert.pending_at + target.rule.hold
                    if not target.rule.scheduled:
                        engine._pending[target] = None
                elif saved.get("repeat_at") and target.rule.repeat is not None:
                    engine._push_repeat(target, _instant(saved["repeat_at"]))
        for row in cast(list[dict[str, object]], state.get("heartbeats", [])):
            server = str(row["server"])
            beat = engine._heartbeats[server] = _Heartbeat(server, _instant(row["last"]))
            if row["alert"]:
                beat.alert = _alert_from(cast(dict[str, object], row["alert"]))
            else:
                engine._push(beat.last + engine._deadline, _HEARTBEAT, (server,), beat.last)
        return engine

    # ------------------------------------------------------------------ internals

    def _order(self, transition: Transition) -> tuple[datetime, int, str, str]:
        """Transitions by time, then rule order, server and series (stable for one alert)."""
        alert = transition.alert
        return transition.at, self._rank[alert.rule], alert.server, alert.series

    def _states(self) -> Iterator[_RuleState]:
        for series in self._series.values():
            if series is not None:
                yield from series.states
                yield from series.checked.values()

    def _start(self, t: datetime) -> None:
        self._clock = t
        for index, rule in enumerate(self.rules):
            if rule.scheduled:
                self._schedule(index, rule.next_check(t))

    def _schedule(self, index: int, at: datetime) -> None:
        self._next_check[index] = at
        self._push(at, _CHECK, (index,), index)

    def _new_series(self, server: str, metric: str) -> _Series | None:
        base, _, name = metric.partition(":")
        if base == HEARTBEAT_METRIC:
            return _Series(server, metric, heartbeat=True)
        sampled = self._sampled.get(base, [])
        scheduled = self._scheduled.get(base, [])
        if not sampled and not scheduled:
            return None
        found = _Series(server, metric)
        found.states = [self._state(i, found, name) for i in sampled]
        found.checked = {i: self._state(i, found, name) for i in scheduled}
        if scheduled:
            self._by_metric.setdefault(base, []).append(found)
        return found

    def _state(self, index: int, owner: _Series, name: str) -> _RuleState:
        rule = self.rules[index]
        return _RuleState(rule, index, owner, name, rule.op == ">", rule.threshold)

    def _push(self, when: datetime, kind: int, key: tuple[object, ...], payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._events, (when, kind, key, self._seq, payload))

    def _push_repeat(self, state: _RuleState, when: datetime) -> None:
        state.repeat_at = when
        key = (state.index, state.owner.server, state.owner.metric)
        self._push(when, _REPEAT, key, (state, state.alert))

    def _live(self, kind: int, key: tuple[object, ...], payload: object, when: datetime) -> bool:
        """Whether a timed event still applies (a later heartbeat or a resolution voids it)."""
        if kind == _CHECK:
            return True
        if kind == _HEARTBEAT:
            beat = self._heartbeats[cast(str, key[0])]
            return beat.last == payload and beat.alert is None
        state, alert = cast(tuple[_RuleState, Alert], payload)
        return state.alert is alert and state.repeat_at == when

    def _run_due(self, limit: datetime, inclusive: bool, emit: Emit) -> None:
        events = self._events
        while events and (events[0][0] <= limit if inclusive else events[0][0] < limit):
            when, kind, key, _, payload = heapq.heappop(events)
            if not self._live(kind, key, payload, when):
                continue
            if kind == _CHECK:
                self._check(cast(int, payload), when, emit)
            elif kind == _HEARTBEAT:
                self._heartbeat_due(cast(str, key[0]), when, emit)
            else:
                state, alert = cast(tuple[_RuleState, Alert], payload)
                emit(Transition(copy.copy(alert), "repeat", when))
                self._push_repeat(state, when + cast(timedelta, state.rule.repeat))

    def _check(self, index: int, at: datetime, emit: Emit) -> None:
        """A scheduled check of rule ``index`` on the latest value of each series."""
        rule = self.rules[index]
        for series in self._by_metric.get(rule.metric, []):
            state = series.checked[index]
            if series.last is None or series.last > at:
                continue  # no value yet, or only a value after the check (late caller)
            value = series.value
            holds = rule.holds(value)
            alert = state.alert
            if alert is None:
                if holds:
                    self._begin(state, at, value, emit)
            elif not holds:
                if alert.firing_at is None:
                    self._reset(state, at, emit)
                else:
                    self._resolve(state, alert, at, emit)
            elif alert.firing_at is None and at >= cast(datetime, state.fire_due):
                self._fire(state, alert, at, value, emit)
        self._schedule(index, rule.next_check(at + _TICK))

    def _begin(self, state: _RuleState, t: datetime, value: float, emit: Emit) -> None:
        rule = state.rule
        alert = state.alert = Alert(
            rule.id, state.owner.server, state.series, t, None, None, rule.impact, value
        )
        if not rule.hold:
            self._fire(state, alert, t, value, emit)
            return
        state.fire_due = t + rule.hold
        if not rule.scheduled:
            self._pending[state] = None
        emit(Transition(copy.copy(alert), "pending", t))

    def _fire(self, state: _RuleState, alert: Alert, t: datetime, value: float, emit: Emit) -> None:
        alert.firing_at = t
        alert.value = value
        state.fire_due = None
        self._history.append(alert)
        emit(Transition(copy.copy(alert), "firing", t))
        if state.rule.repeat is not None:
            self._push_repeat(state, t + state.rule.repeat)

    def _reset(self, state: _RuleState, t: datetime, emit: Emit) -> None:
        alert = cast(Alert, state.alert)
        state.alert = state.fire_due = None
        self._pending.pop(state, None)
        emit(Transition(copy.copy(alert), "reset", t))

    def _resolve(self, state: _RuleState, alert: Alert, t: datetime, emit: Emit) -> None:
        alert.resolved_at = t
        state.alert = state.repeat_at = None
        emit(Transition(copy.copy(alert), "resolved", t))

    def _beat(self, server: str, t: datetime, emit: Emit) -> None:
        beat = self._heartbeats.get(server)
        if beat is None:
            beat = self._heartbeats[server] = _Heartbeat(server, t)
        elif t <= beat.last:
            return  # a duplicate or late heartbeat moves no deadline
        else:
            beat.last = t
            if beat.alert is not None:
                beat.alert.resolved_at = t
                emit(Transition(copy.copy(beat.alert), "resolved", t))
                beat.alert = None
        self._push(t + self._deadline, _HEARTBEAT, (server,), t)

    def _heartbeat_due(self, server: str, at: datetime, emit: Emit) -> None:
        beat = self._heartbeats[server]
        minutes = (at - beat.last) / timedelta(minutes=1)
        alert = beat.alert = Alert(
            HEARTBEAT_RULE, server, "", at, at, None, self.heartbeat_impact, minutes
        )
        self._history.append(alert)
        emit(Transition(copy.copy(alert), "firing", at))


_TICK = timedelta(microseconds=1)


def _utc(instant: datetime) -> datetime:
    """The instant in UTC: arithmetic on zoneinfo datetimes is wall-clock, not elapsed time."""
    if instant.utcoffset() is None:
        raise RuleError(f"instant {instant.isoformat()} has no UTC offset")
    return instant.astimezone(UTC)


def _alert_order(alert: Alert) -> tuple[datetime, str, str, str]:
    return alert.pending_at, alert.rule, alert.server, alert.series


def _instant(text: object) -> datetime:
    return _utc(datetime.fromisoformat(str(text)))


def _alert_json(alert: Alert) -> dict[str, object]:
    return {
        "rule": alert.rule,
        "server": alert.server,
        "series": alert.series,
        "pending_at": alert.pending_at.isoformat(),
        "firing_at": alert.firing_at.isoformat() if alert.firing_at else None,
        "impact": alert.impact,
        "value": alert.value,
    }


def _alert_from(data: dict[str, object]) -> Alert:
    firing = data.get("firing_at")
    return Alert(
        rule=str(data["rule"]),
        server=str(data["server"]),
        series=str(data["series"]),
        pending_at=_instant(data["pending_at"]),
        firing_at=_instant(firing) if firing else None,
        resolved_at=None,
        impact=str(data["impact"]),
        value=float(cast(float, data["value"])),
    )


def replay(
    samples: Iterable[Sample], rules: Sequence[Rule], **settings: Unpack[EngineSettings]
) -> list[Alert]:
    """Every alert that fires over ``samples`` (given in time order), in firing order.

    Scheduled checks and heartbeat deadlines run up to the last sample's time included.
    """
    engine = RuleEngine(rules, **settings)
    batch = list(samples)
    engine.observe_many(batch)
    if batch:
        engine.advance(max(sample.time for sample in batch))
    return sorted(engine.history(), key=lambda alert: cast(datetime, alert.firing_at))


# --------------------------------------------------------------------------- backups


@dataclass(frozen=True)
class MissingBackup:
    """A backup result not received by its due time (MON-2); ``received_at`` if it came late."""

    job: str
    due_at: datetime
    received_at: datetime | None


def missing_backups(
    expected: Iterable[tuple[str, datetime]],
    received: Iterable[tuple[str, datetime]],
    now: datetime,
) -> list[MissingBackup]:
    """The expected backup results (job, due_at) with ``due_at <= now`` that were not received
    in time, by due time then job.

    A result answers the expectation of its job whose window contains it: after the job's
    previous due time (exclusive) and up to its due time (inclusive). A result received after
    the due time (and before the job's next due time) is reported as ``received_at``: the alert
    was raised at ``due_at`` and is resolved then.
    """
    results: dict[str, list[datetime]] = {}
    for job, at in received:
        results.setdefault(job, []).append(at)
    dues: dict[str, list[datetime]] = {}
    for job, due_at in expected:
        dues.setdefault(job, []).append(due_at)
    missing: list[MissingBackup] = []
    for job, times in dues.items():
        times.sort()
        got = sorted(results.get(job, []))
        for position, due_at in enumerate(times):
            if due_at > now:
                break
            opens = times[position - 1] if position else None
            closes = times[position + 1] if position + 1 < len(times) else None
            in_window = [at for at in got if (opens is None or at > opens) and at <= due_at]
            if in_window:
                continue
            late = [at for at in got if at > due_at and (closes is None or at <= closes)]
            missing.append(MissingBackup(job, due_at, late[0] if late and late[0] <= now else None))
    return sorted(missing, key=lambda m: (m.due_at, m.job))
