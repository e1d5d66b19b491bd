"""ACC-2: a user holding an initial password must change it before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from livret.tenants.models import Membership

EXEMPT_PREFIXES = ("/static/", "/api/", "/healthz", "/i18n/")


class ForcePasswordChangeMiddleware:
    """Redirect every page to the password change until the initial password is replaced."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: an exempt path (the API) never loads the session's user here.
        user = request.user
        if not request.path.startswith(EXEMPT_PREFIXES) and user.is_authenticated:
            allowed = {reverse("password-change"), reverse("logout")}
            if request.path not in allowed and _must_change(user):
                return redirect(f"{reverse('password-change')}?initial=1")
        return self.get_response(request)


def _must_change(user: object) -> bool:
    try:
        return bool(user.membership.must_change_password)  # type: ignore[attr-defined]
    except Membership.DoesNotExist:
        return False
