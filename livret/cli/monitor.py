"""``livret monitor``: the PreventCare rule engine and site sizing, without a database.

``replay`` runs the MON-2 rules over a CSV of samples and prints the alerts in firing order;
``setup`` gives a site's set-up length (MON-4) and ``visits`` its preventive visits a year
(MON-5). Output with ``--json`` is stable JSON; bad input prints one ``livret: error: …`` line
on stderr and exits with status 2.

The samples file has the header ``time,server,metric,value`` (columns in any order): aware
ISO 8601 instants, a server name, a metric read by the rules (``cpu_percent``,
``memory_committed_percent``, ``pagefile_percent``, ``disk_busy_percent``,
``disk_queue_percent``, ``disk_free_percent:<volume>``, …) or ``heartbeat``, and a number.
Rows may come in any order: they are replayed in time order (rows at the same instant in file
order).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from datetime import timedelta
from pathlib import Path

from livret.cli.common import CommandError, load_offer, parse_instant, print_json
from livret.core.monitoring import (
    HEARTBEAT_METRIC,
    Alert,
    Rule,
    Sample,
    engine_settings,
    replay,
    rules_from_offer,
)
from livret.core.offer import Offer
from livret.core.sites import setup_days, visits_per_year

COLUMNS = ("time", "server", "metric", "value")


def _monitoring_offer(name: str) -> Offer:
    offer = load_offer(name)
    if offer.monitoring is None:
        raise CommandError(f"offer {offer.id!r} has no monitoring section")
    return offer


def read_samples(path: str, rules: list[Rule]) -> list[Sample]:
    """The samples of a CSV file, in time order; CommandError names the file, line and column."""
    known = {rule.metric for rule in rules} | {HEARTBEAT_METRIC}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CommandError(f"{path}:1: header: missing (expected {','.join(COLUMNS)})") from None
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise CommandError(
            f"{path}:1: {missing[0]}: column missing from the header (expected {','.join(COLUMNS)})"
        )
    extra = [name for name in header if name not in COLUMNS]
    if extra:
        raise CommandError(f"{path}:1: {extra[0]}: unknown column")
    if len(header) != len(COLUMNS):
        raise CommandError(f"{path}:1: header: a column is repeated")
    where = {name: header.index(name) for name in COLUMNS}
    samples: list[Sample] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                samples.append(_sample(path, reader.line_num, row, where, known))
    except csv.Error as error:
        raise CommandError(f"{path}:{reader.line_num}: row: unreadable ({error})") from None
    samples.sort(key=lambda sample: sample.time)
    return samples


def _sample(path: str, line: int, row: list[str], where: dict[str, int], known: set[str]) -> Sample:
    if len(row) != len(where):
        raise CommandError(f"{path}:{line}: row: {len(row)} fields, expected {len(where)}")
    cells = {name: row[index].strip() for name, index in where.items()}
    time = parse_instant(cells["time"], f"{path}:{line}: time: ")
    if not cells["server"]:
        raise CommandError(f"{path}:{line}: server: empty")
    metric = cells["metric"]
    base, colon, series = metric.partition(":")
    if base not in known:
        raise CommandError(
            f"{path}:{line}: metric: unknown metric {base!r} (known: {', '.join(sorted(known))})"
        )
    if colon and not series:
        raise CommandError(f"{path}:{line}: metric: empty series after {base!r}:")
    try:
        value = float(cells["value"])
    except ValueError:
        raise CommandError(f"{path}:{line}: value: {cells['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise CommandError(f"{path}:{line}: value: {cells['value']!r} is not a finite number")
    return Sample(time, cells["server"], metric, value)


def _grace(minutes: float | None) -> timedelta | None:
    if minutes is None:
        return None
    if not math.isfinite(minutes) or minutes < 0:
        raise CommandError(f"--heartbeat-grace: {minutes} is not a number of minutes >= 0")
    return timedelta(minutes=minutes)


def _line(alert: Alert) -> str:
    data = alert.as_json()
    where = f"{alert.server}:{alert.series}" if alert.series else alert.server
    text = f"{data['firing_at']}  {alert.rule:<16}  {where}  [{alert.impact}]"
    if data["pending_at"] != data["firing_at"]:
        text += f"  pending since {data['pending_at']}"
    resolved = data["resolved_at"]
    return text + (f"  resolved {resolved}" if resolved else "  still firing")


def handle_replay(args: argparse.Namespace) -> int:
    """``livret monitor replay``: the alerts a CSV of samples raises (MON-2)."""
    offer = _monitoring_offer(args.rules)
    grace = _grace(args.heartbeat_grace)
    rules = rules_from_offer(offer)
    settings = engine_settings(offer, heartbeat_grace=grace)
    samples = read_samples(args.samples, rules)
    alerts = replay(samples, rules, **settings)
    if args.json:
        print_json({"alerts": [a.as_json() for a in alerts]})
        return 0
    for alert in alerts:
        print(_line(alert))
    if not alerts:
        print("no alert")
    return 0


def handle_setup(args: argparse.Namespace) -> int:
    """``livret monitor setup``: a site's set-up length in days (MON-4)."""
    offer = _monitoring_offer(args.offer)
    assert offer.monitoring is not None
    days = setup_days(offer.monitoring.setup, users=args.users, servers=args.servers)
    if args.json:
        document = {"offer": offer.id, "users": args.users, "servers": args.servers,
                    "days": days, "quoted": days is None}  # fmt: skip
        print_json(document)
    elif days is None:
        print("mise en place sur devis")
    else:
        print(f"mise en place : {days} jour{'s' if days > 1 else ''}")
    return 0


