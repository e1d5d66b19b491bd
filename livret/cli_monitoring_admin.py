"""``livret server token``: the monitoring agents' tokens, one per server (issue 7).

``create HOSTNAME`` prints the new token on stdout, once: only its SHA-256 and its first 8
characters are kept; the agent of that server sends it as ``Authorization: Bearer …`` and can
only ever write that server. ``revoke PREFIX`` stops a token at once (the agent gets 401).
Errors are one ``livret: error: …`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from livret.cli_common import fail


def _django() -> str | None:
    """Set Django up; the error message when it cannot be."""
    from livret.cli import CommandError, setup_django

    try:
        setup_django()
    except CommandError as error:
        return str(error)
    return None


def cmd_server_token_create(args: argparse.Namespace) -> int:
    problem = _django()
    if problem:
        return fail(problem)
    from django.db.utils import DatabaseError

    from livret.accounts.services import PREFIX_LENGTH
    from livret.monitoring.models import Server
    from livret.monitoring.tokens import create_server_token

    try:
        server = Server.objects.get(hostname=args.hostname)
        token = create_server_token(server)
    except Server.DoesNotExist:
        return fail(f"no server {args.hostname!r} (declare it on its site first)")
    except DatabaseError as error:
        return fail(f"database: {error}")
    print(token)
    print(
        f"token {token[:PREFIX_LENGTH]}… for server {server.hostname}: "
        "keep it now, it is not shown again",
        file=sys.stderr,
    )
    return 0


def cmd_server_token_revoke(args: argparse.Namespace) -> int:
    problem = _django()
    if problem:
        return fail(problem)
    from django.db.utils import DatabaseError

    from livret.monitoring.tokens import TokenError, revoke_server_token

    try:
        token = revoke_server_token(args.prefix)
    except TokenError as error:
        return fail(str(error))
    except DatabaseError as error:
        return fail(f"database: {error}")
    print(f"revoked server token {token.prefix} of {token.server.hostname}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``livret server token create|revoke`` to the ``livret`` parser."""
    server = subparsers.add_parser("server", help="monitored servers (PreventCare)")
    server_sub = server.add_subparsers(dest="server_command", required=True, metavar="ACTION")
    token = server_sub.add_parser("token", help="create and revoke a server's agent token")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")

    p = token_sub.add_parser("create", help="a new agent token for a server (printed once)")
    p.add_argument("hostname", metavar="HOSTNAME")
    p.set_defaults(handler=cmd_server_token_create)

    p = token_sub.add_parser("revoke", help="revoke a server token by its first 8 characters")
    p.add_argument("prefix", metavar="PREFIX")
    p.set_defaults(handler=cmd_server_token_revoke)
