"""``livret calendar``: business-time arithmetic from the command line (SPEC CAL-4..7).

``add`` prints a deadline, ``between`` the business time between two instants, ``show`` the
opening hours and holidays of a calendar for a year. Output with ``--json`` is stable JSON;
bad input prints one ``livret: error: …`` line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from livret.cli.common import (
    CommandError,
    formula_key,
    load_offer,
    parse_instant,
    print_json,
    territory_code,
)
from livret.core.calendar import BusinessCalendar, calendar_for
from livret.core.offer import Offer


def _calendar(args: argparse.Namespace) -> tuple[Offer, BusinessCalendar, str]:
    offer = load_offer(args.offer)
    territory = territory_code(args.territory)
    return offer, calendar_for(offer, args.calendar, args.formula, territory), territory


# --------------------------------------------------------------------------- add


def _duration(args: argparse.Namespace) -> tuple[str, float]:
    for kind in ("hours", "minutes", "business_days", "calendar_days"):
        value = getattr(args, kind)
        if value is not None:
            if value < 0:
                raise CommandError(
                    f"negative duration refused (--{kind.replace('_', '-')} {value})"
                )
            return kind, value
    raise CommandError("give a duration: --hours, --minutes, --business-days or --calendar-days")


def _add_one(calendar: BusinessCalendar, start: datetime, kind: str, amount: float) -> datetime:
    if kind == "hours":
        return calendar.add_business_time(start, timedelta(hours=amount))
    if kind == "minutes":
        return calendar.add_business_time(start, timedelta(minutes=amount))
    if kind == "business_days":
        return calendar.add_business_days(start, int(amount))
    return calendar.add_calendar_days(start, int(amount))


def _add_many(
    calendar: BusinessCalendar, instants: np.ndarray, kind: str, amount: float
) -> list[str]:
    if kind in ("hours", "minutes"):
        delta = timedelta(hours=amount) if kind == "hours" else timedelta(minutes=amount)
        due = calendar.add_business_time_many(instants, delta)
    elif kind == "business_days":
        due = calendar.add_business_days_many(instants, int(amount))
    else:
        due = calendar.add_calendar_days_many(instants, int(amount))
    return format_local(calendar, due.astype(np.int64))


def format_local(calendar: BusinessCalendar, instants_us: np.ndarray) -> list[str]:
    """ISO 8601 strings with the calendar's local offset, as ``datetime.isoformat`` writes them."""
    if not len(instants_us):
        return []
    offsets = calendar.utc_offsets_many(instants_us)
    local = (instants_us + offsets).astype("datetime64[us]")
    whole = (instants_us % 1_000_000) == 0
    texts = np.where(
        whole,
        np.datetime_as_string(local, unit="s"),
        np.datetime_as_string(local, unit="us"),
    )
    minutes = offsets // 60_000_000
    odd = (offsets % 60_000_000) != 0  # historical offsets with seconds: let Python write them
    out: list[str] = []
    for i, (text, offset) in enumerate(zip(texts.tolist(), minutes.tolist(), strict=True)):
        if odd[i]:
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            instant = epoch + timedelta(microseconds=int(instants_us[i]))
            out.append(instant.astimezone(calendar.zone).isoformat())
            continue
        sign = "+" if offset >= 0 else "-"
        hours, mins = divmod(abs(offset), 60)
        out.append(f"{text}{sign}{hours:02d}:{mins:02d}")
    return out