def handle_visits(args: argparse.Namespace) -> int:
    """``livret monitor visits``: preventive visits a year for a site (MON-5)."""
    offer = _monitoring_offer(args.offer)
    assert offer.monitoring is not None
    if offer.monitoring.visits is None:
        raise CommandError(f"offer {offer.id!r} has no preventive visits")
    count = visits_per_year(offer.monitoring.visits, servers=args.servers)
    if args.json:
        document = {"offer": offer.id, "servers": args.servers, "visits_per_year": count}
        print_json(document)
    else:
        print(
            f"{count} visite{'s' if count > 1 else ''} préventive{'s' if count > 1 else ''} par an"
        )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``monitor`` with its ``replay``, ``setup`` and ``visits`` subcommands."""
    monitor = subparsers.add_parser(
        "monitor", help="PreventCare monitoring rules and site sizing (MON-2, MON-4, MON-5)"
    )
    commands = monitor.add_subparsers(dest="monitor_command", metavar="{replay,setup,visits}")
    commands.required = True

    run = commands.add_parser("replay", help="the alerts a CSV file of samples raises")
    run.add_argument("--samples", metavar="FILE.csv", required=True,
                     help="header time,server,metric,value")  # fmt: skip
    run.add_argument("--rules", default="preventcare", metavar="OFFER",
                     help="a preset id or a .toml offer file (default: preventcare)")  # fmt: skip
    run.add_argument("--heartbeat-grace", type=float, metavar="MINUTES",
                     help="grace after the expected heartbeat (default: the offer's)")  # fmt: skip
    run.add_argument("--json", action="store_true", help="print stable JSON")
    run.set_defaults(handler=handle_replay)

    setup = commands.add_parser("setup", help="set-up length of a site (MON-4)")
    setup.add_argument("--offer", default="preventcare", metavar="OFFER")
    setup.add_argument("--users", type=int, required=True)
    setup.add_argument("--servers", type=int, required=True)
    setup.add_argument("--json", action="store_true", help="print stable JSON")
    setup.set_defaults(handler=handle_setup)

    visits = commands.add_parser("visits", help="preventive visits a year (MON-5)")
    visits.add_argument("--offer", default="preventcare", metavar="OFFER")
    visits.add_argument("--servers", type=int, required=True)
    visits.add_argument("--json", action="store_true", help="print stable JSON")
    visits.set_defaults(handler=handle_visits)
