"""The bulk recompute of the stored SLA columns of every open request (REQ-4, REQ-6, REQ-6b).

:func:`recompute_all` recomputes the stored deadlines of every open request from its events
(after an offer migration, OFF-5, or to check the stored columns). It gives exactly what
``services.recompute`` gives one request at a time, with the core's two halves of the replay:
:func:`livret.core.sla.walk` over each request's events (integer µs instants), then
:func:`livret.core.sla_bulk.settle` for the calendar arithmetic of a whole batch at once (the
calendar's NumPy ``*_many`` methods, same integers as the scalar calls, CAL-7). Here live only
the database sides: reading the events and the alerts already sent of a batch, and writing
the columns back with a compare-and-swap on the event count.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from livret.core import sla
from livret.core.calendar import to_us
from livret.core.sla_bulk import COLUMNS, NONE, Deadlines, Settled, settle
from livret.support import services
from livret.support.models import OPEN_STATES, Kind, Request, RequestEvent, SlaAlert
from livret.tenants.models import Contract

log = logging.getLogger("livret.support.recompute")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KINDS = {kind.value: kind for kind in sla.EventKind}  # the events that move the clocks

WalkEvent = sla.WalkEvent[int]


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


def _events(ids: set[int]) -> dict[int, list[WalkEvent]]:
    """The clock events of the requests, as (kind, µs, priority, criticity), in seq order."""
    query = (
        RequestEvent.objects.filter(_of_requests(ids), kind__in=list(_KINDS))
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
    events: dict[int, list[WalkEvent]] = defaultdict(list)
    for (request_id, kind, _, priority, criticity), at in zip(rows, instants, strict=True):
        if request_id in ids:
            if isinstance(criticity, str):  # PostgreSQL's ->> gives text
                criticity = int(criticity) if criticity.isdigit() else criticity
            events[request_id].append((_KINDS[kind], at, priority, criticity))
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
            walks = [sla.walk(policy, events.get(pk, ())) for pk in members]
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
