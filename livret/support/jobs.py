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
* **One bad row never blocks the queue.** A request that raises is logged and skipped; its
  ``next_alert_at`` is pushed :data:`RETRY_AFTER` later so that it cannot hold the head of the
  queue, and it is retried then.

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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction

from livret.core import sla
from livret.core.calendar import BusinessCalendar, to_us
from livret.core.offer.schema import Duration, Unit
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


def _defer(pk: int, now: datetime) -> None:
    """Push a failing request back by RETRY_AFTER, so that it cannot block the scan."""
    try:
        Request.objects.filter(pk=pk, next_alert_at__lte=now).update(
            next_alert_at=now + RETRY_AFTER
        )
    except Exception:
        log.exception("request %s: could not defer its alerts", pk)


def scan_breaches(now: datetime, limit: int = 500) -> int:
    """Send the 75 % warnings and breach alerts due at ``now``; return how many were recorded.

    Safe with several workers at once and after a crash (see the module documentation).
    """
    recorded = 0
    for pk in due_requests(now, limit):
        try:
            with transaction.atomic():
                if not _claim(pk, now):
                    continue  # another worker has it, or has already sent it
                recorded += len(services.send_due_alerts(pk, now))
        except Exception:
            log.exception("request %s: sending its SLA alerts failed; retried later", pk)
            _defer(pk, now)
    if recorded:
        log.info("recorded %d SLA alert(s)", recorded)
    return recorded


def run_scan(now: datetime) -> None:
    """The ``sla-alerts`` worker job: :func:`scan_breaches` at the worker's clock."""
    scan_breaches(now)


# --------------------------------------------------------------------------- bulk replay


@dataclass
class ClockPlan:
    """One clock after the walk over the events, before any calendar arithmetic (µs, UTC)."""

    clock: sla.Clock
    start: int
    allowed: Duration
    pauses: list[tuple[int, int]] = field(default_factory=list)
    paused_since: int | None = None
    stopped_at: int | None = None


@dataclass
class Walk:
    """The clocks of one request (in the order ``sla.replay`` keeps them) and its criticity."""

    plans: dict[sla.Clock, ClockPlan]
    criticity: int | None


CoreEvent = tuple[sla.EventKind, int, Any, Any]  # kind, instant (µs), priority, criticity


