"""Every change to status-page subscriptions (MNT-3): subscribe, confirm, unsubscribe, webhooks.

Each function is atomic. E-mail subscriptions are double opt-in: :func:`subscribe_email`
queues a confirmation mail (through the mail outbox, ``livret.mail.services.queue_mail``,
sent by the worker's ``mail`` job) and the subscription receives nothing until
:func:`confirm` runs. Webhooks are created by logged-in people (a client's administrator for
the client's services, vendor staff for the public events) and receive events from then on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from livret.errors import NotAllowed, NotFound, ServiceError
from livret.mail.services import queue_mail
from livret.status.models import StatusEvent
from livret.statuspage.board import vendor_name
from livret.statuspage.feeds import absolute
from livret.statuspage.models import Channel, Delivery, Subscription, new_secret
from livret.statuspage.rules import webhook_url_problem
from livret.statuspage.targets import registration_problem
from livret.tenants.access import is_vendor, membership
from livret.tenants.models import Role

CONFIRM_WITHIN = timedelta(days=7)  # a confirmation link older than this has expired
RESEND_AFTER = timedelta(minutes=10)  # at most one confirmation mail per address this often


class Expired(ServiceError):
    """The confirmation link is too old."""

    status = 410


def _last_event_id() -> int:
    return StatusEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def _client_of(user: User) -> int | None:
    member = membership(user) if user is not None and user.is_authenticated else None
    return member.client_id if member is not None else None


@transaction.atomic
def subscribe_email(
    vendor: str, email: str, now: datetime, *, user: User | None = None
) -> Subscription:
    """Ask for the vendor's announcements by e-mail; a confirmation mail is queued.

    With ``user`` (a client's person, logged in), the subscription is the client's: it also
    receives the events of the client's own services, and goes to the user's own address.
    Asking again for the same address sends the confirmation again (at most every ten
    minutes) and never creates a second subscription.
    """
    name = vendor_name(vendor)
    client_id = _client_of(user)
    if client_id is not None and user is not None:
        email = user.email
    email = email.strip()
    if not email:
        raise ServiceError("invalid", "Adresse e-mail : ce champ est obligatoire", field="email")
    existing = (
        Subscription.objects.select_for_update()
        .filter(
            channel=Channel.EMAIL,
            vendor=vendor,
            email__iexact=email,
            client_id=client_id,
            active=True,
        )
        .first()
    )
    if existing is not None and (
        existing.confirmed
        or (existing.confirmation_sent_at and now - existing.confirmation_sent_at < RESEND_AFTER)
    ):
        return existing
    subscription = existing or Subscription(
        channel=Channel.EMAIL,
        vendor=vendor,
        email=email,
        client_id=client_id,
        created_by=user if client_id is not None else None,
        created_at=now,
    )
    subscription.confirmation_sent_at = now
    subscription.save()
    link = absolute(reverse("statuspage:confirm", args=[subscription.confirm_token]))
    queue_mail(
        [email],
        f"Confirmez votre abonnement à l'état des services {name}",
        render_to_string(
            "statuspage/mail/confirm.txt",
            {"vendor": name, "link": link, "private": client_id is not None},
        ),
        reason="status-subscription",
        now=now,
        names=[user.get_full_name()] if client_id is not None and user is not None else [],
        vendor=name,
    )
    return subscription


def _by_token(**lookup: object) -> Subscription:
    try:
        return Subscription.objects.select_for_update().get(**lookup)
    except Subscription.DoesNotExist:
        raise NotFound("not-found", "Ce lien ne correspond à aucun abonnement.") from None


def to_confirm(token: str) -> Subscription:
    """The active subscription a confirmation link names; NotFound otherwise."""
    found = Subscription.objects.filter(confirm_token=token, active=True).first()
    if found is None:
        raise NotFound("not-found", "Ce lien ne correspond à aucun abonnement.")
    return found


def to_unsubscribe(token: str) -> Subscription:
    """The subscription an unsubscribe link names (ended or not); NotFound otherwise."""
    found = Subscription.objects.filter(unsubscribe_token=token).first()
    if found is None:
        raise NotFound("not-found", "Ce lien ne correspond à aucun abonnement.")
    return found


@transaction.atomic
def confirm(token: str, now: datetime) -> Subscription:
    """Double opt-in, second step: from now on the subscription receives the new events."""
    subscription = _by_token(confirm_token=token, active=True)
    if subscription.confirmed:
        return subscription
    sent = subscription.confirmation_sent_at or subscription.created_at
    if now - sent > CONFIRM_WITHIN:
        raise Expired(
            "expired",
            "Ce lien de confirmation a expiré (7 jours) : abonnez-vous à nouveau.",
        )
    subscription.confirmed_at = now
    subscription.start_after_event = _last_event_id()
    subscription.save(update_fields=["confirmed_at", "start_after_event"])
    return subscription


@transaction.atomic
def unsubscribe(token: str, now: datetime) -> Subscription:
    """End a subscription (one click, RFC 8058); what was not sent yet is dropped."""
    subscription = _by_token(unsubscribe_token=token)
    if subscription.active:
        subscription.active = False
        subscription.ended_at = now
        subscription.save(update_fields=["active", "ended_at"])
    _drop_pending(subscription)
    return subscription


def _drop_pending(subscription: Subscription) -> None:
    Delivery.objects.filter(subscription=subscription, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.DROPPED
    )


# --------------------------------------------------------------------------- webhooks


def may_manage_webhooks(user: User) -> bool:
    """Vendor staff (public events) and clients' administrators (their client's events)."""
    if is_vendor(user):
        return True
    member = membership(user) if user.is_authenticated else None
    return member is not None and member.role == Role.CLIENT_ADMIN


def webhooks_of(user: User, vendor: str) -> QuerySet[Subscription]:
    """The webhooks this user sees on the vendor's page: the client's own, or (vendor
    staff) the public ones; nobody else's."""
    hooks = Subscription.objects.filter(channel=Channel.WEBHOOK, vendor=vendor, active=True)
    if is_vendor(user):
        return hooks.filter(client__isnull=True)
    client_id = _client_of(user)
    if client_id is None:
        return hooks.none()
    return hooks.filter(client_id=client_id)


