"""The SLA clocks of a support request, replayed from its event history (SPEC REQ-4..9).

A request's deadlines are never edited by hand: they are a pure function of the contract's
offer (formula, territory) and of the request's events. Change an input (priority re-set, a
pause, a reopening) and the replay gives the new deadlines.

Clocks
------
* ``pickup`` (REQ-4) runs from registration; its length depends on the formula and, for Q,
  the request's priority. It stops at the first take-in-charge and never pauses (REQ-6b).
* ``action-plan`` and ``fix`` (REQ-6) run from the latest qualification, for the criticities
  the offer names (1 → action plan in 12 business hours, 2 → fix in 6 business days). They stop
  when the deliverable is delivered, and restart from scratch when the client rejects it or the
  request is reopened.
* ``validation`` (REQ-6, C) is the client's: it runs from delivery of a fix or action plan
  for the offer's ``client_validation`` (3 business days) and stops on validation or rejection.

Pauses (REQ-6b, a livret reading): while the request waits for the client, the action-plan
and fix clocks are suspended. The deadline moves later by exactly the business time (on the
same calendar) spent waiting: ``due = add_business_time(base_due, paused)``.

Warnings: each vendor clock warns at 75 % of its allowed business time and at breach. The
allowed business time is measured between the start and the due instant on the calendar, so
hour- and day-based deadlines are treated alike.

One walk, two ways to count: :func:`walk` is the clocks' only state machine (where each clock
starts, pauses and stops, with datetimes or epoch microseconds); :func:`replay` then does the
calendar arithmetic for one request, and ``livret.core.sla_bulk.settle`` for a whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Generic, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

from livret.core.calendar import BusinessCalendar, calendar_for
from livret.core.offer.schema import Duration, Offer, Priority, Unit

WARNING_FRACTION = 0.75


class SlaError(ValueError):
    """An SLA question the offer cannot answer (no such clock for this formula, …)."""


class Clock(StrEnum):
    """The clocks a request can run (REQ-4, REQ-6)."""

    PICKUP = "pickup"
    ACTION_PLAN = "action-plan"
    FIX = "fix"
    VALIDATION = "validation"


VENDOR_CLOCKS = (Clock.PICKUP, Clock.ACTION_PLAN, Clock.FIX)


class EventKind(StrEnum):
    """The events of a request that move its clocks."""

    REGISTERED = "registered"
    PRIORITY_SET = "priority-set"
    TAKEN_IN_CHARGE = "taken-in-charge"
    QUALIFIED = "qualified"
    ACTION_PLAN_DELIVERED = "action-plan-delivered"
    FIX_DELIVERED = "fix-delivered"
    WAITING_FOR_CLIENT = "waiting-for-client"
    CLIENT_ANSWERED = "client-answered"
    VALIDATED = "validated"
    REJECTED = "rejected"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"


# The members as globals for the walk and its lookups: on Python 3.11 reading an Enum member
# off its class costs ~0.3 µs, six times a global, and the bulk recompute walks ~400,000 events.
_PICKUP, _ACTION_PLAN, _FIX = VENDOR_CLOCKS
_VALIDATION = Clock.VALIDATION
_REGISTERED, _PRIORITY_SET = EventKind.REGISTERED, EventKind.PRIORITY_SET
_TAKEN, _QUALIFIED = EventKind.TAKEN_IN_CHARGE, EventKind.QUALIFIED
_PLAN_DELIVERED, _FIX_DELIVERED = EventKind.ACTION_PLAN_DELIVERED, EventKind.FIX_DELIVERED
_WAITING, _ANSWERED = EventKind.WAITING_FOR_CLIENT, EventKind.CLIENT_ANSWERED
_VALIDATED, _REJECTED, _REOPENED = EventKind.VALIDATED, EventKind.REJECTED, EventKind.REOPENED
_CLOSED, _CANCELLED = EventKind.CLOSED, EventKind.CANCELLED


@dataclass(frozen=True)
class Event:
    """One thing that happened to a request, at an aware instant."""

    kind: EventKind
    at: datetime
    priority: Priority | None = None
    criticity: int | None = None


@dataclass(frozen=True)
class SlaPolicy:
    """The deadlines a contract's offer promises, with the calendar they count in."""

    offer_id: str
    formula: str
    territory: str
    calendar: BusinessCalendar
    pickup: dict[Priority | None, Duration]
    action_plan: tuple[frozenset[int], Duration] | None
    fix: tuple[frozenset[int], Duration] | None
    validation: Duration | None
    pause_while_waiting: bool

    @property
    def has_pickup(self) -> bool:
        """False where the formula has no support commitment (E Connect, P)."""
        return bool(self.pickup)

    def pickup_duration(self, priority: Priority | None) -> Duration | None:
        """REQ-4: the pickup deadline for a priority (falls back to the formula's default)."""
        return self.pickup.get(priority) or self.pickup.get(None)

    def delivery_duration(self, clock: Clock, criticity: int | None) -> Duration | None:
        """REQ-6: the action-plan or fix deadline for a criticity, if the offer sets one."""
        rule = self.action_plan if clock is _ACTION_PLAN else self.fix
        if rule is None or criticity is None or criticity not in rule[0]:
            return None
        return rule[1]


