"""``livret availability`` and ``livret maintenance``: TD and maintenance plans (AVL, MNT).

* ``availability compute`` computes a month's TD from an offer and a CSV of downtime
  intervals, without any database (for audits, AVL-1..3, AVL-3b).
* ``availability report`` prints the same for a stored service (needs the database).
* ``maintenance check`` says whether a maintenance plan keeps the window, the notice and the
  blocking rule, and proposes the next allowed start (MNT-1, MNT-2), without any database.

The CSV of ``compute`` has the header ``start,end,cause`` and one interval per line: ISO 8601
instants with their UTC offset and a cause among ``livret.core.availability.CAUSES``. A CSV
whose intervals all lie outside the asked month is refused ("a month outside any data"); a
CSV with only its header is a month without downtime. Months run from 1970 to 2100.

Exit codes: 0 the question was answered (``maintenance check`` says in ``allowed`` whether the
plan keeps the rules, like ``availability compute`` says in ``met`` whether the target is
met), 2 bad input: one ``livret: error: …`` line on stderr, never a traceback. ``--json``
output is stable.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import datetime
from pathlib import Path

from livret.cli_common import InputError, fail, load_offer, parse_instant
from livret.core.availability import (
    CAUSES,
    AvailabilityError,
    Downtime,
    MonthlyAvailability,
    availability_calendar,
    month_bounds,
    monthly_availability,
    parse_month,
)
from livret.core.calendar import CalendarError
from livret.core.maintenance import MaintenanceError, PlanCheck, check_maintenance
from livret.core.offer import Offer
from livret.core.territory import UnknownTerritoryError, get_territory

FIRST_YEAR, LAST_YEAR = 1970, 2100
HEADER = ["start", "end", "cause"]


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = parse_month(text)
    except AvailabilityError as error:
        raise InputError(f"--month: {error}") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"--month {text}: year must be {FIRST_YEAR} to {LAST_YEAR}")
    return year, month


def _offer_in(name: str, territory: str) -> tuple[Offer, str]:
    offer = load_offer(name)
    try:
        code = get_territory(territory).code
    except UnknownTerritoryError as error:
        raise InputError(f"--territory: {error}") from None
    if code not in offer.territories.codes():
        raise InputError(f"offer {offer.id} is not sold in territory {code}")
    return offer, code


# --------------------------------------------------------------------------- availability


def read_downtimes(path: str) -> list[Downtime]:
    """Downtime intervals of a ``start,end,cause`` CSV; errors name the line and the column."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read {path}: {reason or error}") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None or [cell.strip().lower() for cell in header] != HEADER:
        got = ",".join(header) if header else "an empty file"
        raise InputError(f"{path}:1: the header must be start,end,cause (got {got})")
    found: list[Downtime] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise InputError(f"{path}:{line}: expected 3 columns start,end,cause, got {len(row)}")
        start = parse_instant(row[0], f"{path}:{line}: column start: ")
        end = parse_instant(row[1], f"{path}:{line}: column end: ")
        cause = row[2].strip()
        if cause not in CAUSES:
            raise InputError(
                f"{path}:{line}: column cause: unknown cause {cause!r} (known: {', '.join(CAUSES)})"
            )
        if end <= start:
            raise InputError(
                f"{path}:{line}: column end: {end.isoformat()} is not after start "
                f"{start.isoformat()} (inverted or empty interval)"
            )
        found.append(Downtime(start, end, cause))
    return found


