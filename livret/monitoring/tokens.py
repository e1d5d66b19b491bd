"""Server tokens: how a monitoring agent proves which server it speaks for (issue 7).

A token belongs to ONE server, so an agent can only ever write that server's samples: the
server is taken from the token, never from the request body. Tokens are made and stored like
the users' API tokens (``livret.accounts.services``): 256 random bits shown once, only their SHA-256
and their first 8 characters kept. A revoked or unknown token is refused at once; nothing is
cached. ``last_used_at`` is written at most once a minute per token.
"""

from __future__ import annotations

import secrets

from django.utils import timezone

from livret.accounts.services import (
    MAX_TOKEN_LENGTH,
    PREFIX_LENGTH,
    TOUCH_EVERY,
    TokenError,
    hash_token,
)
from livret.monitoring.models import Server, ServerToken

__all__ = [
    "TokenError",
    "create_server_token",
    "create_token_for_hostname",
    "revoke_server_token",
    "server_for_token",
]


def create_server_token(server: Server) -> str:
    """A new token for ``server``; the returned string is the only copy of it."""
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # `livret server token revoke -abc…` would read as an option
        token = secrets.token_urlsafe(32)
    ServerToken.objects.create(
        server=server, key_hash=hash_token(token), prefix=token[:PREFIX_LENGTH]
    )
    return token


def create_token_for_hostname(hostname: str) -> str:
    """A new token for the server called ``hostname`` (``livret server token create``)."""
    server = Server.objects.filter(hostname=hostname).first()
    if server is None:
        raise TokenError(f"no server {hostname!r} (declare it on its site first)")
    return create_server_token(server)


def revoke_server_token(prefix: str) -> ServerToken:
    """Revoke the one active server token starting with ``prefix`` (its first 8 characters)."""
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < PREFIX_LENGTH:
        raise TokenError(f"a token prefix has {PREFIX_LENGTH} characters")
    found = list(ServerToken.objects.filter(prefix=prefix, revoked=False).select_related("server"))
    if not found:
        raise TokenError(f"no active server token with prefix {prefix!r}")
    if len(found) > 1:
        names = ", ".join(t.server.hostname for t in found)
        raise TokenError(
            f"prefix {prefix!r} matches several tokens ({names}); revoke it on its site's page"
        )
    token = found[0]
    token.revoked = True
    token.save(update_fields=["revoked"])
    return token


def server_for_token(token: str) -> Server | None:
    """The server of this active token, or None (unknown, revoked, or not a server token)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = (
        ServerToken.objects.select_related("server")
        .only("last_used_at", "server__hostname")  # the ingestion locks and reads the rest
        .filter(key_hash=hash_token(token), revoked=False)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        ServerToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.server
