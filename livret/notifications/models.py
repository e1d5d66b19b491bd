"""Notifications to the vendor's staff: what happened on a request, for whom, read or not.

This app sits below ``support`` (which calls it) and knows no request: a notification names
its request by number (``thread``) and a link, as ``livret.mail``'s outbox does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a notification is about; each person chooses per kind how to hear of it."""

    NEW_REQUEST = "new-request", _("Nouvelle demande")
    CLIENT_REPLY = "client-reply", _("Message d'un client")
    ASSIGNED = "assigned", _("Demande attribuée")
    SLA_WARNING = "sla-warning", _("75 % d'un délai consommé")
    SLA_BREACH = "sla-breach", _("Délai dépassé")


class Notification(models.Model):
    """One thing one person is told, in the in-app list (read or not)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="destinataire",
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    title = models.CharField("titre", max_length=200)
    body = models.CharField("texte", max_length=500, blank=True)
    link = models.CharField("lien", max_length=300, help_text="chemin sur ce site (/demandes/…)")
    thread = models.CharField("demande", max_length=32, blank=True, help_text="son numéro")
    created_at = models.DateTimeField("créée le")
    read_at = models.DateTimeField("lue le", null=True, blank=True)

    class Meta:
        verbose_name = "notification"
        verbose_name_plural = "notifications"
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A person's list, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notification_list"),
            # The unread count of every page's menu: only unread rows are in this index.
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one person wants to hear of one kind; no row means both ways."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name="personne",
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    by_mail = models.BooleanField("par courriel", default=True)
    in_app = models.BooleanField("dans l'application", default=True)

    class Meta:
        verbose_name = "préférence de notification"
        verbose_name_plural = "préférences de notification"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()}"
