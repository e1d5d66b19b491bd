"""The mail outbox (docs/decisions/0007): one row per mail, written in the transaction of the
change it reports (``livret.mail.services.queue_mail``), sent by the worker after commit
(``livret.mail.outbox``).

This app is a base layer: it knows no domain app. A mail joins a conversation through its
``thread`` (a support request's number), which the sender turns into threading headers.
"""

from __future__ import annotations

from django.db import models


class OutgoingMail(models.Model):
    """The mail outbox: written in the transaction of the change, sent by the worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        SENDING = "sending", "en cours d'envoi"
        SENT = "sent", "envoyé"
        FAILED = "failed", "échec"

    thread = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="the conversation (a request number) whose threading headers the mail carries",
        verbose_name="fil (numéro de demande)",
    )
    to = models.JSONField(verbose_name="destinataires")
    subject = models.CharField(max_length=255, verbose_name="objet")
    body = models.TextField(verbose_name="texte")
    reason = models.CharField(max_length=40, verbose_name="motif")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name="état"
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name="tentatives")
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name="réservé le")
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name="envoyé le")
    last_error = models.TextField(blank=True, verbose_name="dernière erreur")
    created_at = models.DateTimeField(verbose_name="créé le")

    class Meta:
        verbose_name = "courriel sortant"
        verbose_name_plural = "courriels sortants"
        indexes = [models.Index(fields=["status", "created_at"], name="mail_outbox_pending")]
