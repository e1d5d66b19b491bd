"""Worker jobs of the support app: the SLA alert scan and the bulk recompute of deadlines.

Breach scan (REQ-4, REQ-6; DESIGN "deadlines are stored")
---------------------------------------------------------
Every open request stores ``next_alert_at``, the instant its next 75 % warning or breach
alert is to be sent (deferred to the next opening outside the support hours, except for
criticity 1). :func:`scan_breaches` finds due requests with one query on the partial index
``request_next_alert`` and hands each one to :func:`livret.support.services.send_due_alerts`
in its own short transaction:

* **Claim.** Inside that transaction the row is claimed again with the scan's condition
  (``pk = … AND next_alert_at <= now``): ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  a second worker skips a request the first one is handling; on SQLite the transaction is
  ``IMMEDIATE`` (settings), so writers take turns and the second one finds ``next_alert_at``
  already moved past ``now``. Any number of workers can run side by side.
* **Once.** ``send_due_alerts`` records the ``SlaAlert`` row (unique per request, clock and
  level), its audit event and its outbox mail in one transaction, then moves ``next_alert_at``
  on. A worker killed before the commit leaves nothing behind: the next scan sends the alert
  (never lost); after the commit it is recorded and never planned again (never twice).
* **One bad row never blocks the queue** (:func:`livret.ops.scan.scan`). A request that raises
  is logged and skipped; its ``next_alert_at`` is pushed :data:`RETRY_AFTER` later so that it
  cannot hold the head of the queue, and it is retried then.

Bulk recompute
--------------
:func:`recompute_all` recomputes the stored deadlines of every open request from its events
(after an offer migration, OFF-5, or to check the stored columns). It gives exactly what
``services.recompute`` gives one request at a time, but splits the replay in two: a pure
Python walk over the events that only notes where each clock starts, pauses and stops
(:func:`walk`), then the calendar arithmetic for a whole batch at once with the calendar's
NumPy ``*_many`` methods (:func:`settle`), which return the same integers as the scalar calls
(CAL-7). ``tests/support/test_breach_worker.py`` checks the equality on varied histories.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from livret.core import sla
from livret.core.calendar import BusinessCalendar, to_us
from livret.core.offer.schema import Duration, Unit
from livret.ops.scan import scan
from livret.ops.worker import Job
from livret.support import services
from livret.support.models import OPEN_STATES, Kind, Request, RequestEvent, SlaAlert
from livret.tenants.models import Contract

log = logging.getLogger("livret.support.jobs")

# A request whose alerts failed is tried again this much later (it keeps its place otherwise).
RETRY_AFTER = timedelta(minutes=1)


# --------------------------------------------------------------------------- breach scan


def due_requests(now: datetime, limit: int = 500) -> list[int]:
    """Primary keys of the requests with an alert due at ``now``, earliest first (one query on
    the partial index ``request_next_alert``)."""
    query = (
        Request.objects.filter(next_alert_at__lte=now)
        .order_by("next_alert_at")
        .values_list("pk", flat=True)
    )
    return list(query[:limit])


def _claim(pk: int, now: datetime) -> bool:
    """Inside the caller's transaction: is the request still due, and ours to handle?"""
    query = Request.objects.filter(pk=pk, next_alert_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return bool(list(query.values_list("pk", flat=True)))


def _send(pk: int, now: datetime) -> int:
    """Claim one request and record its due alerts in one transaction; how many were recorded."""
    with transaction.atomic():
        if not _claim(pk, now):
            return 0  # another worker has it, or has already sent it
        return len(services.send_due_alerts(pk, now))


def _defer(pk: int, now: datetime) -> None:
    """Push a failing request back by RETRY_AFTER, so that it cannot block the scan."""
    Request.objects.filter(pk=pk, next_alert_at__lte=now).update(next_alert_at=now + RETRY_AFTER)


def scan_breaches(now: datetime, limit: int = 500) -> int:
    """Send the 75 % warnings and breach alerts due at ``now``; return how many were recorded.

    Safe with several workers at once and after a crash (see the module documentation).
    """
    recorded = scan(
        due_requests(now, limit),
        lambda pk: _send(pk, now),
        lambda pk: _defer(pk, now),
        log=log,
        failure="request %s: sending its SLA alerts failed; retried later",
    )
    if recorded:
        log.info("recorded %d SLA alert(s)", recorded)
    return recorded


def run_scan(now: datetime) -> None:
    """The ``sla-alerts`` worker job: :func:`scan_breaches` at the worker's clock."""
    scan_breaches(now)


# The SLA alert scan: 75 % warnings and breaches, once each, in every `livret worker`.
JOBS: list[Job] = [Job("sla-alerts", 30, run_scan)]


# --------------------------------------------------------------------------- bulk replay

REGISTERED, PRIORITY_SET, TAKEN = "registered", "priority-set", "taken-in-charge"
QUALIFIED, PLAN_DELIVERED, FIX_DELIVERED = "qualified", "action-plan-delivered", "fix-delivered"
WAITING, ANSWERED, VALIDATED = "waiting-for-client", "client-answered", "validated"
REJECTED, REOPENED, CLOSED, CANCELLED = "rejected", "reopened", "closed", "cancelled"
SLA_KINDS = [k.value for k in sla.EventKind]
_WITH_DATA = (REGISTERED, PRIORITY_SET, QUALIFIED)  # the events whose data the clocks read
PICKUP, ACTION_PLAN, FIX, VALIDATION = (
    sla.Clock.PICKUP,
    sla.Clock.ACTION_PLAN,
    sla.Clock.FIX,
    sla.Clock.VALIDATION,
)
CLOCK_ORDER = (PICKUP, ACTION_PLAN, FIX, VALIDATION)
_CLOCK_CODE = {clock: code for code, clock in enumerate(CLOCK_ORDER)}


class ClockPlan:
    """One clock after the walk over the events, before any calendar arithmetic (µs, UTC)."""

    __slots__ = ("allowed", "clock", "paused_since", "pauses", "start", "stopped_at")

    def __init__(self, clock: sla.Clock, start: int, allowed: Duration) -> None:
        self.clock = clock
        self.start = start
        self.allowed = allowed
        self.pauses: list[tuple[int, int]] = []
        self.paused_since: int | None = None
        self.stopped_at: int | None = None


class Walk:
    """The clocks of one request (in the order ``sla.replay`` keeps them) and its criticity."""

    __slots__ = ("criticity", "plans")

    def __init__(self, plans: dict[sla.Clock, ClockPlan], criticity: int | None) -> None:
        self.plans = plans
        self.criticity = criticity


class PolicyTable:
    """A policy's durations looked up once (the walk asks for them for every request)."""

    def __init__(self, policy: sla.SlaPolicy) -> None:
        self.policy = policy
        self.pickup = {p: policy.pickup_duration(p) for p in (None, "critical", "high", "moderate")}
        self.delivery = {
            (clock, criticity): policy.delivery_duration(clock, criticity)
            for clock in (ACTION_PLAN, FIX)
            for criticity in (None, 1, 2, 3)
        }

    def pickup_duration(self, priority: Any) -> Duration | None:
        if priority in self.pickup:
            return self.pickup[priority]
        return self.policy.pickup_duration(priority)

    def delivery_duration(self, clock: sla.Clock, criticity: Any) -> Duration | None:
        found = self.delivery.get((clock, criticity), False)
        if found is False:
            return self.policy.delivery_duration(clock, criticity)
        return found  # type: ignore[return-value]


CoreEvent = tuple[str, int, Any, Any]  # kind, instant (µs, UTC), priority, criticity


def walk(table: PolicyTable, events: Iterable[CoreEvent]) -> Walk:
    """``sla.replay`` without the calendar: where each clock starts, pauses and stops.

    Mirrors ``sla.replay`` event for event (same dictionary operations, so the same clock
    order); :func:`settle` then does the arithmetic ``replay`` does inline.
    """
    plans: dict[sla.Clock, ClockPlan] = {}
    registered_at: int | None = None
    criticity: int | None = None
    policy = table.policy

    def stop(plan: ClockPlan | None, at: int) -> None:
        if plan is not None and plan.stopped_at is None:
            if plan.paused_since is not None:
                plan.pauses.append((plan.paused_since, max(at, plan.paused_since)))
                plan.paused_since = None
            plan.stopped_at = at

    def start(clock: sla.Clock, at: int, allowed: Duration | None) -> None:
        if allowed is None:
            plans.pop(clock, None)
        else:
            plans[clock] = ClockPlan(clock, at, allowed)

    for kind, at, priority, event_criticity in sorted(events, key=itemgetter(1)):
        if kind == REGISTERED:
            registered_at = at
            start(PICKUP, at, table.pickup_duration(priority))
        elif kind == TAKEN:
            stop(plans.get(PICKUP), at)
        elif kind == QUALIFIED:
            stop(plans.get(PICKUP), at)
            criticity = event_criticity
            plans.pop(VALIDATION, None)
            start(ACTION_PLAN, at, table.delivery_duration(ACTION_PLAN, criticity))
            start(FIX, at, table.delivery_duration(FIX, criticity))
        elif kind == WAITING:
            if policy.pause_while_waiting:
                for clock in (ACTION_PLAN, FIX):
                    plan = plans.get(clock)
                    if plan and plan.stopped_at is None and plan.paused_since is None:
                        plan.paused_since = at
        elif kind == ANSWERED:
            for clock in (ACTION_PLAN, FIX):
                plan = plans.get(clock)
                if plan and plan.paused_since is not None:
                    plan.pauses.append((plan.paused_since, max(at, plan.paused_since)))
                    plan.paused_since = None
        elif kind == PLAN_DELIVERED:
            stop(plans.get(ACTION_PLAN), at)
            start(VALIDATION, at, policy.validation)
        elif kind == FIX_DELIVERED:
            stop(plans.get(ACTION_PLAN), at)
            stop(plans.get(FIX), at)
            start(VALIDATION, at, policy.validation)
        elif kind == PRIORITY_SET:
            pickup = plans.get(PICKUP)
            if registered_at is not None:
                stopped = pickup.stopped_at if pickup else None
                start(PICKUP, registered_at, table.pickup_duration(priority))
                if stopped is not None and PICKUP in plans:
                    plans[PICKUP].stopped_at = stopped
        elif kind == VALIDATED:
            stop(plans.get(VALIDATION), at)
        elif kind in (REJECTED, REOPENED):
            stop(plans.get(VALIDATION), at)
            start(ACTION_PLAN, at, table.delivery_duration(ACTION_PLAN, criticity))
            start(FIX, at, table.delivery_duration(FIX, criticity))
        elif kind in (CLOSED, CANCELLED):
            for plan in list(plans.values()):
                stop(plan, at)
    return Walk(plans, criticity)


@dataclass(frozen=True)
class Deadlines:
    """The stored SLA columns of one request (µs, UTC; None where there is no such clock)."""

    pickup_due: int | None = None
    action_plan_due: int | None = None
    fix_due: int | None = None
    validation_due: int | None = None
    next_deadline: int | None = None
    next_alert: int | None = None
    breached: tuple[str, ...] = ()


COLUMNS = (
    "pickup_due",
    "action_plan_due",
    "fix_due",
    "validation_due",
    "next_deadline",
    "next_alert",
)
NONE = int(np.iinfo(np.int64).min)  # "no such instant" in the int64 columns
_FAR = int(np.iinfo(np.int64).max)
_WARN_NUM, _WARN_DEN = sla.WARNING_FRACTION.as_integer_ratio()


@dataclass
class Settled:
    """The stored SLA columns of many requests: int64 µs arrays (NONE for null) and lists."""

    columns: dict[str, np.ndarray]
    breached: list[tuple[str, ...]]

    @classmethod
    def empty(cls, n: int) -> Settled:
        return cls({name: np.full(n, NONE, dtype=np.int64) for name in COLUMNS}, [()] * n)

    def put(self, index: int, found: Deadlines) -> None:
        for name in COLUMNS:
            value = getattr(found, name)
            self.columns[name][index] = NONE if value is None else value
        self.breached[index] = found.breached

    def deadlines(self, index: int) -> Deadlines:
        values = {name: int(self.columns[name][index]) for name in COLUMNS}
        return Deadlines(
            **{k: None if v == NONE else v for k, v in values.items()},
            breached=self.breached[index],
        )


def _scale_like_timedelta(us: np.ndarray) -> np.ndarray:
    """``timedelta * WARNING_FRACTION`` on µs arrays, rounded half to even as CPython does."""
    q, r = np.divmod(us * _WARN_NUM, _WARN_DEN)
    twice = 2 * r
    return q + ((twice > _WARN_DEN) | ((twice == _WARN_DEN) & (q % 2 == 1)))


def _add_many(cal: BusinessCalendar, start: np.ndarray, duration: Duration) -> np.ndarray:
    """``sla.add_duration`` over an array of starts (µs)."""
    amount = duration.amount
    if duration.unit is Unit.BUSINESS_HOURS:
        return np.asarray(cal.add_business_time_many(start, timedelta(hours=amount)))
    if duration.unit in (Unit.BUSINESS_DAYS, Unit.CALENDAR_DAYS):
        if not float(amount).is_integer():
            raise sla.SlaError(f"{duration.label_fr()}: days must be a whole number")
        if duration.unit is Unit.BUSINESS_DAYS:
            return np.asarray(cal.add_business_days_many(start, int(amount)))
        return np.asarray(cal.add_calendar_days_many(start, int(amount)))
    # plain hours and minutes (no preset uses them): the scalar path, instant by instant
    return np.array(
        [
            to_us(sla.add_duration(cal, _EPOCH + timedelta(microseconds=int(x)), duration))
            for x in start
        ],
        dtype=np.int64,
    )


def settle(
    policy: sla.SlaPolicy,
    walks: Sequence[Walk],
    sent: Sequence[set[tuple[str, str, int | None]]],
    now_us: int,
) -> Settled:
    """The calendar arithmetic of ``sla.replay``, ``sla.alerts`` and ``services.recompute`` for
    many requests of one policy at once (bulk calendar calls, same integers as the scalar ones).
    """
    cal = policy.calendar
    m = len(walks)
    out = Settled.empty(m)
    owner_list: list[int] = []
    plans: list[ClockPlan] = []
    for index, walked in enumerate(walks):
        for plan in walked.plans.values():
            owner_list.append(index)
            plans.append(plan)
    n = len(plans)
    if not n:
        return out
    owners = np.array(owner_list, dtype=np.intp)
    start = np.fromiter((p.start for p in plans), dtype=np.int64, count=n)
    code = np.fromiter((_CLOCK_CODE[p.clock] for p in plans), dtype=np.int8, count=n)
    has_stop = np.fromiter((p.stopped_at is not None for p in plans), dtype=bool, count=n)
    stopped = np.fromiter(
        (NONE if p.stopped_at is None else p.stopped_at for p in plans), dtype=np.int64, count=n
    )
    is_paused = np.fromiter((p.paused_since is not None for p in plans), dtype=bool, count=n)

    # base deadline: sla.add_duration, grouped by duration
    base = np.zeros(n, dtype=np.int64)
    by_duration: dict[int, list[int]] = defaultdict(list)  # the policy's Duration objects
    for i, plan in enumerate(plans):
        by_duration[id(plan.allowed)].append(i)
    for indices in by_duration.values():
        picked = np.array(indices, dtype=np.intp)
        base[picked] = _add_many(cal, start[picked], plans[indices[0]].allowed)

    # REQ-6b: the deadline moves later by the business time spent waiting
    due = base
    pause_owner = [i for i, plan in enumerate(plans) for _ in plan.pauses]
    if pause_owner:
        pa = np.array([a for plan in plans for a, _ in plan.pauses], dtype=np.int64)
        pb = np.array([b for plan in plans for _, b in plan.pauses], dtype=np.int64)
        paused = np.zeros(n, dtype=np.int64)
        np.add.at(
            paused, np.array(pause_owner, dtype=np.intp), cal.business_time_between_many(pa, pb)
        )
        moved = paused != 0
        if moved.any():
            due = base.copy()
            due[moved] = cal.add_business_time_many(base[moved], paused[moved])

    # 75 % of the allowed business time (sla._freeze)
    allowed = cal.business_time_between_many(start, due)
    warn = np.minimum(cal.add_business_time_many(start, _scale_like_timedelta(allowed)), due)

    running = ~has_stop & ~is_paused
    breached = np.where(has_stop, stopped > due, ~is_paused & (now_us > due))
    vendor = code <= CLOCK_ORDER.index(FIX)
    live = vendor & running

    # alerts still to send (sla.alerts): deferred to the next opening unless urgent
    warn_sent = np.zeros(n, dtype=bool)
    breach_sent = np.zeros(n, dtype=bool)
    for i, plan in enumerate(plans):
        done = sent[owner_list[i]]
        if done:
            warn_sent[i] = (plan.clock.value, "warning", plan.start) in done
            breach_sent[i] = (plan.clock.value, "breach", plan.start) in done
    criticity_1 = np.fromiter((w.criticity == 1 for w in walks), dtype=bool, count=m)
    urgent = criticity_1[owners] & (code != 0)
    pick_w, pick_b = live & ~warn_sent, live & ~breach_sent
    x = np.concatenate([warn[pick_w], due[pick_b]])
    if len(x):
        inside = cal.is_open_many(x) | cal.is_open_many(x - 1)
        now_or_urgent = np.concatenate([urgent[pick_w], urgent[pick_b]]) | inside
        send_at = np.where(now_or_urgent, x, cal.next_opening_many(x))
        next_alert = np.full(m, _FAR, dtype=np.int64)
        np.minimum.at(next_alert, np.concatenate([owners[pick_w], owners[pick_b]]), send_at)
        out.columns["next_alert"] = np.where(next_alert == _FAR, NONE, next_alert)
    if live.any():
        next_deadline = np.full(m, _FAR, dtype=np.int64)
        np.minimum.at(next_deadline, owners[live], due[live])
        out.columns["next_deadline"] = np.where(next_deadline == _FAR, NONE, next_deadline)
    for k, name in enumerate(COLUMNS[:4]):
        mine = code == k
        out.columns[name][owners[mine]] = due[mine]
    late: dict[int, list[str]] = defaultdict(list)
    for i in np.nonzero(breached)[0].tolist():  # in plan order, so in replay's clock order
        late[owner_list[i]].append(plans[i].clock.value)
    for index, clocks in late.items():
        out.breached[index] = tuple(clocks)
    return out


# --------------------------------------------------------------------------- bulk recompute

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def deadlines_of(request: Request) -> Deadlines:
    """The stored SLA columns of a request, as :class:`Deadlines` (to compare paths)."""

    def us(value: datetime | None) -> int | None:
        return None if value is None else to_us(value)

    return Deadlines(
        pickup_due=us(request.pickup_due_at),
        action_plan_due=us(request.action_plan_due_at),
        fix_due=us(request.fix_due_at),
        validation_due=us(request.validation_due_at),
        next_deadline=us(request.next_deadline_at),
        next_alert=us(request.next_alert_at),
        breached=tuple(request.breached),
    )


def _scalar(pk: int, now: datetime) -> Deadlines | None:
    """``services.recompute`` for one request (the fallback when a bulk group fails)."""
    try:
        request = Request.objects.select_related("contract").get(pk=pk)
        services.recompute(request, now)
        return deadlines_of(request)
    except Exception:
        log.exception("request %s: its deadlines could not be recomputed", pk)
        return None


def _raw(query: Any) -> list[tuple[Any, ...]]:
    """Rows of a values_list query without Django's per-value converters (they dominate)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _of_requests(ids: set[int]) -> Q:
    """The rows of these requests: a primary-key range when the batch is dense (Django prepares
    an IN list value by value, which costs more than the query), else the list."""
    lo, hi = min(ids), max(ids)
    if hi - lo < 2 * len(ids):
        return Q(request_id__gte=lo, request_id__lte=hi)
    return Q(request_id__in=sorted(ids))


def _events(ids: set[int]) -> dict[int, list[CoreEvent]]:
    """The clock events of the requests, as (kind, µs, priority, criticity), in seq order."""
    query = (
        RequestEvent.objects.filter(_of_requests(ids), kind__in=SLA_KINDS)
        .order_by("request_id", "seq")
        .annotate(
            priority=KeyTextTransform("priority", "data"),
            criticity=KeyTextTransform("criticity", "data"),
        )
    )
    if connection.vendor == "sqlite":  # naive UTC text, parsed below in one NumPy call
        query = query.annotate(at_text=Cast("at", TextField()))
        rows = _raw(query.values_list("request_id", "kind", "at_text", "priority", "criticity"))
    else:
        rows = _raw(query.values_list("request_id", "kind", "at", "priority", "criticity"))
    if not rows:
        return {}
    if isinstance(rows[0][2], str):
        instants = np.array([r[2] for r in rows], dtype="datetime64[us]").astype(np.int64).tolist()
    else:
        instants = [to_us(r[2]) for r in rows]
    events: dict[int, list[CoreEvent]] = defaultdict(list)
    for (request_id, kind, _, priority, criticity), at in zip(rows, instants, strict=True):
        if request_id in ids:
            if isinstance(criticity, str):  # PostgreSQL's ->> gives text
                criticity = int(criticity) if criticity.isdigit() else criticity
            events[request_id].append((kind, at, priority, criticity))
    return events


def compute_batch(rows: Sequence[tuple[int, str, int]], now: datetime) -> Settled:
    """Stored SLA columns of requests given as (pk, kind, contract_id), from their events."""
    out = Settled.empty(len(rows))
    position = {pk: i for i, (pk, _, _) in enumerate(rows)}
    ids = {pk for pk, kind, _ in rows if kind == Kind.ANOMALY}
    if not ids:
        return out
    events = _events(ids)
    sent: dict[int, set[tuple[str, str, int | None]]] = defaultdict(set)
    alerts = SlaAlert.objects.filter(_of_requests(ids))
    rows_sent = alerts.values_list("request_id", "clock", "level", "clock_started_at")
    for request_id, clock, level, started in rows_sent:
        if request_id in ids:
            sent[request_id].add((clock, level, to_us(started) if started else None))
    contracts = Contract.objects.in_bulk({contract_id for _, _, contract_id in rows})
    groups: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    contract_of = {}
    for pk, kind, contract_id in rows:
        if kind == Kind.ANOMALY:
            contract = contracts[contract_id]
            contract_of[pk] = contract
            groups[(contract.offer_version_id, contract.formula, contract.territory)].append(pk)
    now_us = to_us(now)
    for members in groups.values():
        try:
            policy = services.policy(contract_of[members[0]])
            table = PolicyTable(policy)
            walks = [walk(table, events.get(pk, ())) for pk in members]
            found = settle(policy, walks, [sent[pk] for pk in members], now_us)
        except Exception:
            log.exception("bulk recompute failed for %d request(s); one by one", len(members))
            for pk in members:
                one = _scalar(pk, now)
                if one is not None:
                    out.put(position[pk], one)
            continue
        where = np.array([position[pk] for pk in members], dtype=np.intp)
        for name in COLUMNS:
            out.columns[name][where] = found.columns[name]
        for pk, late in zip(members, found.breached, strict=True):
            out.breached[position[pk]] = late
    return out


# SQLite stores a datetime as Django writes it, ``str()`` of the naive UTC value
# ("2026-11-19 09:00:00", with ".ffffff" only when there are microseconds): SQLite formats
# the integer microseconds itself, which is much faster than doing it in Python.
_SQLITE_TEXT = (
    "CASE WHEN %s IS NULL THEN NULL ELSE strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s / 1000000, "
    "'unixepoch') || CASE WHEN %s %% 1000000 = 0 THEN '' ELSE printf('.%%06d', %s %% 1000000) "
    "END END"
)


def _write(pks: Sequence[int], counts: Sequence[int], settled: Settled) -> None:
    """One UPDATE per request, kept only if no event was added since it was read (CAS)."""
    if not pks:
        return
    meta = Request._meta
    quote = connection.ops.quote_name
    sqlite = connection.vendor == "sqlite"
    fields = [meta.get_field(f"{name}_at") for name in COLUMNS]
    breached_field = meta.get_field("breached")
    value = _SQLITE_TEXT if sqlite else "%s"
    assignments = [f"{quote(f.column)} = {value}" for f in fields]
    assignments.append(f"{quote(breached_field.column)} = %s")
    table = quote(meta.db_table)
    where = f"{quote(meta.pk.column)} = %s AND {quote(meta.get_field('event_count').column)} = %s"
    sql = f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}"  # noqa: S608
    arguments: list[list[Any]] = []
    for name in COLUMNS:
        values = settled.columns[name].astype(object)
        values[settled.columns[name] == NONE] = None
        if sqlite:  # the SQL formats the integer; each expression reads it four times
            arguments.extend([values.tolist()] * 4)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            arguments.append(
                [None if v is None else adapt(_EPOCH + timedelta(microseconds=v)) for v in values]
            )
    prepared: dict[tuple[str, ...], Any] = {}
    for late in settled.breached:
        if late not in prepared:
            prepared[late] = breached_field.get_db_prep_save(list(late), connection)
    arguments += [[prepared[late] for late in settled.breached], list(pks), list(counts)]
    params = list(zip(*arguments, strict=True))
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def recompute_all(now: datetime, batch: int = 1000) -> int:
    """Recompute the stored deadlines of every open request; return how many were computed.

    Requests are read in primary-key order, ``batch`` rows per transaction (the state is
    filtered here, not in SQL, so that the scan follows the primary key whatever the planner
    thinks of the state index); a request changed by a service function meanwhile (new event)
    keeps what that function stored.
    """
    done = 0
    last = 0
    open_states = set(OPEN_STATES)
    while True:
        with transaction.atomic():
            rows = list(
                Request.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "kind", "contract_id", "event_count", "state")[:batch]
            )
            if not rows:
                break
            live = [row for row in rows if row[4] in open_states]
            if live:
                settled = compute_batch([(pk, kind, c) for pk, kind, c, _, _ in live], now)
                _write([r[0] for r in live], [r[3] for r in live], settled)
        done += len(live)
        last = rows[-1][0]
    return done
