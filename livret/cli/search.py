"""``livret search rebuild``: every request's search document written again (issue 12).

Documents follow every write already (decision 0012); rebuild after restoring a database from
elsewhere, after a change to what is indexed (``livret.support.search.EVENT_TEXTS``) or to the
French rules (``livret.core.search_text``), or if searches miss what they should find. It runs
in batches while the platform serves; prints ``search: N requests indexed in S s``.
"""

from __future__ import annotations

import argparse
import time

from livret.cli.common import SUPPORT_TABLE, database_errors, require_database


def handle_rebuild(args: argparse.Namespace) -> int:
    """``livret search rebuild``: rewrite every document, then (SQLite) the FTS5 index."""
    require_database(SUPPORT_TABLE)
    from livret.support.search import rebuild

    started = time.monotonic()
    with database_errors():
        count = rebuild(batch=args.batch)
    print(f"search: {count} requests indexed in {time.monotonic() - started:.1f} s")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``search`` with its ``rebuild`` subcommand."""
    search = subparsers.add_parser("search", help="the requests' full-text search")
    commands = search.add_subparsers(dest="search_command", metavar="{rebuild}")
    commands.required = True
    p = commands.add_parser("rebuild", help="write every request's search document again")
    p.add_argument("--batch", type=int, default=500, help="requests per write (default: 500)")
    p.set_defaults(handler=handle_rebuild)