def policy_for(offer: Offer, formula: str | None, territory: str) -> SlaPolicy:
    """Resolve the offer's SLA rules for one formula and territory."""
    formula_name, formula_spec = offer.formula(formula)
    pickup: dict[Priority | None, Duration] = {}
    support = offer.support
    if support and formula_spec.support and formula_name in support.pickup:
        targets = support.pickup[formula_name]
        if targets.default:
            pickup[None] = targets.default
        for priority in ("critical", "high", "moderate"):
            duration = targets.for_priority(priority)
            if duration:
                pickup[priority] = duration
    anomalies = offer.anomalies
    applies = anomalies is not None and (
        anomalies.formulas is None or formula_name in anomalies.formulas
    )
    action_plan = fix = None
    validation = None
    if anomalies is not None and applies:
        if anomalies.action_plan:
            action_plan = (
                frozenset(anomalies.action_plan.criticities),
                anomalies.action_plan.within,
            )
        if anomalies.fix:
            fix = (frozenset(anomalies.fix.criticities), anomalies.fix.within)
        validation = anomalies.client_validation
    role = anomalies.calendar if anomalies else support.calendar if support else "support"
    return SlaPolicy(
        offer_id=offer.id,
        formula=formula_name,
        territory=territory,
        calendar=calendar_for(offer, role, formula_name, territory),
        pickup=pickup,
        action_plan=action_plan,
        fix=fix,
        validation=validation,
        pause_while_waiting=anomalies.pause_while_waiting_for_client if anomalies else True,
    )


_SLA_UNITS = frozenset(
    (Unit.BUSINESS_HOURS, Unit.BUSINESS_DAYS, Unit.CALENDAR_DAYS, Unit.HOURS, Unit.MINUTES)
)
_DAY_UNITS = (Unit.BUSINESS_DAYS, Unit.CALENDAR_DAYS)


def check_duration(duration: Duration) -> Duration:
    """The duration itself if a clock can count it, else :class:`SlaError`."""
    if duration.unit not in _SLA_UNITS:
        raise SlaError(f"a deadline of {duration.label_fr()} is not an SLA clock")
    if duration.unit in _DAY_UNITS and not float(duration.amount).is_integer():
        raise SlaError(f"{duration.label_fr()}: days must be a whole number")
    return duration


def plain_time(duration: Duration) -> timedelta:
    """A deadline in plain hours or minutes (counted day and night) as a timedelta."""
    if duration.unit is Unit.HOURS:
        return timedelta(hours=duration.amount)
    return timedelta(minutes=duration.amount)


def add_duration(calendar: BusinessCalendar, start: datetime, duration: Duration) -> datetime:
    """``start`` plus a duration of any SLA kind, counted on the calendar where it is business."""
    amount = check_duration(duration).amount
    if duration.unit is Unit.BUSINESS_HOURS:
        return calendar.add_business_time(start, timedelta(hours=amount))
    if duration.unit is Unit.BUSINESS_DAYS:
        return calendar.add_business_days(start, int(amount))
    if duration.unit is Unit.CALENDAR_DAYS:
        return calendar.add_calendar_days(start, int(amount))
    return start + plain_time(duration)


