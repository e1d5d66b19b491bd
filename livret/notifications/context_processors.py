"""The unread count in every page's menu, for the vendor's staff only (clients get no staff
notifications)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from livret.notifications.services import unread_count
from livret.tenants.access import is_vendor


def unread(request: HttpRequest) -> dict[str, Any]:
    """``notifications_menu`` for staff, and ``notifications_unread``: a callable the template
    calls, so the count runs only on a page that shows it (not on the partials other pages
    poll), once."""
    user = getattr(request, "user", None)
    if not is_vendor(user):
        return {"notifications_menu": False}
    return {
        "notifications_menu": True,
        "notifications_unread": cache(lambda: unread_count(user)),
    }
