"""Back-office views of support data, read-only: every change goes through ``services``."""

from django.contrib import admin

from livret.support.models import OutgoingMail, Request, RequestEvent


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("seq", "at", "kind", "actor_label", "data", "hash")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ReadOnly):
    list_display = (
        "number",
        "client",
        "kind",
        "state",
        "priority",
        "criticity",
        "pickup_due_at",
        "next_deadline_at",
        "registered_at",
    )
    list_filter = ("state", "kind", "priority", "criticity", "client")
    search_fields = ("number", "title", "client__name")
    inlines = [EventInline]


@admin.register(OutgoingMail)
class OutgoingMailAdmin(ReadOnly):
    list_display = ("subject", "reason", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "reason")
