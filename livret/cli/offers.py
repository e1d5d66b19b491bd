"""``livret offers``: list, show, validate, import and render offers (SPEC OFF-0..5).

``validate`` and ``import`` of an invalid file print each defect on stderr as
``PATH:LINE: field.path: reason`` and exit 1; an unknown offer or version exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from livret.cli.common import (
    EXIT_INVALID,
    OFFERS_TABLE,
    CommandError,
    database_ready,
    print_json,
    require_database,
)
from livret.core.offer import LoadedOffer, OfferError, load_offer_file

if TYPE_CHECKING:
    from livret.offers.services import FoundOffer


def _read_offer_file(path: str) -> LoadedOffer:
    """The valid offer of a file; CommandError listing its defects (exit 1) otherwise."""
    try:
        return load_offer_file(path)
    except OfferError as error:
        problems = "\n".join(str(problem) for problem in error.problems)
        raise CommandError(problems, EXIT_INVALID, prefix="") from None


def _find_offer(offer_id: str, number: int | None) -> FoundOffer:
    """An offer from the database (latest or given version), else the built-in preset."""
    stored = database_ready(OFFERS_TABLE)
    from livret.offers.services import OfferNotFound, find_offer

    try:
        return find_offer(offer_id, number, stored=stored)
    except OfferNotFound as error:
        raise CommandError(str(error)) from None


def cmd_offers_list(args: argparse.Namespace) -> int:
    """``livret offers list``: stored offers, then the presets not imported yet."""
    stored = database_ready(OFFERS_TABLE)
    from livret.offers.services import offer_catalogue

    rows = offer_catalogue(stored=stored)
    if args.json:
        print_json(rows, indent=2)
        return 0
    width = max((len(r["id"]) for r in rows), default=10)
    for row in rows:
        version = f"v{row['version']}" if row["imported"] else "not imported"
        print(f"{row['id']:<{width}}  {version:<12}  {row['name']} ({row['vendor']})")
    return 0


def cmd_offers_show(args: argparse.Namespace) -> int:
    """``livret offers show``: one offer's key commitments, or all of it as JSON."""
    found = _find_offer(args.offer_id, args.version)
    offer = found.offer
    if args.json:
        document = {
            "version": found.version,
            "digest": found.digest,
            "imported": found.imported,
            "offer": offer.model_dump(mode="json"),
        }
        print_json(document, indent=2)
        return 0
    print(f"{offer.name} — {offer.vendor}  [{offer.id}, livret {offer.version}]")
    print(f"stored version: {found.version or 'not imported'}   digest: {found.digest[:12]}")
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
    """``livret offers validate``: exit 0 for a valid file, 1 listing its defects."""
    loaded = _read_offer_file(args.path)
    print(f"{args.path}: valid ({loaded.offer.id}, livret {loaded.offer.version})")
    return 0


def cmd_offers_import(args: argparse.Namespace) -> int:
    """``livret offers import``: a file, or the built-in presets, as new offer versions."""
    require_database(OFFERS_TABLE)
    from livret.offers.services import import_builtin_presets, import_offer

    if args.builtin:
        results = import_builtin_presets()
    elif args.path:
        loaded = _read_offer_file(args.path)
        results = [import_offer(loaded, str(Path(args.path).resolve().name))]
    else:
        raise CommandError("give a PATH or --builtin")
    for result in results:
        version = result.version
        state = "imported" if result.created else "unchanged"
        print(f"{state}: {version.offer_id} version {version.number} ({version.label})")
    return 0


def cmd_offers_render(args: argparse.Namespace) -> int:
    """``livret offers render``: the booklet in French, HTML or Markdown (OFF-4)."""
    found = _find_offer(args.offer_id, args.version)
    from livret.offers.booklet import render_booklet

    label = f"version {found.version}" if found.version else None
    text = render_booklet(found.offer, args.format, version_label=label)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror}") from None
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``offers`` with its ``list``, ``show``, ``validate``, ``import`` and ``render``."""
    offers = subparsers.add_parser("offers", help="list, show, validate, import and render offers")
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
