"""The ``livret`` command: one module per command group, one way to fail.

Exit codes: 0 success, 1 the thing asked about is invalid (``offers validate``, a broken audit
chain), 2 bad input (unknown offer, unreadable file, wrong arguments); ``mail`` and ``agent``
add the codes MTAs and services read (docs/cli.md). A command fails by raising
:class:`~livret.cli.common.CommandError`, or a core error meaning bad input; :func:`main`
prints it as one line on stderr, never a traceback. ``--json`` output is stable for scripts.
"""

from __future__ import annotations

import argparse
import sys

from livret import __version__
from livret.cli import (
    agent,
    audit,
    availability,
    calendar,
    mail,
    maintenance,
    monitor,
    offers,
    search,
    serve,
    servers,
    sla,
    tokens,
)
from livret.cli.common import ERROR_PREFIX, EXIT_INVALID, EXIT_USAGE, CommandError
from livret.core.availability import AvailabilityError
from livret.core.calendar import CalendarError
from livret.core.maintenance import MaintenanceError
from livret.core.monitoring import RuleError
from livret.core.offer import OfferError
from livret.core.sites import SiteError
from livret.core.sla import SlaError

# Command groups, in the order ``livret --help`` lists them.
GROUPS = (
    offers,
    calendar,
    agent,
    sla,
    audit,
    search,
    mail,
    tokens,
    availability,
    maintenance,
    monitor,
    servers,
    serve,
)

# What the core raises for input it cannot use: one line, exit 2.
INPUT_ERRORS = (
    AvailabilityError,
    CalendarError,
    MaintenanceError,
    RuleError,
    SiteError,
    SlaError,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``livret`` command."""
    parser = argparse.ArgumentParser(
        prog="livret", description="Service booklets as code: run them, measure them."
    )
    parser.add_argument("--version", action="version", version=f"livret {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``livret`` command: run it, print a failure, return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as error:
        print(f"{error.prefix}{error}", file=sys.stderr)
        return error.exit_code
    except INPUT_ERRORS as error:
        print(f"{ERROR_PREFIX}{error}", file=sys.stderr)
        return EXIT_USAGE
    except OfferError as error:
        for problem in error.problems:
            print(f"{ERROR_PREFIX}{problem}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
