"""``livret token``: API tokens for scripts and integrations (docs/api.md).

``create USERNAME [--name N]`` prints the new token on stdout, once: only its SHA-256 and its
first 8 characters are kept. ``revoke PREFIX`` stops a token at once. Errors are one
``livret: error: …`` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any


def _one_line_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """Print a CommandError as one ``livret: error:`` line and return its exit code."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from livret.cli import CommandError

        try:
            return handler(args)
        except CommandError as error:
            print(f"livret: error: {error}", file=sys.stderr)
            return error.code

    return run


@_one_line_errors
def cmd_token_create(args: argparse.Namespace) -> int:
    from livret.cli import CommandError, setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.db.utils import DatabaseError

    from livret.accounts.services import PREFIX_LENGTH, TokenError, create_token

    users = get_user_model()
    try:
        user = users.objects.get(**{users.USERNAME_FIELD: args.username})
        token = create_token(user, args.name)
    except users.DoesNotExist:
        raise CommandError(f"no user {args.username!r}") from None
    except TokenError as error:
        raise CommandError(str(error)) from None
    except DatabaseError as error:
        raise CommandError(f"database: {error}") from None
    print(token)
    print(
        f"token {token[:PREFIX_LENGTH]}… for {args.username}: keep it now, it is not shown again",
        file=sys.stderr,
    )
    return 0


@_one_line_errors
def cmd_token_revoke(args: argparse.Namespace) -> int:
    from livret.cli import CommandError, setup_django

    setup_django()
    from django.db.utils import DatabaseError

    from livret.accounts.services import TokenError, revoke_token

    try:
        token = revoke_token(args.prefix)
    except TokenError as error:
        raise CommandError(str(error)) from None
    except DatabaseError as error:
        raise CommandError(f"database: {error}") from None
    print(f"revoked token {token.prefix} ({token.name}) of {token.user.get_username()}")
    return 0


def register(subparsers: Any) -> None:
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
