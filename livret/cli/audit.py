"""``livret audit verify|checkpoint``: the requests' audit trail (REQ-11).

``verify``: every request's hash chain intact and still reaching the head last checkpointed
outside the database, or its first broken event. Exit codes: 0 every chain holds
(``ok: N requests, M events``), 1 a chain is broken (one line per broken request on stdout, a
count on stderr), 2 bad input (an unreadable checkpoint file, a database not set up).

``checkpoint``: append every chain's head to the checkpoint file now (the worker does it once
a day); prints ``checkpoint: N requests changed, written to PATH``.
"""

from __future__ import annotations

import argparse
import sys

from livret.cli.common import EXIT_INVALID, SUPPORT_TABLE, CommandError, require_database


def handle_verify(args: argparse.Namespace) -> int:
    """``livret audit verify``: every chain intact, or the first broken event of each."""
    require_database(SUPPORT_TABLE, writes=False)
    from django.conf import settings

    from livret.support.audit import chain_breaks
    from livret.support.checkpoints import CheckpointFileError, read_checkpoints

    try:
        checkpoints = read_checkpoints()
    except (CheckpointFileError, OSError) as error:
        raise CommandError(f"{settings.AUDIT_CHECKPOINTS}: {error}") from None
    requests = events = broken = 0
    for check in chain_breaks(checkpoints=checkpoints):
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


def handle_checkpoint(args: argparse.Namespace) -> int:
    """``livret audit checkpoint``: write the chains' heads outside the database now."""
    require_database(SUPPORT_TABLE)
    from django.conf import settings
    from django.utils import timezone

    from livret.support.checkpoints import CheckpointFileError, write_checkpoint

    try:
        changed = write_checkpoint(timezone.now())
    except (CheckpointFileError, OSError) as error:
        raise CommandError(f"{settings.AUDIT_CHECKPOINTS}: {error}") from None
    print(f"checkpoint: {changed} requests changed, written to {settings.AUDIT_CHECKPOINTS}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` with its ``verify`` and ``checkpoint`` subcommands."""
    audit = subparsers.add_parser("audit", help="the requests' audit trail (REQ-11)")
    commands = audit.add_subparsers(dest="audit_command", metavar="{verify,checkpoint}")
    commands.required = True
    p = commands.add_parser("verify", help="check every hash chain; exit 1 if broken")
    p.set_defaults(handler=handle_verify)
    p = commands.add_parser("checkpoint", help="write the chains' heads outside the database")
    p.set_defaults(handler=handle_checkpoint)