@transaction.atomic
def add_webhook(user: User, vendor: str, url: str, now: datetime) -> Subscription:
    """A signed webhook for the vendor's events; its secret is shown once to its creator."""
    vendor_name(vendor)
    if not may_manage_webhooks(user):
        raise NotAllowed(
            "not-allowed", "seul un administrateur du client ou l'éditeur gère les webhooks"
        )
    url = url.strip()
    # Issue 13: a public address only, unless the operator allows the host.
    problem = webhook_url_problem(url) or registration_problem(url)
    if problem:
        raise ServiceError("invalid", f"Adresse du webhook : {problem}", field="url")
    return Subscription.objects.create(
        channel=Channel.WEBHOOK,
        vendor=vendor,
        client_id=None if is_vendor(user) else _client_of(user),
        created_by=user,
        webhook_url=url,
        secret=new_secret(),
        confirmed_at=now,
        start_after_event=_last_event_id(),
        created_at=now,
    )


@transaction.atomic
def remove_webhook(user: User, vendor: str, pk: int, now: datetime) -> Subscription:
    """Stop a webhook; another client's webhook is "not found"."""
    if not may_manage_webhooks(user):
        raise NotFound("not-found", "Aucun webhook de ce numéro.")
    try:
        hook = webhooks_of(user, vendor).select_for_update().get(pk=pk)
    except Subscription.DoesNotExist:
        raise NotFound("not-found", "Aucun webhook de ce numéro.") from None
    hook.active = False
    hook.ended_at = now
    hook.save(update_fields=["active", "ended_at"])
    _drop_pending(hook)
    return hook