@dataclass(frozen=True)
class ClockState:
    """Where one clock stands after the replay."""

    clock: Clock
    started_at: datetime
    allowed: Duration
    due_at: datetime
    warn_at: datetime
    stopped_at: datetime | None = None
    paused_since: datetime | None = None

    @property
    def running(self) -> bool:
        """Counting now: started, not stopped, not paused."""
        return self.stopped_at is None and self.paused_since is None

    def met(self, now: datetime) -> bool | None:
        """True met, False missed (late, or overdue and still open), None not decided yet."""
        if self.stopped_at is not None:
            return self.stopped_at <= self.due_at
        if self.paused_since is None and now > self.due_at:
            return False
        return None

    def breached(self, now: datetime) -> bool:
        """The deadline has passed without the clock stopping in time."""
        return self.met(now) is False

    def business_left(self, calendar: BusinessCalendar, now: datetime) -> timedelta:
        """Business time until the deadline (negative once breached)."""
        if now <= self.due_at:
            return calendar.business_time_between(now, self.due_at)
        return -calendar.business_time_between(self.due_at, now)


# --------------------------------------------------------------------------- the walk

Instant = TypeVar("Instant", int, datetime)
"""An instant of the walk: epoch microseconds (UTC, the bulk path) or an aware datetime."""

WalkEvent: TypeAlias = tuple[EventKind, Instant, Priority | None, int | None]
"""An event as the walk reads it: kind, instant, priority, criticity."""

DELIVERY_CLOCKS = (_ACTION_PLAN, _FIX)


@dataclass(slots=True)
class ClockRun(Generic[Instant]):
    """One run of a clock, before any calendar arithmetic: where it started, paused, stopped."""

    clock: Clock
    started_at: Instant
    allowed: Duration
    pauses: list[tuple[Instant, Instant]] = field(default_factory=list)  # (from, to), closed
    paused_since: Instant | None = None
    stopped_at: Instant | None = None

    def resume(self, at: Instant) -> None:
        """End the pause in progress, if any (REQ-6b)."""
        if self.paused_since is not None:
            self.pauses.append((self.paused_since, max(at, self.paused_since)))
            self.paused_since = None

    def stop(self, at: Instant) -> None:
        """Stop the clock, unless it already stopped."""
        if self.stopped_at is None:
            self.resume(at)
            self.stopped_at = at


@dataclass(slots=True)
class Walk(Generic[Instant]):
    """A request's clock runs after the walk, in the order the dictionary keeps them."""

    runs: dict[Clock, ClockRun[Instant]]
    priority: Priority | None
    criticity: int | None


