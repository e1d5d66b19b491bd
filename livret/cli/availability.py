"""``livret availability``: a month's availability rate TD against the offer's target (AVL).

* ``availability compute`` computes a month's TD from an offer and a CSV of downtime
  intervals, without any database (for audits, AVL-1..3, AVL-3b).
* ``availability report`` prints the same for a stored service (needs the database).

The CSV of ``compute`` has the header ``start,end,cause`` and one interval per line: ISO 8601
instants with their UTC offset and a cause among ``livret.core.availability.CAUSES``. A CSV
whose intervals all lie outside the asked month is refused ("a month outside any data"); a
CSV with only its header is a month without downtime. Months run from 1970 to 2100.

Exit codes: 0 the question was answered (``met`` says whether the target is met), 2 bad input:
one ``livret: error: …`` line on stderr, never a traceback. ``--json`` output is stable.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from livret.cli.common import (
    CommandError,
    add_offer_arguments,
    database_errors,
    offer_sold_in,
    parse_instant,
    print_json,
    setup_django,
)
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
from livret.errors import ServiceError

FIRST_YEAR, LAST_YEAR = 1970, 2100
HEADER = ["start", "end", "cause"]


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = parse_month(text)
    except AvailabilityError as error:
        raise CommandError(f"--month: {error}") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CommandError(f"--month {text}: year must be {FIRST_YEAR} to {LAST_YEAR}")
    return year, month


def read_downtimes(path: str) -> list[Downtime]:
    """Downtime intervals of a ``start,end,cause`` CSV; errors name the line and the column."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise CommandError(f"cannot read {path}: {reason or error}") from None
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None or [cell.strip().lower() for cell in header] != HEADER:
        got = ",".join(header) if header else "an empty file"
        raise CommandError(f"{path}:1: the header must be start,end,cause (got {got})")
    found: list[Downtime] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise CommandError(f"{path}:{line}: expected 3 columns start,end,cause, got {len(row)}")
        start = parse_instant(row[0], f"{path}:{line}: column start: ")
        end = parse_instant(row[1], f"{path}:{line}: column end: ")
        cause = row[2].strip()
        if cause not in CAUSES:
            raise CommandError(
                f"{path}:{line}: column cause: unknown cause {cause!r} (known: {', '.join(CAUSES)})"
            )
        if end <= start:
            raise CommandError(
                f"{path}:{line}: column end: {end.isoformat()} is not after start "
                f"{start.isoformat()} (inverted or empty interval)"
            )
        found.append(Downtime(start, end, cause))
    return found


def _minutes(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + " min"


def _print_availability(result: MonthlyAvailability, title: str, as_json: bool) -> None:
    if as_json:
        print_json(result.as_json())
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
    year, month = _month(args.month)
    offer, territory = offer_sold_in(args.offer, args.territory, "--territory: ")
    if offer.availability is None:
        raise CommandError(
            f"offer {offer.id} has no availability commitment (no [availability] section)"
        )
    downtimes = read_downtimes(args.events)
    calendar = availability_calendar(offer, territory)
    start, end = month_bounds(year, month, calendar.zone)
    if downtimes and not any(d.start < end and start < d.end for d in downtimes):
        first = min(d.start for d in downtimes)
        last = max(d.end for d in downtimes)
        raise CommandError(
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
    title = f"Disponibilité · {offer.id} · {territory} · {result.month}"
    _print_availability(result, title, args.json)
    return 0


def handle_report(args: argparse.Namespace) -> int:
    """``livret availability report``: TD of a stored service for a month (AVL-3, AVL-4)."""
    year, month = _month(args.month)
    setup_django()
    from livret.status.reports import service_month_report

    with database_errors():
        try:
            result = service_month_report(args.service, year, month)
        except LookupError as error:
            message = str(error.args[0]) if error.args else f"no service {args.service}"
            raise CommandError(message) from None
        except ServiceError as error:  # a month out of the contract's years
            raise CommandError(f"--month {args.month}: {error.message}") from None
    _print_availability(
        result, f"Disponibilité · service {args.service} · {result.month}", args.json
    )
    return 0


# --------------------------------------------------------------------------- parser


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``availability`` with its ``compute`` and ``report`` subcommands."""
    availability = subparsers.add_parser(
        "availability", help="monthly availability TD against the offer's target (AVL-1..4)"
    )
    commands = availability.add_subparsers(dest="availability_command", metavar="{compute,report}")
    commands.required = True

    compute = commands.add_parser("compute", help="TD of a month from a CSV of downtimes")
    add_offer_arguments(compute)
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
