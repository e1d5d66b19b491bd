"""The ``livret`` command: offers, calendars, the web server, the worker and Django's manage.

Exit codes: 0 success, 1 the thing asked about is invalid (``offers validate``), 2 bad input
(unknown offer, unreadable file, wrong arguments). Errors are one line on stderr, never a
traceback. ``--json`` output is stable for scripts (docs/cli.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from livret import (
    __version__,
    cli_agent,
    cli_calendar,
    cli_mail,
    cli_monitor,
    cli_monitoring_admin,
    cli_status,
    cli_support,
    cli_tokens,
)
from livret.core.offer import OfferError, load_offer_file, load_preset
from livret.core.offer.presets import PRESET_IDS


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2 unless given."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def setup_django() -> None:
    """Configure Django once, for commands that need the database or templates."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        raise CommandError(f"configuration: {error}") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False))


def _database_ready() -> bool:
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        return "offers_offerversion" in connection.introspection.table_names()
    except DatabaseError:
        return False


# --------------------------------------------------------------------------- offers


def _offer_rows() -> list[dict[str, Any]]:
    """Latest stored version of each offer, then built-in presets not imported yet."""
    from django.db.models import Count

    from livret.offers.models import OfferVersion

    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    if _database_ready():
        versions = (
            OfferVersion.objects.order_by("offer_id", "-number")
            .defer("source_text")
            .annotate(contract_count=Count("contracts"))
        )
        for version in versions:
            if version.offer_id in seen:
                continue
            seen.add(version.offer_id)
            rows.append(
                {
                    "id": version.offer_id,
                    "name": version.name,
                    "vendor": version.vendor,
                    "kind": version.kind,
                    "label": version.label,
                    "version": version.number,
                    "digest": version.digest,
                    "builtin": version.builtin,
                    "imported": True,
                    "contracts": version.contract_count,
                }
            )
    for offer_id in PRESET_IDS:
        if offer_id in seen:
            continue
        loaded = load_preset(offer_id)
        rows.append(
            {
                "id": offer_id,
                "name": loaded.offer.name,
                "vendor": loaded.offer.vendor,
                "kind": loaded.offer.kind,
                "label": loaded.offer.version,
                "version": None,
                "digest": loaded.digest,
                "builtin": True,
                "imported": False,
                "contracts": 0,
            }
        )
    return rows


def cmd_offers_list(args: argparse.Namespace) -> int:
    setup_django()
    rows = _offer_rows()
    if args.json:
        _print_json(rows)
        return 0
    width = max((len(r["id"]) for r in rows), default=10)
    for row in rows:
        version = f"v{row['version']}" if row["imported"] else "not imported"
        print(f"{row['id']:<{width}}  {version:<12}  {row['name']} ({row['vendor']})")
    return 0


def _resolve_offer(offer_id: str, number: int | None) -> tuple[Any, dict[str, Any]]:
    """An offer from the database (latest or given version), else the built-in preset."""
    setup_django()
    from livret.offers.models import OfferVersion

    if _database_ready():
        versions = OfferVersion.objects.filter(offer_id=offer_id)
        found = (versions.filter(number=number) if number else versions.order_by("-number")).first()
        if found is not None:
            meta = {"version": found.number, "digest": found.digest, "imported": True}
            return found.offer, meta
        if number:
            raise CommandError(f"offer {offer_id!r} has no version {number}")
    if number:
        raise CommandError(f"offer {offer_id!r} is not imported; it has no version {number}")
    try:
        loaded = load_preset(offer_id)
    except KeyError as error:
        raise CommandError(str(error.args[0])) from None
    return loaded.offer, {"version": None, "digest": loaded.digest, "imported": False}


def cmd_offers_show(args: argparse.Namespace) -> int:
    offer, meta = _resolve_offer(args.offer_id, args.version)
    if args.json:
        _print_json({**meta, "offer": offer.model_dump(mode="json")})
        return 0
    print(f"{offer.name} — {offer.vendor}  [{offer.id}, livret {offer.version}]")
    print(f"stored version: {meta['version'] or 'not imported'}   digest: {meta['digest'][:12]}")
    print(f"sold in: {', '.join(offer.territories.codes())}")
    print(f"formulas: {', '.join(offer.formulas)}")
    if offer.support:
        for formula, pickup in offer.support.pickup.items():
            parts = [
                f"{name} {duration.label_fr()}"
                for name in ("default", "critical", "high", "moderate")
                if (duration := getattr(pickup, name)) is not None
            ]
            print(f"pickup ({formula}): {', '.join(parts)}")
    if offer.availability:
        print(f"availability target: {offer.availability.target_percent} %")
    print(f"calendars: {', '.join(offer.calendars)}")
    return 0


