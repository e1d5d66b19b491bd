"""``livret token``: API tokens for scripts and integrations (docs/api.md).

``create USERNAME [--name N]`` prints the new token on stdout, once: only its SHA-256 and its
first 8 characters are kept. ``revoke PREFIX`` stops a token at once. Errors are one
``livret: error: …`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from livret.cli.common import CommandError, database_errors, setup_django


@contextmanager
def token_errors() -> Iterator[None]:
    """A token refused (no such user or prefix, …) or a database failure: one line, exit 2."""
    from livret.accounts.services import TokenError

    with database_errors():
        try:
            yield
        except TokenError as error:
            raise CommandError(str(error)) from None


def print_new_token(token: str, owner: str) -> None:
    """The token on stdout (its only copy), and on stderr whose it is."""
    from livret.accounts.services import PREFIX_LENGTH

    print(token)
    print(
        f"token {token[:PREFIX_LENGTH]}… for {owner}: keep it now, it is not shown again",
        file=sys.stderr,
    )


def cmd_token_create(args: argparse.Namespace) -> int:
    """``livret token create``: a new API token for a user, printed once."""
    setup_django()
    from livret.accounts.services import create_token_for_username

    with token_errors():
        token = create_token_for_username(args.username, args.name)
    print_new_token(token, args.username)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """``livret token revoke``: stop the token with this prefix."""
    setup_django()
    from livret.accounts.services import revoke_token

    with token_errors():
        token = revoke_token(args.prefix)
    print(f"revoked token {token.prefix} ({token.name}) of {token.user.get_username()}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``livret token create|revoke`` to the ``livret`` parser."""
    token = subparsers.add_parser("token", help="create and revoke API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")

    p = token_sub.add_parser("create", help="a new API token for a user (printed once)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--name", default="api", help="what the token is for (default: api)")
    p.set_defaults(handler=cmd_token_create)

    p = token_sub.add_parser("revoke", help="revoke a token by its first 8 characters")
    p.add_argument("prefix", metavar="PREFIX")
    p.set_defaults(handler=cmd_token_revoke)