def walk(policy: sla.SlaPolicy, events: Iterable[CoreEvent]) -> Walk:
    """``sla.replay`` without the calendar: where each clock starts, pauses and stops.

    Mirrors ``sla.replay`` event for event (same dictionary operations, so the same clock
    order); :func:`settle` then does the arithmetic ``replay`` does inline.
    """
    E = sla.EventKind
    plans: dict[sla.Clock, ClockPlan] = {}
    registered_at: int | None = None
    criticity: int | None = None

    def start(clock: sla.Clock, at: int, allowed: Duration | None) -> None:
        if allowed is None:
            plans.pop(clock, None)
            return
        plans[clock] = ClockPlan(clock, at, allowed)

    def resume(plan: ClockPlan, at: int) -> None:
        if plan.paused_since is not None:
            plan.pauses.append((plan.paused_since, max(at, plan.paused_since)))
            plan.paused_since = None

    def stop(clock: sla.Clock, at: int) -> None:
        plan = plans.get(clock)
        if plan and plan.stopped_at is None:
            resume(plan, at)
            plan.stopped_at = at

    def restart_delivery(at: int) -> None:
        for clock in (sla.Clock.ACTION_PLAN, sla.Clock.FIX):
            start(clock, at, policy.delivery_duration(clock, criticity))

    for kind, at, priority, event_criticity in sorted(events, key=lambda e: e[1]):
        if kind is E.REGISTERED:
            registered_at = at
            start(sla.Clock.PICKUP, at, policy.pickup_duration(priority))
        elif kind is E.PRIORITY_SET:
            pickup = plans.get(sla.Clock.PICKUP)
            if registered_at is not None:
                stopped = pickup.stopped_at if pickup else None
                start(sla.Clock.PICKUP, registered_at, policy.pickup_duration(priority))
                if stopped is not None and sla.Clock.PICKUP in plans:
                    plans[sla.Clock.PICKUP].stopped_at = stopped
        elif kind is E.TAKEN_IN_CHARGE:
            stop(sla.Clock.PICKUP, at)
        elif kind is E.QUALIFIED:
            stop(sla.Clock.PICKUP, at)
            criticity = event_criticity
            plans.pop(sla.Clock.VALIDATION, None)
            restart_delivery(at)
        elif kind is E.ACTION_PLAN_DELIVERED:
            stop(sla.Clock.ACTION_PLAN, at)
            start(sla.Clock.VALIDATION, at, policy.validation)
        elif kind is E.FIX_DELIVERED:
            stop(sla.Clock.ACTION_PLAN, at)
            stop(sla.Clock.FIX, at)
            start(sla.Clock.VALIDATION, at, policy.validation)
        elif kind is E.WAITING_FOR_CLIENT:
            if policy.pause_while_waiting:
                for clock in (sla.Clock.ACTION_PLAN, sla.Clock.FIX):
                    plan = plans.get(clock)
                    if plan and plan.stopped_at is None and plan.paused_since is None:
                        plan.paused_since = at
        elif kind is E.CLIENT_ANSWERED:
            for clock in (sla.Clock.ACTION_PLAN, sla.Clock.FIX):
                plan = plans.get(clock)
                if plan:
                    resume(plan, at)
        elif kind is E.VALIDATED:
            stop(sla.Clock.VALIDATION, at)
        elif kind in (E.REJECTED, E.REOPENED):
            stop(sla.Clock.VALIDATION, at)
            restart_delivery(at)
        elif kind in (E.CLOSED, E.CANCELLED):
            for clock in list(plans):
                stop(clock, at)
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


NO_SLA = Deadlines()
_I64 = np.int64
_FAR = np.iinfo(np.int64).max
_WARN_NUM, _WARN_DEN = sla.WARNING_FRACTION.as_integer_ratio()


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
        days = int(amount)
        if duration.unit is Unit.BUSINESS_DAYS:
            return np.asarray(cal.add_business_days_many(start, days))
        return np.asarray(cal.add_calendar_days_many(start, days))
    # plain hours and minutes (no preset uses them): the scalar path, instant by instant
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return np.array(
        [
            to_us(sla.add_duration(cal, epoch + timedelta(microseconds=int(x)), duration))
            for x in start
        ],
        dtype=_I64,
    )


