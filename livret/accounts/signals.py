"""Login failures and successes, whichever login form they come from (portal, admin):
every ``authenticate()`` that fails counts against the throttle, a login clears it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from livret.accounts import services


@receiver(user_login_failed)
def count_failure(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    """A failed login counts for its username and its address."""
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    services.record_failure(str(credentials.get("username") or ""), ip)


@receiver(user_logged_in)
def forget_failures(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A successful login forgets the username's failures."""
    services.clear_failures(user.get_username())
