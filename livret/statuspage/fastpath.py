"""The public status page's fast path (MNT-3: 1,000 requests/s on two cores).

A plain anonymous visit of ``/statut/<vendor>/`` or its ``statut.json`` (no session, no
pending messages, no query string) is the same page for everyone and comes from the cache
(livret.statuspage.cache). Such a visit does not need the session, authentication, message
and password-change middlewares: this middleware, placed right after the security and static
file middlewares, answers it with only what the page does need — the host check, the
language cookie, the visitor's CSRF cookie for the language form, and the response headers the
full stack would set. Anything else (a session, a query, an unknown vendor, a bad host) goes
through the full stack unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from livret.web.middleware import language_from_cookie

PUBLIC_PATH = re.compile(r"^/statut/(?P<vendor>[-a-zA-Z0-9_]+)/(?P<json>statut\.json)?$")


def _plain_visit(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and not (
        request.META.get("QUERY_STRING")
        or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or request.COOKIES.get("messages")
    )


class PublicStatusFastPath:
    """Serve plain anonymous visits of the public status page and JSON without the session,
    authentication and message middlewares (their answer would be the same)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = PUBLIC_PATH.match(request.path_info)
        if match is None or not _plain_visit(request):
            return self.get_response(request)
        try:
            request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware checks it
        except DisallowedHost:
            return self.get_response(request)
        from livret.statuspage import views

        translation.activate(language_from_cookie(request))
        request.LANGUAGE_CODE = translation.get_language()
        request.user = AnonymousUser()  # no session cookie: anonymous (templates read it)
        self.csrf.process_request(request)
        try:
            if match["json"]:
                response = views.summary(request, match["vendor"])
            else:
                response = views.public_page(request, match["vendor"])
        except Http404:
            return self.get_response(request)  # the full stack renders the French 404
        response = self.csrf.process_response(request, response)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response