def settle(
    policy: sla.SlaPolicy,
    walks: Sequence[Walk],
    sent: Sequence[set[tuple[str, str]]],
    now_us: int,
) -> list[Deadlines]:
    """The calendar arithmetic of ``sla.replay``, ``sla.alerts`` and ``services.recompute`` for
    many requests of one policy at once (bulk calendar calls, same integers as the scalar ones).
    """
    cal = policy.calendar
    owners: list[int] = []
    plans: list[ClockPlan] = []
    for index, walked in enumerate(walks):
        for plan in walked.plans.values():
            owners.append(index)
            plans.append(plan)
    n = len(plans)
    start = np.array([p.start for p in plans], dtype=_I64)

    # base deadline: sla.add_duration, grouped by duration
    base = np.zeros(n, dtype=_I64)
    by_duration: dict[tuple[Unit, float], list[int]] = defaultdict(list)
    for i, plan in enumerate(plans):
        by_duration[(plan.allowed.unit, plan.allowed.amount)].append(i)
    for indices in by_duration.values():
        picked = np.array(indices, dtype=np.intp)
        base[picked] = _add_many(cal, start[picked], plans[indices[0]].allowed)

    # REQ-6b: the deadline moves later by the business time spent waiting
    paused = np.zeros(n, dtype=_I64)
    pause_owner = [i for i, plan in enumerate(plans) for _ in plan.pauses]
    if pause_owner:
        pa = np.array([a for plan in plans for a, _ in plan.pauses], dtype=_I64)
        pb = np.array([b for plan in plans for _, b in plan.pauses], dtype=_I64)
        np.add.at(
            paused, np.array(pause_owner, dtype=np.intp), cal.business_time_between_many(pa, pb)
        )
    due = base.copy()
    moved = paused != 0
    if moved.any():
        due[moved] = cal.add_business_time_many(base[moved], paused[moved])

    # 75 % warning of the allowed business time (sla._freeze)
    warn = due.copy()
    if n:
        allowed = cal.business_time_between_many(start, due)
        warn = np.minimum(cal.add_business_time_many(start, _scale_like_timedelta(allowed)), due)

    stopped = np.array(
        [p.stopped_at if p.stopped_at is not None else -1 for p in plans], dtype=_I64
    )
    has_stop = np.array([p.stopped_at is not None for p in plans], dtype=bool)
    is_paused = np.array([p.paused_since is not None for p in plans], dtype=bool)
    running = ~has_stop & ~is_paused
    breached = np.where(has_stop, stopped > due, ~is_paused & (now_us > due))
    vendor = np.array([p.clock in sla.VENDOR_CLOCKS for p in plans], dtype=bool)

    # alerts still to send (sla.alerts): deferred to the next opening unless urgent
    crossing: list[int] = []
    urgent: list[bool] = []
    alert_owner: list[int] = []
    due_list, warn_list = due.tolist(), warn.tolist()
    for i, plan in enumerate(plans):
        if not (vendor[i] and running[i]):
            continue
        owner = owners[i]
        for level, instant in (
            (sla.AlertLevel.WARNING, warn_list[i]),
            (sla.AlertLevel.BREACH, due_list[i]),
        ):
            if (plan.clock.value, level.value) in sent[owner]:
                continue
            crossing.append(instant)
            urgent.append(walks[owner].criticity == 1 and plan.clock is not sla.Clock.PICKUP)
            alert_owner.append(owner)
    next_alert = np.full(len(walks), _FAR, dtype=_I64)
    if crossing:
        x = np.array(crossing, dtype=_I64)
        inside = cal.is_open_many(x) | cal.is_open_many(x - 1)
        send_at = np.where(np.array(urgent) | inside, x, cal.next_opening_many(x))
        np.minimum.at(next_alert, np.array(alert_owner, dtype=np.intp), send_at)
    next_deadline = np.full(len(walks), _FAR, dtype=_I64)
    live = np.nonzero(vendor & running)[0]
    if len(live):
        np.minimum.at(next_deadline, np.array(owners, dtype=np.intp)[live], due[live])

    columns: list[dict[sla.Clock, int]] = [{} for _ in walks]
    late: list[list[str]] = [[] for _ in walks]
    breached_list = breached.tolist()
    for i, plan in enumerate(plans):
        columns[owners[i]][plan.clock] = due_list[i]
        if breached_list[i]:
            late[owners[i]].append(plan.clock.value)
    out = []
    for index, clocks in enumerate(columns):
        alert_at, deadline = int(next_alert[index]), int(next_deadline[index])
        out.append(
            Deadlines(
                pickup_due=clocks.get(sla.Clock.PICKUP),
                action_plan_due=clocks.get(sla.Clock.ACTION_PLAN),
                fix_due=clocks.get(sla.Clock.FIX),
                validation_due=clocks.get(sla.Clock.VALIDATION),
                next_deadline=None if deadline == _FAR else deadline,
                next_alert=None if alert_at == _FAR else alert_at,
                breached=tuple(late[index]),
            )
        )
    return out


# --------------------------------------------------------------------------- bulk recompute

