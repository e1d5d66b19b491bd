"""Who is who: the persona helpers every app uses (tenancy by construction, ACC-3).

A person is vendor staff (a vendor role, or a superuser) or a client's member (administrator or
user of one client). Apps reach their protected objects through their own ``access_*`` helpers,
which build on these three functions; none re-implements them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

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


def display_name(user: Person | None) -> str:
    """How pages name a person: the full name, else the e-mail address — never the login (a
    login is a secret half of the credentials, and means nothing to the reader)."""
    if user is None or not user.is_authenticated:
        return ""
    return user.get_full_name().strip() or user.email or gettext("compte sans nom")


def can_use_admin(user: Person | None) -> bool:
    """The back office's admin (``/admin/``) is some use to this person: active staff with at
    least one permission there (a staff flag alone opens an empty admin)."""
    if user is None or not user.is_authenticated or not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.get_all_permissions())


def full_names(addresses: Sequence[str]) -> list[str]:
    """The full names of the people behind these e-mail addresses, in their order (a mail
    greets them by name); an address no named active account has is left out."""
    found: dict[str, str] = {}
    for email, first, last in User.objects.filter(
        email__in=[a for a in addresses if a], is_active=True
    ).values_list("email", "first_name", "last_name"):
        name = f"{first} {last}".strip()
        if name:
            found.setdefault(email, name)
    return [found[a] for a in dict.fromkeys(addresses) if a in found]
