"""``livret server token``: the monitoring agents' tokens, one per server (issue 7).

``create HOSTNAME`` prints the new token on stdout, once: only its SHA-256 and its first 8
characters are kept; the agent of that server sends it as ``Authorization: Bearer …`` and can
only ever write that server. ``revoke PREFIX`` stops a token at once (the agent gets 401).
Errors are one ``livret: error: …`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse

from livret.cli.common import setup_django
from livret.cli.tokens import print_new_token, token_errors


def cmd_server_token_create(args: argparse.Namespace) -> int:
    """``livret server token create``: a new agent token for a server, printed once."""
    setup_django()
    from livret.monitoring.tokens import create_token_for_hostname

    with token_errors():
        token = create_token_for_hostname(args.hostname)
    print_new_token(token, f"server {args.hostname}")
    return 0


def cmd_server_token_revoke(args: argparse.Namespace) -> int:
    """``livret server token revoke``: stop the server token with this prefix."""
    setup_django()
    from livret.monitoring.tokens import revoke_server_token

    with token_errors():
        token = revoke_server_token(args.prefix)
    print(f"revoked server token {token.prefix} of {token.server.hostname}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
