"""Back-office view of the outbox, read-only: services queue the mails, the worker sends them."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from livret.mail.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("subject", "reason", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "reason")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
