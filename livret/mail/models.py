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
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    thread = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="the conversation (a request number) whose threading headers the mail carries",
    )
    to = models.JSONField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    reason = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="mail_outbox_pending")]
