"""Interface language (French unless the user chose English with the language switcher),
and the Content-Security-Policy of every HTML page.

Django's ``LocaleMiddleware`` also follows the browser's ``Accept-Language``; here the
browser is ignored on purpose (docs/decisions/0008-french-interface-first.md): the language
comes only from the ``django_language`` cookie that ``set_language`` (``/i18n/setlang/``)
sets, and defaults to ``LANGUAGE_CODE`` (French).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


def language_from_cookie(request: HttpRequest) -> str:
    """The supported language named by the cookie, else the default (French)."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class CookieLocaleMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` reading only the language cookie, never ``Accept-Language``."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(language_from_cookie(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The page depends on the cookie, not on Accept-Language.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",  # style="" attributes, htmx's indicator style
        "script-src 'self'",  # no inline script anywhere, the admin's included
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Every HTML page gets the site's Content-Security-Policy, unless its view set a
    stricter one (the sandboxed downloads)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
