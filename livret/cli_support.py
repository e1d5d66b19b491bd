"""``livret sla`` and ``livret audit``: SLA deadlines, compliance reports, the audit trail.

* ``sla due`` prints the deadline a request would get (REQ-4, REQ-6), from the offer alone:
  no database is opened, so it answers before anything is installed.
* ``sla report`` prints a contract's pickup compliance per 12-month period (REQ-7) and its
  action-plan and fix deliveries (REQ-6).
* ``sla recompute`` recomputes the stored deadlines of every open request (after an offer
  migration, OFF-5).
* ``audit verify`` walks every request's hash chain (REQ-11) and names the first broken event.

Exit codes: 0 success, 1 ``audit verify`` found a broken chain, 2 bad input (one
``livret: error: …`` line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, cast

from livret.cli_common import InputError, fail, load_offer, parse_instant
from livret.core import sla
from livret.core.calendar import CalendarError
from livret.core.offer import Offer
from livret.core.offer.schema import Priority
from livret.core.territory import UnknownTerritoryError, get_territory

EXIT_BROKEN = 1
KINDS = ("pickup", "action-plan", "fix", "validation")
PRIORITIES = ("critical", "high", "moderate")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --------------------------------------------------------------------------- sla due


def _criticity(args: argparse.Namespace, policy: sla.SlaPolicy) -> int | None:
    """The criticity the clock is asked for (default: the first one the offer names)."""
    if args.criticity is None:
        if args.kind in ("action-plan", "fix"):
            clock = sla.Clock(args.kind)
            rule = policy.action_plan if clock is sla.Clock.ACTION_PLAN else policy.fix
            return min(rule[0]) if rule else None
        return None
    if args.criticity not in ("1", "2", "3"):
        raise InputError(f"criticity is 1, 2 or 3, not {args.criticity!r}")
    return int(args.criticity)


def due(args: argparse.Namespace) -> dict[str, Any]:
    """The deadline a request would get: replay the events that start the asked clock."""
    if args.kind not in KINDS:
        raise InputError(f"unknown kind {args.kind!r} (known: {', '.join(KINDS)})")
    if args.priority is not None and args.priority not in PRIORITIES:
        raise InputError(f"unknown priority {args.priority!r} (known: {', '.join(PRIORITIES)})")
    start = parse_instant(args.at)
    offer = load_offer(args.offer)
    try:
        territory = get_territory(args.territory).code
    except UnknownTerritoryError as error:
        raise InputError(str(error)) from None
    if territory not in offer.territories.codes():
        raise InputError(f"offer {offer.id} is not sold in territory {territory}")
    try:
        formula = offer.formula(args.formula)[0]
    except KeyError as error:
        raise InputError(str(error.args[0])) from None
    policy = sla.policy_for(offer, formula, territory)
    criticity = _criticity(args, policy)
    targets = offer.support.pickup.get(formula) if offer.support else None
    by_priority = bool(targets and (targets.critical or targets.high or targets.moderate))
    # a request's priority defaults to moderate (Request.priority)
    priority = cast(Priority | None, args.priority or ("moderate" if by_priority else None))
    clock = sla.Clock(args.kind)
    events = [sla.Event(sla.EventKind.REGISTERED, start, priority=priority)]
    if clock is not sla.Clock.PICKUP:
        events.append(sla.Event(sla.EventKind.QUALIFIED, start, criticity=criticity))
    if clock is sla.Clock.VALIDATION:
        events.append(sla.Event(sla.EventKind.FIX_DELIVERED, start))
    state = sla.replay(policy, events).clocks.get(clock)
    if state is None:
        raise InputError(_no_clock(offer, formula, clock, criticity, policy))
    return {
        "offer": offer.id,
        "formula": formula,
        "territory": territory,
        "kind": clock.value,
        "priority": priority,
        "criticity": criticity if clock is not sla.Clock.PICKUP else None,
        "at": start.isoformat(),
        "due": state.due_at.isoformat(),
        "warn_at": state.warn_at.isoformat() if clock in sla.VENDOR_CLOCKS else None,
        "allowed": state.allowed.label_fr(),
        "calendar": policy.calendar.name,
        "timezone": policy.calendar.timezone,
    }


def _no_clock(
    offer: Offer, formula: str, clock: sla.Clock, criticity: int | None, policy: sla.SlaPolicy
) -> str:
    where = f"offer {offer.id}, formula {formula}"
    if clock is sla.Clock.PICKUP:
        return f"{where} has no pickup deadline"
    if clock is sla.Clock.VALIDATION:
        return f"{where} has no client validation deadline"
    rule = policy.action_plan if clock is sla.Clock.ACTION_PLAN else policy.fix
    if rule is None:
        return f"{where} has no {clock.value} deadline"
    known = ", ".join(str(c) for c in sorted(rule[0]))
    return f"{where}: no {clock.value} deadline for criticity {criticity} (only {known})"


def handle_due(args: argparse.Namespace) -> int:
    """``livret sla due``: the deadline of one clock, computed from the offer alone."""
    try:
        document = due(args)
    except (InputError, CalendarError, sla.SlaError) as error:
        return fail(str(error))
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
    else:
        print(document["due"])
    return 0


# --------------------------------------------------------------------------- database commands


def _setup() -> None:
    from django.db import connection
    from django.db.utils import DatabaseError

    from livret.cli import setup_django

    setup_django()
    try:
        ready = "support_request" in connection.introspection.table_names()
    except DatabaseError:
        ready = False
    if not ready:
        raise InputError("the database is not set up: run `livret manage migrate` first")


def _contract(reference: str) -> Any:
    from livret.tenants.models import Contract

    query = Contract.objects.select_related("offer_version")
    found = query.filter(reference=reference).first()
    if found is None and reference.isdigit():
        found = query.filter(pk=int(reference)).first()
    if found is None:
        raise InputError(f"no contract {reference!r} (give its reference or its number)")
    return found


def handle_report(args: argparse.Namespace) -> int:
    """``livret sla report``: REQ-7 compliance per period and REQ-6 deliveries."""
    try:
        now = parse_instant(args.at) if args.at else None
        _setup()
        contract = _contract(args.contract)
        from livret.support.reports import compliance_report

        report = compliance_report(contract, now)
        if args.period is not None:
            chosen = [p for p in report["periods"] if p["index"] == args.period]
            if not chosen:
                last = len(report["periods"]) - 1
                raise InputError(f"no period {args.period} (periods 0 to {last} so far)")
            report["periods"] = chosen
    except InputError as error:
        return fail(str(error))
    if args.json:
        _print_json(report)
        return 0
    target = report["target_percent"]
    promise = (
        f"target {target} % ({report['source']})"
        if target is not None
        else "no pickup commitment in the booklet"
    )
    print(f"{report['contract']} · {report['offer']} · {report['formula']} · {promise}")
    for period in report["periods"]:
        rate = "-" if period["rate_percent"] is None else f"{period['rate_percent']} %"
        verdict = {True: "met", False: "NOT MET", None: "-"}[period["met"]]
        print(
            f"  period {period['index']}  {period['start']} → {period['end']}  "
            f"registered {period['registered']}  in time {period['in_time']}  "
            f"missed {period['missed']}  pending {period['pending']}  {rate}  {verdict}"
        )
    for row in report["deliveries"]:
        print(
            f"  {row['clock']} (criticity {row['criticity']}): met {row['met']}, "
            f"late {row['late']}, overdue {row['overdue']}, running {row['running']}"
        )
    return 0


def handle_recompute(args: argparse.Namespace) -> int:
    """``livret sla recompute``: the stored deadlines of every open request, from the events."""
    try:
        now = parse_instant(args.at) if args.at else None
        _setup()
    except InputError as error:
        return fail(str(error))
    from django.utils import timezone

    from livret.support.recompute import recompute_all

    count = recompute_all(now or timezone.now(), batch=args.batch)
    print(f"recomputed the deadlines of {count} open request(s)")
    return 0


# --------------------------------------------------------------------------- audit verify


def chain_breaks(batch: int = 500) -> Iterator[tuple[str, int, int, Any]]:
    """Walk every request's chain; yield (number, pk, events, break or None) per request."""
    from livret.core.audit import ChainLink, first_break
    from livret.support.models import Request, RequestEvent
    from livret.support.services import event_payload

    last = 0
    while True:
        requests = list(
            Request.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "number", "event_count", "last_event_hash")[:batch]
        )
        if not requests:
            return
        by_pk = {r.pk: r for r in requests}
        chains: dict[int, list[ChainLink]] = {pk: [] for pk in by_pk}
        events = RequestEvent.objects.filter(request_id__in=list(by_pk)).order_by(
            "request_id", "seq"
        )
        for event in events.iterator(chunk_size=2000):
            event.request = by_pk[event.request_id]  # no query per event
            chains[event.request_id].append(
                ChainLink(event.seq, event_payload(event), event.prev_hash, event.hash)
            )
        for pk, request in by_pk.items():
            links = chains[pk]
            found = first_break(
                links, head_hash=request.last_event_hash or None, count=request.event_count
            )
            yield request.number or f"#{pk}", pk, len(links), found
        last = requests[-1].pk


