"""Monitoring rules as values, built from the offer, and their check instants (SPEC MON-2).

A :class:`Rule` is a threshold on one metric. How it is evaluated depends on two fields:

* neither ``schedule`` nor ``every``: evaluated each time a sample of its metric arrives and
  firing once the condition has held for ``hold`` (the performance counters: cpu > 95 % for
  20 min, …; ``hold`` 0 fires at the first holding sample: hardware events, latency, VPN);
* ``schedule`` (a local time of day): evaluated once a day at that local time in ``zone`` on the
  latest value of each series (free disk space at 03:00 Europe/Paris);
* ``every``: evaluated at fixed instants on the latest value (event-log errors every 10 min,
  services hourly). The instants are counted from local midnight each day: 00:00, 00:10, … of
  elapsed time, so a 23- or 25-hour DST day has 138 or 150 ten-minute checks. A whole number of
  days means local midnight every that many days.

A local time that does not exist (the spring-forward gap) is read with the offset in force
before the change, and an ambiguous one (the autumn repeat) as its first occurrence; 03:00 in
Europe/Paris is neither, so the free-space check happens at 03:00 local on both DST nights.

The offer carries the rules as data (``offer.monitoring``); :func:`rules_from_offer` converts
them and :func:`engine_settings` reads the heartbeat, whose grace is an operator setting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo

from livret.core.offer.schema import Duration, Offer, Unit

Impact = Literal["none", "minor-moderate", "significant", "major-extended"]
IMPACTS: tuple[Impact, ...] = ("none", "minor-moderate", "significant", "major-extended")  # MON-3

HEARTBEAT_METRIC = "heartbeat"
DEFAULT_ZONE = "Europe/Paris"
# Prometheus drops a series 5 minutes after its last sample (its lookback delta): a pending
# condition with a longer gap between two samples cannot be said to have held (MON-2 reading).
DEFAULT_STALE = timedelta(minutes=5)

_DAY = timedelta(days=1)
_TIMER_UNITS = {
    Unit.MINUTES: timedelta(minutes=1),
    Unit.HOURS: timedelta(hours=1),
    Unit.CALENDAR_DAYS: timedelta(days=1),
    Unit.WEEKS: timedelta(weeks=1),
}


class RuleError(ValueError):
    """A monitoring rule that cannot be evaluated as given (the message names the rule)."""


@dataclass(frozen=True)
class Rule:
    """One MON-2 condition: ``metric op threshold`` held for ``hold``, with its MON-3 impact.

    ``repeat`` re-announces a firing alert at that interval until it resolves (latency and VPN
    breaks are "re-alerted until restored"; the offer gives no interval, so it is a setting).
    """

    id: str
    label: str
    metric: str
    op: Literal[">", "<"]
    threshold: float
    hold: timedelta = timedelta(0)
    impact: str = "minor-moderate"
    schedule: time | None = None
    every: timedelta | None = None
    zone: str = DEFAULT_ZONE
    repeat: timedelta | None = None

    def __post_init__(self) -> None:
        where = f"monitoring rule {self.id!r}"
        if self.op not in (">", "<"):
            raise RuleError(f"{where}: operator must be '>' or '<', not {self.op!r}")
        if not math.isfinite(self.threshold):
            raise RuleError(f"{where}: threshold must be a finite number")
        if self.impact not in IMPACTS:
            raise RuleError(f"{where}: impact must be one of {', '.join(IMPACTS)} (MON-3)")
        if self.hold < timedelta(0):
            raise RuleError(f"{where}: hold must not be negative")
        if self.schedule is not None and self.every is not None:
            raise RuleError(f"{where}: give either a daily schedule or 'every', not both")
        if self.every is not None:
            if self.every <= timedelta(0):
                raise RuleError(f"{where}: 'every' must be positive")
            if self.every > _DAY and self.every % _DAY:
                raise RuleError(f"{where}: 'every' beyond a day must be whole days")
        if self.repeat is not None and self.repeat <= timedelta(0):
            raise RuleError(f"{where}: 'repeat' must be positive")
        if self.metric == HEARTBEAT_METRIC or ":" in self.metric:
            raise RuleError(f"{where}: metric {self.metric!r} is reserved or has a series suffix")
        _zone(self.zone)

    @property
    def scheduled(self) -> bool:
        """Whether the rule is checked at fixed instants rather than at each sample."""
        return self.schedule is not None or self.every is not None

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the condition (strictly above or below the threshold)."""
        return value > self.threshold if self.op == ">" else value < self.threshold

    def next_check(self, after: datetime) -> datetime:
        """The first scheduled instant at or after ``after``, in UTC (scheduled rules only)."""
        zone = _zone(self.zone)
        after = after.astimezone(UTC)  # elapsed-time arithmetic, never wall-clock
        day = after.astimezone(zone).date()
        if self.schedule is not None:
            candidate = _local(day, self.schedule, zone)
            if candidate < after:
                candidate = _local(day + _DAY, self.schedule, zone)
            return candidate
        if self.every is None:
            raise RuleError(f"monitoring rule {self.id!r} is evaluated at each sample")
        if self.every >= _DAY:
            days = self.every // _DAY
            while True:
                if day.toordinal() % days == 0:
                    candidate = _local(day, time(0), zone)
                    if candidate >= after:
                        return candidate
                day += _DAY
        midnight = _local(day, time(0), zone)
        steps = -((midnight - after) // self.every)  # ceiling division
        candidate = midnight + steps * self.every
        next_midnight = _local(day + _DAY, time(0), zone)
        return candidate if candidate < next_midnight else next_midnight


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        raise RuleError(f"unknown time zone {name!r}") from None


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (fold 0: before-change offset in gaps)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def timer(duration: Duration, where: str) -> timedelta:
    """A wall-clock length from an offer duration; business units have no fixed length."""
    unit = _TIMER_UNITS.get(duration.unit)
    if unit is None:
        raise RuleError(f"{where}: a duration in {duration.unit.value} is not a fixed length")
    return duration.amount * unit


def rules_from_offer(
    offer: Offer, *, repeat: Mapping[str, timedelta] | None = None, zone: str | None = None
) -> list[Rule]:
    """The MON-2 rules of an offer, in the offer's order (offers are data).

    ``repeat`` maps rule ids to a re-alert interval, over the offer's own ``repeat`` (the
    booklet states the re-alerting of latency and VPN breaks, not its interval: the preset
    reads one hour). ``zone`` is where daily schedules are read:
    the monitoring calendar's zone by default.
    """
    monitoring = offer.monitoring
    if monitoring is None:
        raise RuleError(f"offer {offer.id} has no monitoring section")
    if zone is None:
        calendar = offer.calendars.get(monitoring.calendar)
        zone = calendar.timezone if calendar else DEFAULT_ZONE
    rules: list[Rule] = []
    for spec in monitoring.rules:
        where = f"monitoring rule {spec.id!r}"
        if spec.above is not None:
            op: Literal[">", "<"] = ">"
            threshold = spec.above
        elif spec.below is not None:
            op, threshold = "<", spec.below
        else:
            raise RuleError(f"{where}: give 'above' or 'below'")
        rules.append(
            Rule(
                id=spec.id,
                label=spec.label,
                metric=spec.metric,
                op=op,
                threshold=threshold,
                hold=timer(spec.duration, where) if spec.duration else timedelta(0),
                impact=spec.impact,
                schedule=time.fromisoformat(spec.schedule) if spec.schedule else None,
                every=timer(spec.every, where) if spec.every else None,
                zone=zone,
                repeat=(repeat or {}).get(spec.id)
                or (timer(spec.repeat, where) if spec.repeat else None),
            )
        )
    return rules


class EngineSettings(TypedDict, total=False):
    """Keyword settings of :class:`livret.core.monitoring.RuleEngine` (all optional)."""

    heartbeat_every: timedelta
    heartbeat_grace: timedelta
    heartbeat_impact: str
    stale: timedelta


def engine_settings(offer: Offer, *, heartbeat_grace: timedelta | None = None) -> EngineSettings:
    """The heartbeat of the offer (MON-2: every 1 h, grace 5 min); the grace can be overridden.

    The grace is an operator setting: the offer gives its default value.
    """
    monitoring = offer.monitoring
    if monitoring is None:
        raise RuleError(f"offer {offer.id} has no monitoring section")
    beat = monitoring.heartbeat
    grace = heartbeat_grace if heartbeat_grace is not None else timer(beat.grace, "heartbeat")
    if grace < timedelta(0):
        raise RuleError("heartbeat grace must not be negative")
    return {
        "heartbeat_every": timer(beat.every, "heartbeat"),
        "heartbeat_grace": grace,
        "heartbeat_impact": beat.impact,
    }
