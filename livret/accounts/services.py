"""Accounts: creation with an initial password (ACC-2), deactivation at once (ACC-3),
roles assigned by the client's administrators, login throttling, and API tokens.

API tokens are random (``secrets.token_urlsafe(32)``, 256 bits) and shown once; only their
SHA-256 and their first 8 characters (to name them in lists and ``livret token revoke``) are
stored. A revoked token, an unknown one, or one whose user was deactivated finds no user: the
check reads the user row on every call, nothing is cached. ``last_used_at`` is written at most
once a minute per token, not on every call.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from livret.accounts.models import ApiToken, LoginFailure
from livret.errors import NotAllowed, ServiceError
from livret.tenants.access import is_vendor, membership
from livret.tenants.models import Client, Membership, Role

CLIENT_ROLES = (Role.CLIENT_ADMIN, Role.CLIENT_USER)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)
PREFIX_LENGTH = 8  # characters of a token kept in clear, to name it
TOUCH_EVERY = timedelta(minutes=1)  # how often a token's last_used_at is written at most
MAX_TOKEN_LENGTH = 200  # token_urlsafe(32) is 43 characters; anything much longer is garbage


def initial_password() -> str:
    """A random initial password to hand over once (ACC-2): 16 letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def _may_manage(actor: User, client: Client | None) -> bool:
    if is_vendor(actor):
        return True
    member = membership(actor)
    return bool(
        member and member.role == Role.CLIENT_ADMIN and client and member.client_id == client.pk
    )


@dataclass(frozen=True)
class NewAccount:
    """An account and the initial password to hand over (shown once, never stored in clear)."""

    user: User
    password: str


@transaction.atomic
def create_account(
    actor: User,
    *,
    client: Client | None,
    username: str,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> NewAccount:
    """ACC-1, ACC-2: create an account with an initial password to change at first login.

    Client administrators create accounts of their own organisation; the vendor creates any.
    """
    if not _may_manage(actor, client):
        raise NotAllowed(
            "not-allowed", "vous ne pouvez pas créer de compte pour cette organisation"
        )
    if (client is None and role in CLIENT_ROLES) or (
        client is not None and role not in CLIENT_ROLES
    ):
        raise ServiceError("invalid", "ce rôle ne correspond pas à ce type de compte", field="role")
    if role not in Role.values:
        raise ServiceError("invalid", f"rôle inconnu « {role} »", field="role")
    if client is None and not is_vendor(actor):
        raise NotAllowed("vendor-only", "seul l'éditeur crée des comptes éditeur")
    username = username.strip()
    if not username:
        raise ServiceError("invalid", "l'identifiant est obligatoire", field="username")
    users = get_user_model()
    if users.objects.filter(username__iexact=username).exists():
        raise ServiceError("taken", "cet identifiant existe déjà", field="username")
    password = initial_password()
    user = users.objects.create_user(
        username=username,
        email=email.strip(),
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_staff=client is None,
    )
    Membership.objects.create(user=user, client=client, role=role, must_change_password=True)
    return NewAccount(user, password)


@transaction.atomic
def set_active(actor: User, user: User, active: bool) -> None:
    """ACC-3: deactivate at once: sessions deleted and API tokens revoked in the same step."""
    member = membership(user)
    client = member.client if member else None
    if not _may_manage(actor, client) or (client is None and not is_vendor(actor)):
        raise NotAllowed("not-allowed", "vous ne pouvez pas modifier ce compte")
    if user.pk == actor.pk and not active:
        raise ServiceError("invalid", "vous ne pouvez pas désactiver votre propre compte")
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        ApiToken.objects.filter(user=user, revoked=False).update(revoked=True)
        _delete_sessions(user)


def _delete_sessions(user: User) -> None:
    # Sessions are signed blobs keyed by id; decode each live one to find the user's.
    for session in Session.objects.filter(expire_date__gt=timezone.now()):
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


@transaction.atomic
def set_role(actor: User, user: User, role: str) -> None:
    """ACC-3: rights inside the service are assigned by the client's administrators."""
    member = membership(user)
    if member is None or not _may_manage(actor, member.client):
        raise NotAllowed("not-allowed", "vous ne pouvez pas modifier ce compte")
    allowed = CLIENT_ROLES if member.client_id else (Role.TECHNICIAN, Role.LEAD, Role.OPERATOR)
    if role not in allowed:
        raise ServiceError("invalid", f"rôle impossible pour ce compte : « {role} »", field="role")
    if user.pk == actor.pk:
        raise ServiceError("invalid", "vous ne pouvez pas changer votre propre rôle", field="role")
    member.role = role
    member.save(update_fields=["role"])


def throttled(username: str, ip: str | None, now: datetime | None = None) -> bool:
    """Too many recent failures for this username or from this address."""
    since = (now or timezone.now()) - THROTTLE_WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(username__iexact=username).count() >= MAX_FAILURES_PER_USERNAME:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= MAX_FAILURES_PER_ADDRESS


def record_failure(username: str, ip: str | None) -> None:
    """Count a failed login."""
    LoginFailure.objects.create(username=username[:150], ip=ip, at=timezone.now())


def clear_failures(username: str) -> None:
    """A successful login forgets the username's failures."""
    LoginFailure.objects.filter(username__iexact=username).delete()


# --------------------------------------------------------------------------- API tokens


class TokenError(Exception):
    """A token cannot be created or revoked as asked (message for people)."""


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """A new API token for ``user``; the returned string is the only copy of it."""
    if not user.is_active:
        raise TokenError(f"user {user.get_username()!r} is deactivated")
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # `livret token revoke -abc…` would read as an option
        token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=(name or "api")[:100],
        key_hash=hash_token(token),
        prefix=token[:PREFIX_LENGTH],
    )
    return token


def create_token_for_username(username: str, name: str = "") -> str:
    """A new token for the user called ``username`` (``livret token create``)."""
    users = get_user_model()
    try:
        user = users.objects.get(**{users.USERNAME_FIELD: username})
    except users.DoesNotExist:
        raise TokenError(f"no user {username!r}") from None
    return create_token(user, name)


def revoke_token(prefix: str) -> ApiToken:
    """Revoke the one active API token starting with ``prefix`` (its first 8 characters)."""
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < PREFIX_LENGTH:
        raise TokenError(f"a token prefix has {PREFIX_LENGTH} characters")
    found = list(ApiToken.objects.filter(prefix=prefix, revoked=False).select_related("user"))
    if not found:
        raise TokenError(f"no active token with prefix {prefix!r}")
    if len(found) > 1:
        names = ", ".join(f"{t.user.get_username()}/{t.name}" for t in found)
        raise TokenError(f"prefix {prefix!r} matches several tokens ({names}); revoke in the admin")
    token = found[0]
    token.revoked = True
    token.save(update_fields=["revoked"])
    return token


def user_for_token(token: str) -> Any | None:
    """The active user owning this active API token, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = (
        ApiToken.objects.select_related("user", "user__membership")
        .filter(key_hash=hash_token(token), revoked=False)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
