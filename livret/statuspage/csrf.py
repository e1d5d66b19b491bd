"""A CSRF token for the cached public page, as ``django.middleware.csrf.get_token`` makes it,
with its randomness drawn in one call.

The cached page's only form is the site header's language switcher, a POST that needs the
visitor's own token. Django's ``get_token`` draws each of the 64 random characters of a new
visitor's secret and mask with its own ``secrets.choice`` (one system call each): about
0.25 ms, a quarter of what the whole cached page may cost at 1,000 requests/s on two cores.
This function gives the same result — same alphabet, same format (mask + secret enciphered
with it), the secret in the same request keys, which the CSRF middleware then sets as the
cookie — drawing all the randomness from a single ``secrets.token_bytes``. The tests post the
language form with the token it makes (Django 5.2's middleware checks it).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_SIZE = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
# byte → character (byte mod 62); bytes from 248 up are dropped, which keeps every character
# equally likely (248 = 4 x 62).
_TABLE = bytes(ord(CSRF_ALLOWED_CHARS[byte % _SIZE]) for byte in range(256))
_DROPPED = bytes(range(256 - 256 % _SIZE, 256))


def _random_chars(count: int) -> str:
    """``count`` characters of CSRF_ALLOWED_CHARS, uniformly and securely drawn."""
    chars = b""
    while len(chars) < count:
        chars += secrets.token_bytes(2 * count).translate(_TABLE, _DROPPED)
    return chars[:count].decode()


def csrf_token(request: HttpRequest) -> str:
    """The masked CSRF token of this visitor (a new secret, set as the cookie, if none)."""
    if settings.CSRF_USE_SESSIONS:  # the secret lives in the session: Django's own way
        return get_token(request)
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = request.META["CSRF_COOKIE"] = _random_chars(CSRF_SECRET_LENGTH)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # the middleware (re)sets the cookie
    mask = _random_chars(CSRF_SECRET_LENGTH)
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[s] + _INDEX[m]) % _SIZE]
        for s, m in zip(secret, mask, strict=True)
    )
    return mask + cipher
