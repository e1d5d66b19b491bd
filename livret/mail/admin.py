"""Back-office view of the outbox, read-only: services queue the mails, the worker sends them."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.mail.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnlyAdmin):
    list_display = ("subject", "reason", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "reason")
