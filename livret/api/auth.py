"""Who is calling the API: a Bearer token, or the browser's logged-in session.

Tokens are the users' API tokens (``livret.accounts.services``: made with ``livret token
create``, shown once, only their SHA-256 stored). A revoked token, an unknown one, or one whose
user was deactivated is refused at once with 401 ``{"code": "unauthenticated"}``.

The browser path reuses Django's session and, like django-ninja's ``SessionAuth``, checks the
CSRF token on unsafe methods. A request that carries an ``Authorization`` header is decided by
the header alone, so a bad token never falls back to a session (nor to a CSRF error).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from livret.accounts.services import user_for_token
from livret.api.errors import ApiError


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