def _minutes(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " min"


def _print_availability(result: MonthlyAvailability, title: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return
    excluded = ", ".join(
        f"{cause} {_minutes(minutes)}" for cause, minutes in result.excluded_minutes.items()
    )
    print(title)
    print(f"PRT (période de référence) : {_minutes(result.prt_minutes)}")
    print(f"Indisponibilité comptée (downtime) : {_minutes(result.downtime_minutes)}")
    print(f"Exclu (excluded) : {excluded or 'aucune cause exclue'}")
    verdict = {True: "atteint (met)", False: "manqué (missed)", None: "sans objectif"}[result.met]
    target = f"objectif {result.target:g} %" if result.target is not None else "pas d'objectif"
    print(f"TD = {result.td:.3f} % — {target} : {verdict}")


def handle_compute(args: argparse.Namespace) -> int:
    """``livret availability compute``: TD of a month from a CSV of downtimes (AVL-1..3)."""
    try:
        year, month = _month(args.month)
        offer, territory = _offer_in(args.offer, args.territory)
        if offer.availability is None:
            raise InputError(
                f"offer {offer.id} has no availability commitment (no [availability] section)"
            )
        downtimes = read_downtimes(args.events)
        calendar = availability_calendar(offer, territory)
        start, end = month_bounds(year, month, calendar.zone)
        if downtimes and not any(d.start < end and start < d.end for d in downtimes):
            first = min(d.start for d in downtimes)
            last = max(d.end for d in downtimes)
            raise InputError(
                f"--month {args.month} is outside the data of {args.events}: its "
                f"{len(downtimes)} intervals run from {first.isoformat()} to {last.isoformat()}"
            )
        result = monthly_availability(
            calendar,
            year,
            month,
            downtimes,
            target=offer.availability.target_percent,
            excluded_causes=offer.availability.excluded_causes,
        )
    except (InputError, AvailabilityError, CalendarError) as error:
        return fail(str(error))
    title = f"Disponibilité · {offer.id} · {territory} · {result.month}"
    _print_availability(result, title, args.json)
    return 0


def handle_report(args: argparse.Namespace) -> int:
    """``livret availability report``: TD of a stored service for a month (AVL-3, AVL-4)."""
    try:
        year, month = _month(args.month)
    except InputError as error:
        return fail(str(error))
    from livret.cli import setup_django

    setup_django()
    from django.db import DatabaseError

    from livret.status.reports import service_month_report

    try:
        result = service_month_report(args.service, year, month)
    except DatabaseError as error:
        reason = str(error).strip("'\" \n").splitlines()
        return fail(f"database: {reason[0] if reason else type(error).__name__}")
    except LookupError as error:
        return fail(str(error.args[0]) if error.args else f"no service {args.service}")
    except (AvailabilityError, CalendarError) as error:
        return fail(str(error))
    _print_availability(
        result, f"Disponibilité · service {args.service} · {result.month}", args.json
    )
    return 0


# --------------------------------------------------------------------------- maintenance


def _print_check(check: PlanCheck, start: datetime, end: datetime, as_json: bool) -> None:
    if as_json:
        print(json.dumps(check.as_json(), ensure_ascii=False))
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
    try:
        start = parse_instant(args.start, "--start: ")
        end = parse_instant(args.end, "--end: ")
        announced = parse_instant(args.announced, "--announced: ")
        if end <= start:
            raise InputError(
                f"--end {end.isoformat()} is not after --start {start.isoformat()} "
                "(inverted or empty interval)"
            )
        offer, territory = _offer_in(args.offer, args.territory)
        check = check_maintenance(
            offer,
            start=start,
            end=end,
            announced_at=announced,
            blocking=args.blocking,
            urgent=args.urgent,
            territory=territory,
        )
    except (InputError, MaintenanceError, CalendarError) as error:
        return fail(str(error))
    _print_check(check, start, end, args.json)
    return 0


# --------------------------------------------------------------------------- parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``availability`` (compute, report) and ``maintenance`` (check)."""
    availability = subparsers.add_parser(
        "availability", help="monthly availability TD against the offer's target (AVL-1..4)"
    )
    commands = availability.add_subparsers(dest="availability_command", metavar="{compute,report}")
    commands.required = True

    compute = commands.add_parser("compute", help="TD of a month from a CSV of downtimes")
    compute.add_argument("--offer", required=True, help="preset id or offer file (.toml)")
    compute.add_argument(
        "--territory", default="metropole", help="metropole, 57, 6AE, 971 … (default: metropole)"
    )
    compute.add_argument("--month", required=True, metavar="YYYY-MM")
    compute.add_argument(
        "--events", required=True, metavar="FILE.csv", help="header start,end,cause"
    )
    compute.add_argument("--json", action="store_true", help="print stable JSON")
    compute.set_defaults(handler=handle_compute)

    report = commands.add_parser("report", help="TD of a stored service for a month")
    report.add_argument("--service", required=True, type=int, metavar="ID")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--json", action="store_true", help="print stable JSON")
    report.set_defaults(handler=handle_report)

    maintenance = subparsers.add_parser(
        "maintenance", help="check a planned maintenance against the offer (MNT-1, MNT-2)"
    )
    actions = maintenance.add_subparsers(dest="maintenance_command", metavar="{check}")
    actions.required = True
    check = actions.add_parser("check", help="window, 48 h notice and blocking work of a plan")
    check.add_argument("--offer", required=True, help="preset id or offer file (.toml)")
    check.add_argument(
        "--territory", default="metropole", help="metropole, 57, 6AE, 971 … (default: metropole)"
    )
    check.add_argument("--start", required=True, metavar="ISO8601", help="aware instant")
    check.add_argument("--end", required=True, metavar="ISO8601", help="aware instant")
    check.add_argument("--announced", required=True, metavar="ISO8601", help="announcement")
    check.add_argument("--blocking", action="store_true", help="the work blocks the service")
    check.add_argument(
        "--urgent", action="store_true", help="urgent maintenance: allowed at any time (MNT-2)"
    )
    check.add_argument("--json", action="store_true", help="print stable JSON")
    check.set_defaults(handler=handle_check)