_SLA_KINDS = [k.value for k in sla.EventKind]
_COLUMNS = (
    ("pickup_due_at", "pickup_due"),
    ("action_plan_due_at", "action_plan_due"),
    ("fix_due_at", "fix_due"),
    ("validation_due_at", "validation_due"),
    ("next_deadline_at", "next_deadline"),
    ("next_alert_at", "next_alert"),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)


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


def compute_batch(rows: Sequence[tuple[int, str, int]], now: datetime) -> dict[int, Deadlines]:
    """Deadlines of requests given as (pk, kind, contract_id), from their stored events."""
    ids = [pk for pk, kind, _ in rows if kind == Kind.ANOMALY]
    events: dict[int, list[CoreEvent]] = defaultdict(list)
    history = (
        RequestEvent.objects.filter(request_id__in=ids, kind__in=_SLA_KINDS)
        .order_by("request_id", "seq")
        .values_list("request_id", "kind", "at", "data")
    )
    for request_id, kind, at, data in history.iterator(chunk_size=5000):
        data = data or {}
        events[request_id].append(
            (sla.EventKind(kind), to_us(at), data.get("priority"), data.get("criticity"))
        )
    sent: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for request_id, clock, level in SlaAlert.objects.filter(request_id__in=ids).values_list(
        "request_id", "clock", "level"
    ):
        sent[request_id].add((clock, level))
    contracts = Contract.objects.in_bulk({contract_id for _, _, contract_id in rows})
    groups: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for pk, kind, contract_id in rows:
        if kind == Kind.ANOMALY:
            contract = contracts[contract_id]
            groups[(contract.offer_version_id, contract.formula, contract.territory)].append(pk)
    out: dict[int, Deadlines] = {pk: NO_SLA for pk, kind, _ in rows if kind != Kind.ANOMALY}
    contract_of = {pk: contract_id for pk, _, contract_id in rows}
    now_us = to_us(now)
    for members in groups.values():
        try:
            policy = services.policy(contracts[contract_of[members[0]]])
            walks = [walk(policy, events[pk]) for pk in members]
            results = settle(policy, walks, [sent[pk] for pk in members], now_us)
            out.update(zip(members, results, strict=True))
        except Exception:
            log.exception("bulk recompute failed for %d request(s); one by one", len(members))
            for pk in members:
                found = _scalar(pk, now)
                if found is not None:
                    out[pk] = found
    return out


def _write(results: dict[int, Deadlines], counts: dict[int, int]) -> None:
    """One UPDATE per request, kept only if no event was added since it was read (CAS)."""
    if not results:
        return
    meta = Request._meta
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name, _ in _COLUMNS)
    breached_field = meta.get_field("breached")
    # Names come from the model's metadata; every value is a parameter.
    table = quote(meta.db_table)
    assignments += f", {quote(breached_field.column)} = %s"
    where = f"{quote(meta.pk.column)} = %s AND {quote(meta.get_field('event_count').column)} = %s"
    sql = f"UPDATE {table} SET {assignments} WHERE {where}"  # noqa: S608
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        [
            *(adapt(_instant(getattr(found, attribute))) for _, attribute in _COLUMNS),
            breached_field.get_db_prep_save(list(found.breached), connection),
            pk,
            counts[pk],
        ]
        for pk, found in results.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def recompute_all(now: datetime, batch: int = 1000) -> int:
    """Recompute the stored deadlines of every open request; return how many were computed.

    Requests are read in primary-key batches, each in its own transaction; a request changed
    by a service function meanwhile (new event) keeps what that function stored.
    """
    done = 0
    last = 0
    open_requests = Request.objects.filter(state__in=OPEN_STATES).order_by("pk")
    while True:
        with transaction.atomic():
            rows = list(
                open_requests.filter(pk__gt=last).values_list(
                    "pk", "kind", "contract_id", "event_count"
                )[:batch]
            )
            if not rows:
                break
            results = compute_batch([(pk, kind, c) for pk, kind, c, _ in rows], now)
            _write(results, {pk: count for pk, _, _, count in rows})
        done += len(results)
        last = rows[-1][0]
    return done