def handle_verify(args: argparse.Namespace) -> int:
    """``livret audit verify``: every chain intact, or the first broken event of each."""
    try:
        _setup()
    except InputError as error:
        return fail(str(error))
    requests = events = broken = 0
    for number, _, count, found in chain_breaks():
        requests += 1
        events += count
        if found is not None:
            broken += 1
            print(f"{number}: event {found.seq}: {found.reason}")
    if broken:
        print(f"broken: {broken} of {requests} requests", file=sys.stderr)
        return EXIT_BROKEN
    print(f"ok: {requests} requests, {events} events")
    return 0


# --------------------------------------------------------------------------- parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sla`` (due, report, recompute) and ``audit`` (verify)."""
    sla_parser = subparsers.add_parser("sla", help="SLA deadlines and compliance (REQ-4..7)")
    commands = sla_parser.add_subparsers(dest="sla_command", metavar="{due,report,recompute}")
    commands.required = True

    p = commands.add_parser("due", help="the deadline a request would get (no database)")
    p.add_argument("--offer", required=True, help="preset id or offer file (.toml)")
    p.add_argument("--formula", help="formula of the contract (default: the offer's)")
    p.add_argument("--territory", default="metropole", help="metropole, 6AE, 57, 971 … ")
    p.add_argument("--priority", help="critical, high or moderate (Q; default moderate)")
    p.add_argument("--kind", required=True, help="pickup, action-plan, fix or validation")
    p.add_argument(
        "--criticity", help="1, 2 or 3 for action-plan and fix (default: the first the offer names)"
    )
    p.add_argument(
        "--at",
        required=True,
        metavar="ISO8601",
        help="registration (pickup), qualification (action-plan, fix) or delivery (validation)",
    )
    p.add_argument("--json", action="store_true", help="print stable JSON")
    p.set_defaults(handler=handle_due)

    p = commands.add_parser("report", help="pickup compliance per period and deliveries")
    p.add_argument("--contract", required=True, metavar="ID", help="contract reference or number")
    p.add_argument("--period", type=int, metavar="N", help="only the period of this index (0 …)")
    p.add_argument("--at", metavar="ISO8601", help="compute as of this instant (default: now)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handle_report)

    p = commands.add_parser("recompute", help="recompute the stored deadlines of open requests")
    p.add_argument("--at", metavar="ISO8601", help="as of this instant (default: now)")
    p.add_argument("--batch", type=int, default=1000, help="requests per transaction")
    p.set_defaults(handler=handle_recompute)

    audit = subparsers.add_parser("audit", help="the requests' audit trail (REQ-11)")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="{verify}")
    audit_commands.required = True
    p = audit_commands.add_parser("verify", help="check every hash chain; exit 1 if broken")
    p.set_defaults(handler=handle_verify)
