"""Back-office views of availability data, read-only: every change goes through services.py
(so that each one writes its StatusEvent)."""

from typing import Any

from django.contrib import admin

from livret.status.models import (
    Incident,
    Maintenance,
    Probe,
    ProbeStateChange,
    Service,
    StatusEvent,
    UpdateAnnouncement,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Service)
class ServiceAdmin(ReadOnly):
    list_display = ("name", "contract", "environment", "state", "public", "public_label")
    list_filter = ("environment", "state", "public")


@admin.register(Probe)
class ProbeAdmin(ReadOnly):
    list_display = ("service", "kind", "target", "enabled", "last_state", "last_checked_at")
    list_filter = ("kind", "enabled", "last_state")


@admin.register(ProbeStateChange)
class ProbeStateChangeAdmin(ReadOnly):
    list_display = ("probe", "at", "state", "error")


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ("title", "cause", "status", "started_at", "ended_at", "public")
    list_filter = ("cause", "status")


@admin.register(Maintenance)
class MaintenanceAdmin(ReadOnly):
    list_display = ("title", "kind", "blocking", "starts_at", "ends_at", "status")
    list_filter = ("kind", "status")


@admin.register(UpdateAnnouncement)
class UpdateAnnouncementAdmin(ReadOnly):
    list_display = ("offer_id", "version_label", "kind", "planned_for", "regulatory")


@admin.register(StatusEvent)
class StatusEventAdmin(ReadOnly):
    list_display = ("at", "kind", "title", "public")
    list_filter = ("kind", "public")
