"""Who is calling the API: a Bearer token, or the browser's logged-in session.

Tokens are random (``secrets.token_urlsafe(32)``, 256 bits) and shown once; only their SHA-256
and their first 8 characters (to name them in lists and ``livret token revoke``) are stored.
A revoked token, an unknown one, or one whose user was deactivated is refused at once with
401 ``{"code": "unauthenticated"}``: the check reads the user row on every call, nothing is
cached. ``last_used_at`` is written at most once a minute per token, not on every call.

The browser path reuses Django's session and, like django-ninja's ``SessionAuth``, checks the
CSRF token on unsafe methods. A request that carries an ``Authorization`` header is decided by
the header alone, so a bad token never falls back to a session (nor to a CSRF error).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from livret.api.errors import ApiError
from livret.support.models import ApiToken

PREFIX_LENGTH = 8
TOUCH_EVERY = timedelta(minutes=1)
_MAX_TOKEN_LENGTH = 200  # token_urlsafe(32) is 43 characters; anything much longer is garbage


class TokenError(Exception):
    """A token cannot be created or revoked as asked (message for people)."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: Any, name: str = "") -> str:
    """A new token for ``user``; the returned string is the only copy of it."""
    if not user.is_active:
        raise TokenError(f"user {user.get_username()!r} is deactivated")
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # `livret token revoke -abc…` would read as an option
        token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=(name or "api")[:100],
        key_hash=hash_token(token),
        prefix=token[:PREFIX_LENGTH],
    )
    return token


def create_token_for_username(username: str, name: str = "") -> str:
    """A new token for the user called ``username`` (``livret token create``)."""
    users = get_user_model()
    try:
        user = users.objects.get(**{users.USERNAME_FIELD: username})
    except users.DoesNotExist:
        raise TokenError(f"no user {username!r}") from None
    return create_token(user, name)


def revoke(prefix: str) -> ApiToken:
    """Revoke the one active token starting with ``prefix`` (its first 8 characters)."""
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < PREFIX_LENGTH:
        raise TokenError(f"a token prefix has {PREFIX_LENGTH} characters")
    found = list(ApiToken.objects.filter(prefix=prefix, revoked=False).select_related("user"))
    if not found:
        raise TokenError(f"no active token with prefix {prefix!r}")
    if len(found) > 1:
        names = ", ".join(f"{t.user.get_username()}/{t.name}" for t in found)
        raise TokenError(f"prefix {prefix!r} matches several tokens ({names}); revoke in the admin")
    token = found[0]
    token.revoked = True
    token.save(update_fields=["revoked"])
    return token


def user_for_token(token: str) -> Any | None:
    """The active user owning this active token, or None."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    row = (
        ApiToken.objects.select_related("user", "user__membership")
        .filter(key_hash=hash_token(token), revoked=False)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        return user_for_token(token.strip())


class BrowserSession(APIKeyCookie):
    """The logged-in Django session, with the CSRF check on unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if "authorization" in request.headers:
            return None  # the header decides
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise ApiError(403, "csrf-failed", "CSRF token missing or incorrect")
        return "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        return request.user if key else None


def api_auth() -> list[Any]:
    """The authentication callbacks of every support route, in the order tried."""
    return [BearerToken(), BrowserSession()]
