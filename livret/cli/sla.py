"""``livret sla``: SLA deadlines and compliance reports.

* ``sla due`` prints the deadline a request would get (REQ-4, REQ-6), from the offer alone:
  no database is opened, so it answers before anything is installed.
* ``sla report`` prints a contract's pickup compliance per 12-month period (REQ-7) and its
  action-plan and fix deliveries (REQ-6).
* ``sla recompute`` recomputes the stored deadlines of every open request (after an offer
  migration, OFF-5).

Exit codes: 0 success, 2 bad input (one ``livret: error: …`` line on stderr, never a
traceback).
"""

from __future__ import annotations

import argparse
from typing import Any, cast

from livret.cli.common import (
    SUPPORT_TABLE,
    CommandError,
    formula_key,
    offer_sold_in,
    parse_instant,
    print_json,
    require_database,
)
from livret.core import sla
from livret.core.offer.schema import Priority
from livret.core.sla_due import would_be_due

KINDS = ("pickup", "action-plan", "fix", "validation")
PRIORITIES = ("critical", "high", "moderate")


# --------------------------------------------------------------------------- sla due


def _criticity(text: str | None) -> int | None:
    if text is None:
        return None
    if text not in ("1", "2", "3"):
        raise CommandError(f"criticity is 1, 2 or 3, not {text!r}")
    return int(text)


def due(args: argparse.Namespace) -> dict[str, Any]:
    """The deadline a request would get, as the JSON document of ``sla due``."""
    if args.kind not in KINDS:
        raise CommandError(f"unknown kind {args.kind!r} (known: {', '.join(KINDS)})")
    if args.priority is not None and args.priority not in PRIORITIES:
        raise CommandError(f"unknown priority {args.priority!r} (known: {', '.join(PRIORITIES)})")
    start = parse_instant(args.at)
    offer, territory = offer_sold_in(args.offer, args.territory)
    formula = formula_key(offer, args.formula)
    policy = sla.policy_for(offer, formula, territory)
    preview = would_be_due(
        offer,
        policy,
        sla.Clock(args.kind),
        start,
        priority=cast(Priority | None, args.priority),
        criticity=_criticity(args.criticity),
    )
    state = preview.state
    return {
        "offer": offer.id,
        "formula": formula,
        "territory": territory,
        "kind": preview.clock.value,
        "priority": preview.priority,
        "criticity": preview.criticity,
        "at": start.isoformat(),
        "due": state.due_at.isoformat(),
        "warn_at": state.warn_at.isoformat() if preview.clock in sla.VENDOR_CLOCKS else None,
        "allowed": state.allowed.label_fr(),
        "calendar": policy.calendar.name,
        "timezone": policy.calendar.timezone,
    }


def handle_due(args: argparse.Namespace) -> int:
    """``livret sla due``: the deadline of one clock, computed from the offer alone."""
    document = due(args)
    if args.json:
        print_json(document)
    else:
        print(document["due"])
    return 0


# --------------------------------------------------------------------------- database commands


def handle_report(args: argparse.Namespace) -> int:
    """``livret sla report``: REQ-7 compliance per period and REQ-6 deliveries."""
    now = parse_instant(args.at) if args.at else None
    require_database(SUPPORT_TABLE, writes=False)
    from livret.support.reports import compliance_report
    from livret.tenants.services import find_contract

    contract = find_contract(args.contract)
    if contract is None:
        raise CommandError(f"no contract {args.contract!r} (give its reference or its number)")
    report = compliance_report(contract, now)
    if args.period is not None:
        chosen = [p for p in report["periods"] if p["index"] == args.period]
        if not chosen:
            last = len(report["periods"]) - 1
            raise CommandError(f"no period {args.period} (periods 0 to {last} so far)")
        report["periods"] = chosen
    if args.json:
        print_json(report, indent=2)
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
    now = parse_instant(args.at) if args.at else None
    require_database(SUPPORT_TABLE)
    from django.utils import timezone

    from livret.support.recompute import recompute_all

    count = recompute_all(now or timezone.now(), batch=args.batch)
    print(f"recomputed the deadlines of {count} open request(s)")
    return 0


# --------------------------------------------------------------------------- parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sla`` with its ``due``, ``report`` and ``recompute`` subcommands."""
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
