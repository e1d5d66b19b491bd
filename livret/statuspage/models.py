"""Subscriptions to the status page and their deliveries (SPEC MNT-3).

A :class:`Subscription` is an e-mail address (double opt-in: it receives nothing until its
confirmation link is used) or a webhook URL (HMAC-signed POSTs), for one vendor's page. A
subscription without a client gets the public events; a client's subscription also gets the
events of that client's own services.

The worker fans each :class:`~livret.status.models.StatusEvent` out into one
:class:`Delivery` per matching subscription — the unique constraint on (subscription, event)
is what makes an event reach a subscription at most once — then sends the due deliveries,
claimed by compare-and-swap, retried with exponential back-off (``livret.statuspage.jobs``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from livret.status.models import StatusEvent
from livret.tenants.models import Client


def new_token() -> str:
    """An unguessable token for confirmation and unsubscribe links."""
    return secrets.token_urlsafe(24)


def new_secret() -> str:
    """A webhook signing secret (256 bits, hex)."""
    return secrets.token_hex(32)


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class Subscription(models.Model):
    """MNT-3: someone who wants to hear about a vendor's services, by e-mail or webhook."""

    channel = models.CharField("canal", max_length=8, choices=Channel.choices)
    vendor = models.SlugField("éditeur", max_length=64, help_text="identifiant de la page")
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_subscriptions",
        help_text="vide : annonces publiques seulement",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="status_subscriptions",
        verbose_name="créé par",
    )
    email = models.EmailField("adresse e-mail", blank=True)
    webhook_url = models.URLField("adresse du webhook", max_length=500, blank=True)
    secret = models.CharField("secret de signature", max_length=64, blank=True)
    confirm_token = models.CharField(
        max_length=64, unique=True, default=new_token, verbose_name="jeton de confirmation"
    )
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name="confirmation envoyée le"
    )
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)
    unsubscribe_token = models.CharField(
        max_length=64, unique=True, default=new_token, verbose_name="jeton de désabonnement"
    )
    # Events up to this id happened before the subscription started: never sent to it.
    start_after_event = models.BigIntegerField(default=0, verbose_name="à partir de l'événement")
    active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField("créé le")
    ended_at = models.DateTimeField("désabonné le", null=True, blank=True)

    class Meta:
        verbose_name = "abonnement à la page de statut"
        verbose_name_plural = "abonnements à la page de statut"
        ordering = ["vendor", "-created_at"]
        indexes = [models.Index(fields=["vendor", "email"], name="status_sub_email")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(channel="email", webhook_url="") & ~models.Q(email="")
                    | models.Q(channel="webhook", email="") & ~models.Q(webhook_url="")
                ),
                name="status_sub_one_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} → {self.email or self.webhook_url}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def address(self) -> str:
        """Where deliveries go: the e-mail address or the webhook URL."""
        return self.email or self.webhook_url


class Delivery(models.Model):
    """One event for one subscription: sent once, retried with back-off until it is."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("En cours d'envoi")
        DELIVERED = "delivered", _("Remis")
        FAILED = "failed", _("Échec définitif")
        DROPPED = "dropped", _("Abandonné (abonnement terminé)")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name="abonnement"
    )
    event = models.ForeignKey(
        StatusEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name="événement"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name="état"
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name="tentatives")
    next_attempt_at = models.DateTimeField(verbose_name="prochaine tentative")
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name="réservé le")
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name="remis le")
    last_error = models.TextField(blank=True, verbose_name="dernière erreur")
    created_at = models.DateTimeField(verbose_name="créé le")

    class Meta:
        verbose_name = "envoi"
        verbose_name_plural = "envois"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"


class FanOutCursor(models.Model):
    """Where the fan-out stands in the event log (one row).

    ``position`` is the highest event id fanned out. ``gaps`` lists lower ids not seen yet
    (a transaction that took an id earlier but committed later, on PostgreSQL) with the time
    they were first missed; they are looked for again until :data:`jobs.GAP_PATIENCE` passes.
    """

    position = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict, verbose_name="trous")

    class Meta:
        verbose_name = "curseur de diffusion"
        verbose_name_plural = "curseurs de diffusion"


class PageVersion(models.Model):
    """A counter bumped after every commit that changes what the status pages show.

    The cache key of a page holds this counter and the newest event id, read in one query
    per request (``livret.statuspage.cache``).
    """

    counter = models.BigIntegerField(default=0, verbose_name="compteur")

    class Meta:
        verbose_name = "version de la page de statut"
        verbose_name_plural = "versions de la page de statut"
