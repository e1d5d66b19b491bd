"""Back-office views of support data, read-only: every change goes through ``services``."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.support.models import CannedResponse, Request, RequestEvent, Team


class EventInline(admin.TabularInline):
    model = RequestEvent
    fields = ("seq", "at", "kind", "actor_label", "data", "hash")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
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


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams are set by the vendor: which offers they take, who leads, who works in them."""

    list_display = ("name", "lead")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "team")
    list_filter = ("team",)
