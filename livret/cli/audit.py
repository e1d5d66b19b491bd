"""``livret audit verify``: every request's hash chain intact, or its first broken event.

Exit codes: 0 every chain holds (``ok: N requests, M events``), 1 a chain is broken (one line
per broken request on stdout, a count on stderr), 2 bad input (REQ-11).
"""

from __future__ import annotations

import argparse
import sys

from livret.cli.common import EXIT_INVALID, SUPPORT_TABLE, require_database


def handle_verify(args: argparse.Namespace) -> int:
    """``livret audit verify``: every chain intact, or the first broken event of each."""
    require_database(SUPPORT_TABLE, writes=False)
    from livret.support.audit import chain_breaks

    requests = events = broken = 0
    for check in chain_breaks():
        requests += 1
        events += check.events
        if check.broken is not None:
            broken += 1
            print(f"{check.number}: event {check.broken.seq}: {check.broken.reason}")
    if broken:
        print(f"broken: {broken} of {requests} requests", file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: {requests} requests, {events} events")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` with its ``verify`` subcommand."""
    audit = subparsers.add_parser("audit", help="the requests' audit trail (REQ-11)")
    commands = audit.add_subparsers(dest="audit_command", metavar="{verify}")
    commands.required = True
    p = commands.add_parser("verify", help="check every hash chain; exit 1 if broken")
    p.set_defaults(handler=handle_verify)