def walk(policy: SlaPolicy, events: Iterable[WalkEvent[Instant]]) -> Walk[Instant]:
    """Walk a request's events, in order of their instants, into its clock runs.

    This is the one state machine of the clocks: it says where each clock starts, pauses and
    stops, and leaves the calendar arithmetic to :func:`replay` (one request) or to
    ``livret.core.sla_bulk.settle`` (many at once). :class:`SlaError` as soon as a clock starts
    with a duration no clock can count.
    """
    runs: dict[Clock, ClockRun[Instant]] = {}
    registered_at: Instant | None = None
    priority: Priority | None = None
    criticity: int | None = None

    def start(clock: Clock, at: Instant, allowed: Duration | None) -> None:
        if allowed is None:
            runs.pop(clock, None)
        else:
            runs[clock] = ClockRun(clock, at, check_duration(allowed))

    def stop(clock: Clock, at: Instant) -> None:
        run = runs.get(clock)
        if run is not None:
            run.stop(at)

    def restart_delivery(at: Instant) -> None:  # REQ-6: from scratch
        for clock in DELIVERY_CLOCKS:
            start(clock, at, policy.delivery_duration(clock, criticity))

    for kind, at, event_priority, event_criticity in sorted(events, key=itemgetter(1)):
        if kind is _REGISTERED:  # REQ-4
            registered_at, priority = at, event_priority
            start(_PICKUP, at, policy.pickup_duration(priority))
        elif kind is _PRIORITY_SET:  # REQ-4: the pickup deadline follows the priority
            priority = event_priority
            if registered_at is not None:
                pickup = runs.get(_PICKUP)
                stopped = pickup.stopped_at if pickup else None
                start(_PICKUP, registered_at, policy.pickup_duration(priority))
                if stopped is not None and _PICKUP in runs:
                    runs[_PICKUP].stopped_at = stopped
        elif kind is _TAKEN:
            stop(_PICKUP, at)
        elif kind is _QUALIFIED:  # REQ-6
            stop(_PICKUP, at)  # qualifying implies the request was taken in charge
            criticity = event_criticity
            runs.pop(_VALIDATION, None)
            restart_delivery(at)
        elif kind is _PLAN_DELIVERED:
            stop(_ACTION_PLAN, at)
            start(_VALIDATION, at, policy.validation)
        elif kind is _FIX_DELIVERED:
            stop(_ACTION_PLAN, at)
            stop(_FIX, at)
            start(_VALIDATION, at, policy.validation)
        elif kind is _WAITING:  # REQ-6b: the pickup clock never pauses
            if policy.pause_while_waiting:
                for clock in DELIVERY_CLOCKS:
                    run = runs.get(clock)
                    if run and run.stopped_at is None and run.paused_since is None:
                        run.paused_since = at
        elif kind is _ANSWERED:
            for clock in DELIVERY_CLOCKS:
                run = runs.get(clock)
                if run:
                    run.resume(at)
        elif kind is _VALIDATED:
            stop(_VALIDATION, at)
        elif kind is _REJECTED or kind is _REOPENED:
            stop(_VALIDATION, at)
            restart_delivery(at)
        elif kind is _CLOSED or kind is _CANCELLED:
            for run in runs.values():
                run.stop(at)
    return Walk(runs, priority, criticity)


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class SlaState:
    """Every clock of a request after replaying its events."""

    clocks: dict[Clock, ClockState] = field(default_factory=dict)
    priority: Priority | None = None
    criticity: int | None = None

    def next_deadline(self) -> datetime | None:
        """The nearest due instant among the vendor clocks still running."""
        dues = [c.due_at for k, c in self.clocks.items() if k in VENDOR_CLOCKS and c.running]
        return min(dues, default=None)

    def breached_clocks(self, now: datetime) -> list[Clock]:
        """The clocks whose deadline passed without being met."""
        return [k for k, c in self.clocks.items() if c.breached(now)]


def replay(policy: SlaPolicy, events: Iterable[Event]) -> SlaState:
    """Replay a request's events, in order, into the state of its clocks."""
    walked = walk(policy, [(e.kind, e.at, e.priority, e.criticity) for e in events])
    return SlaState(
        clocks={clock: _clock_state(policy.calendar, run) for clock, run in walked.runs.items()},
        priority=walked.priority,
        criticity=walked.criticity,
    )


def _clock_state(cal: BusinessCalendar, run: ClockRun[datetime]) -> ClockState:
    """The calendar arithmetic of one clock run: its deadline and its 75 % warning."""
    due = add_duration(cal, run.started_at, run.allowed)
    paused = sum((cal.business_time_between(a, b) for a, b in run.pauses), timedelta(0))
    if paused:  # REQ-6b: later by the business time spent waiting
        due = cal.add_business_time(due, paused)
    allowed_business = cal.business_time_between(run.started_at, due)
    warn = cal.add_business_time(run.started_at, allowed_business * WARNING_FRACTION)
    return ClockState(
        clock=run.clock,
        started_at=run.started_at,
        allowed=run.allowed,
        due_at=due,
        warn_at=min(warn, due),
        stopped_at=run.stopped_at,
        paused_since=run.paused_since,
    )


# --------------------------------------------------------------------------- alerts


class AlertLevel(StrEnum):
    """The two warnings each vendor clock sends, once each."""

    WARNING = "warning"  # 75 % of the allowed business time used
    BREACH = "breach"


@dataclass(frozen=True)
class Alert:
    """A warning to send about one clock, and when to send it."""

    clock: Clock
    level: AlertLevel
    due_at: datetime  # the instant the threshold is crossed
    send_at: datetime  # when to send (deferred to the next opening, except criticity 1)
    started_at: datetime  # the run of the clock it belongs to (a restarted clock warns again)


