"""Where each role lands after login and on ``/``: where its work is.

A client's people (administrator or user) land on their requests, a technician on the queue,
operations on the services board, a support lead (and a superuser without a role) on the
dashboard. The login form's ``next=`` still wins (``accounts.views.LoginView``).
"""

from __future__ import annotations

from django.urls import reverse

from livret.tenants.access import Person, is_vendor, membership
from livret.tenants.models import Role

LANDING = {
    Role.CLIENT_ADMIN: "request-list",
    Role.CLIENT_USER: "request-list",
    Role.TECHNICIAN: "queue",
    Role.OPERATOR: "status-services",
    Role.LEAD: "dashboard",
}


def landing_url(user: Person | None) -> str | None:
    """The page this person's role works on; ``None`` for the anonymous and for a login with
    no role on the platform (they see the home page)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    member = membership(user)
    if member is not None:
        return reverse(LANDING[Role(member.role)])
    return reverse("dashboard") if is_vendor(user) else None
