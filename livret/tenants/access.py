"""Who is who: the persona helpers every app uses (tenancy by construction, ACC-3).

A person is vendor staff (a vendor role, or a superuser) or a client's member (administrator or
user of one client). Apps reach their protected objects through their own ``access_*`` helpers,
which build on these three functions; none re-implements them.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404

from livret.errors import NotAllowed
from livret.tenants.models import Membership

# ``request.user``: a signed-in person or the anonymous visitor.
Person: TypeAlias = User | AnonymousUser


def membership(user: Person | None) -> Membership | None:
    """The user's membership (vendor role or client), if any."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def is_vendor(user: Person | None) -> bool:
    """Vendor staff: an active user with a vendor role, or a superuser."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    member = membership(user)
    return bool(user.is_superuser or (member and member.client_id is None))


def require_vendor(user: Person | None) -> None:
    """Refuse (:class:`NotAllowed`) anyone but vendor staff."""
    if not is_vendor(user):
        raise NotAllowed("vendor-only", "seul le personnel de l'éditeur peut faire cela")


def require_vendor_page(user: Person | None) -> None:
    """Back-office pages exist only for vendor staff: anyone else gets a 404 (reveals nothing)."""
    if not is_vendor(user):
        raise Http404()


def vendor_staff() -> QuerySet[User]:
    """Active vendor staff (a vendor role, or a superuser), by name: who may work a request."""
    vendor = Q(is_superuser=True) | Q(membership__isnull=False, membership__client__isnull=True)
    return User.objects.filter(vendor, is_active=True).order_by(
        "first_name", "last_name", "username"
    )