def alerts(
    policy: SlaPolicy,
    state: SlaState,
    already_sent: set[tuple[Clock, AlertLevel, datetime]],
) -> list[Alert]:
    """The alerts still to send for the running vendor clocks, earliest first.

    Outside the support calendar's hours, only criticity-1 warnings go out at once; the rest
    wait for the next opening. ``already_sent`` holds (clock, level, clock start): a clock that
    restarts (rejected delivery, reopening) warns again for its new run.
    """
    out: list[Alert] = []
    for clock, clock_state in state.clocks.items():
        if clock not in VENDOR_CLOCKS or not clock_state.running:
            continue
        for level, crossing in (
            (AlertLevel.WARNING, clock_state.warn_at),
            (AlertLevel.BREACH, clock_state.due_at),
        ):
            if (clock, level, clock_state.started_at) in already_sent:
                continue
            urgent = state.criticity == 1 and clock is not Clock.PICKUP
            send_at = crossing
            if not urgent and not _inside_hours(policy.calendar, crossing):
                send_at = policy.calendar.next_opening(crossing)
            out.append(Alert(clock, level, crossing, send_at, clock_state.started_at))
    return sorted(out, key=lambda a: a.send_at)


def _inside_hours(calendar: BusinessCalendar, instant: datetime) -> bool:
    """Open at the instant, or at the closing instant that ends an opening (12:30 counts)."""
    return calendar.is_open(instant) or calendar.is_open(instant - timedelta(microseconds=1))


# --------------------------------------------------------------------------- compliance


@dataclass(frozen=True)
class PickupRecord:
    """What compliance needs of one request's pickup clock."""

    registered_at: datetime
    due_at: datetime
    picked_up_at: datetime | None
    cancelled: bool = False


@dataclass(frozen=True)
class PeriodCompliance:
    """REQ-7 for one period of 12 consecutive months from the support start."""

    index: int
    start: date
    end: date  # exclusive
    registered: int
    in_time: int
    missed: int
    pending: int
    target_percent: float

    @property
    def rate_percent(self) -> float | None:
        """Share of decided requests picked up in time (pending ones are not decided)."""
        decided = self.in_time + self.missed
        return round(100.0 * self.in_time / decided, 2) if decided else None

    @property
    def met(self) -> bool | None:
        """Whether the period meets the target so far (None with nothing decided)."""
        rate = self.rate_percent
        return None if rate is None else rate >= self.target_percent


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month0 + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def compliance(
    records: Sequence[PickupRecord],
    *,
    support_start: date,
    zone: ZoneInfo,
    now: datetime,
    target_percent: float = 75.0,
    period_months: int = 12,
) -> list[PeriodCompliance]:
    """REQ-7: per period of ``period_months`` from the support start, up to the period of now."""
    today = now.astimezone(zone).date()
    periods: list[tuple[date, date]] = []
    start = support_start
    while start <= today or not periods:
        end = add_months(support_start, period_months * (len(periods) + 1))
        periods.append((start, end))
        start = end
    counts = [[0, 0, 0, 0] for _ in periods]  # registered, in time, missed, pending
    for record in records:
        if record.cancelled:
            continue
        day = record.registered_at.astimezone(zone).date()
        index = next((i for i, (a, b) in enumerate(periods) if a <= day < b), None)
        if index is None:
            continue
        row = counts[index]
        row[0] += 1
        if record.picked_up_at is not None:
            row[1 if record.picked_up_at <= record.due_at else 2] += 1
        elif now > record.due_at:
            row[2] += 1
        else:
            row[3] += 1
    return [
        PeriodCompliance(
            index=i,
            start=a,
            end=b,
            registered=counts[i][0],
            in_time=counts[i][1],
            missed=counts[i][2],
            pending=counts[i][3],
            target_percent=target_percent,
        )
        for i, (a, b) in enumerate(periods)
    ]


# --------------------------------------------------------------------------- queue


def queue_key(
    priority_line: bool, registered_at: datetime, next_deadline: datetime | None
) -> tuple[int, float]:
    """REQ-9: priority clients first, first come first served among them; then by deadline."""
    if priority_line:
        return (0, registered_at.timestamp())
    return (1, next_deadline.timestamp() if next_deadline else float("inf"))
