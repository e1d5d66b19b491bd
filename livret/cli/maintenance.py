"""``livret maintenance check``: does a maintenance plan keep the offer's rules (MNT-1, MNT-2)?

It says whether the plan keeps the window, the notice and the blocking rule, and proposes the
next allowed start, without any database. Exit codes: 0 the plan was checked (``allowed`` is
the verdict), 2 bad input: one ``livret: error: …`` line on stderr. ``--json`` is stable.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from livret.cli.common import (
    CommandError,
    add_offer_arguments,
    offer_sold_in,
    parse_instant,
    print_json,
)
from livret.core.maintenance import PlanCheck, check_maintenance


def _print_check(check: PlanCheck, start: datetime, end: datetime, as_json: bool) -> None:
    if as_json:
        print_json(check.as_json())
        return
    span = f"{start.isoformat()} → {end.isoformat()}"
    if check.allowed:
        kind = "maintenance urgente, autorisée à tout moment" if check.urgent else "autorisée"
        print(f"Maintenance {span} : {kind} (allowed)")
        return
    print(f"Maintenance {span} : refusée (refused)")
    for violation in check.violations:
        print(f"  [{violation.code}] {violation.message}")
    following = check.next_allowed_start
    print(
        f"Prochain début possible (next allowed start) : "
        f"{following.isoformat() if following else 'aucun dans l’année (none within a year)'}"
    )


def handle_check(args: argparse.Namespace) -> int:
    """``livret maintenance check``: window, notice and blocking rule of a plan (MNT-1, MNT-2)."""
    start = parse_instant(args.start, "--start: ")
    end = parse_instant(args.end, "--end: ")
    announced = parse_instant(args.announced, "--announced: ")
    if end <= start:
        raise CommandError(
            f"--end {end.isoformat()} is not after --start {start.isoformat()} "
            "(inverted or empty interval)"
        )
    offer, territory = offer_sold_in(args.offer, args.territory, "--territory: ")
    check = check_maintenance(
        offer,
        start=start,
        end=end,
        announced_at=announced,
        blocking=args.blocking,
        urgent=args.urgent,
        territory=territory,
    )
    _print_check(check, start, end, args.json)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``maintenance`` with its ``check`` subcommand."""
    maintenance = subparsers.add_parser(
        "maintenance", help="check a planned maintenance against the offer (MNT-1, MNT-2)"
    )
    actions = maintenance.add_subparsers(dest="maintenance_command", metavar="{check}")
    actions.required = True
    check = actions.add_parser("check", help="window, 48 h notice and blocking work of a plan")
    add_offer_arguments(check)
    check.add_argument("--start", required=True, metavar="ISO8601", help="aware instant")
    check.add_argument("--end", required=True, metavar="ISO8601", help="aware instant")
    check.add_argument("--announced", required=True, metavar="ISO8601", help="announcement")
    check.add_argument("--blocking", action="store_true", help="the work blocks the service")
    check.add_argument(
        "--urgent", action="store_true", help="urgent maintenance: allowed at any time (MNT-2)"
    )
    check.add_argument("--json", action="store_true", help="print stable JSON")
    check.set_defaults(handler=handle_check)