def cmd_offers_validate(args: argparse.Namespace) -> int:
    try:
        loaded = load_offer_file(args.path)
    except OfferError as error:
        for problem in error.problems:
            print(str(problem), file=sys.stderr)
        return 1
    print(f"{args.path}: valid ({loaded.offer.id}, livret {loaded.offer.version})")
    return 0


def cmd_offers_import(args: argparse.Namespace) -> int:
    setup_django()
    from livret.offers.services import import_builtin_presets, import_offer

    if not _database_ready():
        raise CommandError("the database is not set up: run `livret manage migrate` first")
    if args.builtin:
        results = import_builtin_presets()
    elif args.path:
        try:
            loaded = load_offer_file(args.path)
        except OfferError as error:
            for problem in error.problems:
                print(str(problem), file=sys.stderr)
            return 1
        results = [import_offer(loaded, str(Path(args.path).resolve().name))]
    else:
        raise CommandError("give a PATH or --builtin")
    for result in results:
        version = result.version
        state = "imported" if result.created else "unchanged"
        print(f"{state}: {version.offer_id} version {version.number} ({version.label})")
    return 0


def cmd_offers_render(args: argparse.Namespace) -> int:
    offer, meta = _resolve_offer(args.offer_id, args.version)
    from livret.offers.booklet import render_booklet

    label = f"version {meta['version']}" if meta["version"] else None
    text = render_booklet(offer, args.format, version_label=label)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# --------------------------------------------------------------------------- processes


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    from livret.server import serve

    worker = None
    if args.with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "livret", "worker"])
    try:
        serve(args.host, args.port, workers=args.workers, threads=args.threads)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    setup_django()
    from livret.ops.worker import Worker

    if not _database_ready():
        raise CommandError("the database is not set up: run `livret manage migrate` first")
    worker = Worker()
    if args.once:
        worker.run_due()
        return 0
    worker.run_forever()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    setup_django()
    from livret.demo import load_demo

    for line in load_demo():
        print(line)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["livret manage", *args.rest])
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``livret`` command."""
    parser = argparse.ArgumentParser(
        prog="livret", description="Service booklets as code: run them, measure them."
    )
    parser.add_argument("--version", action="version", version=f"livret {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    offers = sub.add_parser("offers", help="list, show, validate, import and render offers")
    offers_sub = offers.add_subparsers(dest="offers_command", required=True, metavar="ACTION")

    p = offers_sub.add_parser("list", help="offers known to the platform")
    p.add_argument("--json", action="store_true", help="stable JSON output")
    p.set_defaults(handler=cmd_offers_list)

    p = offers_sub.add_parser("show", help="one offer's key commitments")
    p.add_argument("offer_id", metavar="ID")
    p.add_argument("--version", type=int, help="stored version number (default: latest)")
    p.add_argument("--json", action="store_true", help="the whole offer as JSON")
    p.set_defaults(handler=cmd_offers_show)

    p = offers_sub.add_parser("validate", help="check a booklet file; exit 1 if invalid")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(handler=cmd_offers_validate)

    p = offers_sub.add_parser("import", help="store a booklet file as a new offer version")
    p.add_argument("path", metavar="PATH", nargs="?")
    p.add_argument("--builtin", action="store_true", help="import the five seed presets")
    p.set_defaults(handler=cmd_offers_import)

    p = offers_sub.add_parser("render", help="the booklet, in French, from the offer data")
    p.add_argument("offer_id", metavar="ID")
    p.add_argument("--format", choices=["html", "md"], default="html")
    p.add_argument("--version", type=int, help="stored version number (default: latest)")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.set_defaults(handler=cmd_offers_render)

    for module in (
        cli_calendar,
        cli_agent,
        cli_support,
        cli_mail,
        cli_tokens,
        cli_status,
        cli_monitor,
        cli_monitoring_admin,
    ):
        module.register(sub)

    p = sub.add_parser("serve", help="run the web server (pages, API, admin)")
    p.add_argument("--host", default=os.environ.get("LIVRET_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("LIVRET_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("LIVRET_WEB_WORKERS", "2")))
    # One thread per process: measured faster than threads on 2 cores (docs/performance.md).
    p.add_argument("--threads", type=int, default=int(os.environ.get("LIVRET_WEB_THREADS", "1")))
    p.add_argument("--with-worker", action="store_true", help="also start one background worker")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("worker", help="run the background worker (deadlines, probes, jobs)")
    p.add_argument("--once", action="store_true", help="run every job once and exit")
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("demo", help="migrate, import the presets, create the demo clients")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("manage", help="Django's manage.py commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``livret`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as error:
        print(f"livret: error: {error}", file=sys.stderr)
        return error.code
    except OfferError as error:
        for problem in error.problems:
            print(f"livret: error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
