"""The unread count in every page's menu, for the vendor's staff only (clients get no staff
notifications)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from livret.notifications.services import unread_count
from livret.tenants.access import is_vendor


def unread(request: HttpRequest) -> dict[str, Any]:
    """``notifications_menu`` for staff, and ``notifications_unread``: counted only when a
    template shows it (the page's partials, rendered on every poll, never do)."""
    user = getattr(request, "user", None)
    if not is_vendor(user):
        return {"notifications_menu": False}
    return {
        "notifications_menu": True,
        "notifications_unread": SimpleLazyObject(lambda: unread_count(user)),
    }