def _read_instants(path: str) -> np.ndarray:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    values: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        instant = parse_instant(line, f"{path}:{number}: ")
        delta = instant - datetime.fromisoformat("1970-01-01T00:00:00+00:00")
        values.append((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)
    return np.array(values, dtype=np.int64)


def handle_add(args: argparse.Namespace) -> int:
    """``livret calendar add``: the deadline of a duration from an instant (CAL-4..6)."""
    if (args.from_ is None) == (args.from_file is None):
        raise CommandError("give exactly one of --from and --from-file")
    kind, amount = _duration(args)
    if kind in ("business_days", "calendar_days") and not float(amount).is_integer():
        raise CommandError(f"--{kind.replace('_', '-')} must be a whole number")
    start = parse_instant(args.from_) if args.from_ is not None else None
    instants = _read_instants(args.from_file) if args.from_file is not None else None
    offer, calendar, territory = _calendar(args)
    formula = formula_key(offer, args.formula)
    if instants is not None:
        lines = _add_many(calendar, instants, kind, amount)
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        return 0
    assert start is not None
    due = _add_one(calendar, start, kind, amount)
    if args.json:
        document = {
            "from": start.isoformat(),
            "due": due.isoformat(),
            "offer": offer.id,
            "calendar": args.calendar,
            "formula": formula,
            "territory": territory,
        }
        print_json(document)
    else:
        print(due.isoformat())
    return 0


def handle_between(args: argparse.Namespace) -> int:
    """``livret calendar between``: business time between two instants (CAL-7)."""
    start = parse_instant(args.from_)
    end = parse_instant(args.to)
    _, calendar, _ = _calendar(args)
    elapsed = calendar.business_time_between(start, end)
    micro = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
    seconds: int | float = micro // 1_000_000 if micro % 1_000_000 == 0 else micro / 1_000_000
    if args.json:
        print_json({"business_seconds": seconds})
    else:
        print(f"{seconds} s ({elapsed})")
    return 0


def handle_show(args: argparse.Namespace) -> int:
    """``livret calendar show``: opening intervals and holidays of a year (CAL-1, CAL-2)."""
    offer, calendar, territory = _calendar(args)
    if not 1 <= args.year <= 9999:
        raise CommandError(f"year {args.year} out of range")
    hours = calendar.opening_hours()
    found = calendar.holidays_in(args.year)
    if args.json:
        document = {
            "offer": offer.id,
            "calendar": args.calendar,
            "resolved_calendar": calendar.name,
            "territory": territory,
            "timezone": calendar.timezone,
            "year": args.year,
            "opening_hours": {day: [list(i) for i in spans] for day, spans in hours.items()},
            "holidays_on": calendar.holidays_mode,
            "holidays": [
                {"date": h.day.isoformat(), "name": h.name, "status": h.status} for h in found
            ],
        }
        print_json(document)
        return 0
    print(f"{offer.id} · {calendar.name} · {territory} · {calendar.timezone} · {args.year}")
    print("Opening hours (local time):")
    for day, spans in hours.items():
        text = ", ".join(f"{a}-{b}" for a, b in spans) or "closed"
        print(f"  {day}  {text}")
    print(f"Holidays ({'open all day' if calendar.holidays_mode == 'open-all-day' else 'closed'}):")
    for holiday in found:
        print(f"  {holiday.day.isoformat()}  {holiday.status:<12}  {holiday.name}")
    return 0


# --------------------------------------------------------------------------- parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offer", required=True, help="preset id or offer file (.toml)")
    parser.add_argument("--calendar", required=True, help="calendar role or name, e.g. support")
    parser.add_argument("--formula", help="formula of the contract (default: the offer's)")
    parser.add_argument(
        "--territory",
        default="metropole",
        help="metropole, 57, 6AE (67, 68), 971 … (default: metropole)",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calendar`` with its ``add``, ``between`` and ``show`` subcommands."""
    calendar = subparsers.add_parser(
        "calendar", help="business-time arithmetic on an offer's calendars (CAL-4..7)"
    )
    commands = calendar.add_subparsers(dest="calendar_command", metavar="{add,between,show}")
    commands.required = True

    add = commands.add_parser("add", help="deadline of a duration from an instant")
    _common(add)
    start = add.add_mutually_exclusive_group(required=True)
    start.add_argument("--from", dest="from_", metavar="ISO8601", help="aware instant")
    start.add_argument(
        "--from-file", metavar="PATH", help="one ISO 8601 instant per line; one due per line"
    )
    amount = add.add_mutually_exclusive_group(required=True)
    amount.add_argument("--hours", type=float, help="business hours (CAL-4)")
    amount.add_argument("--minutes", type=float, help="business minutes (CAL-4)")
    amount.add_argument("--business-days", type=int, help="business days (CAL-5)")
    amount.add_argument("--calendar-days", type=int, help="calendar days (CAL-6)")
    add.add_argument("--json", action="store_true", help="print stable JSON")
    add.set_defaults(handler=handle_add)

    between = commands.add_parser("between", help="business time between two instants")
    _common(between)
    between.add_argument("--from", dest="from_", metavar="ISO8601", required=True)
    between.add_argument("--to", metavar="ISO8601", required=True)
    between.add_argument("--json", action="store_true", help="print stable JSON")
    between.set_defaults(handler=handle_between)

    show = commands.add_parser("show", help="opening intervals and holidays of a year")
    _common(show)
    show.add_argument("--year", type=int, required=True)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=handle_show)
