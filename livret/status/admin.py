"""Back-office views of availability data, read-only: every change goes through services.py
(so that each one writes its StatusEvent)."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.status.models import (
    Incident,
    Maintenance,
    Probe,
    ProbeStateChange,
    Service,
    StatusEvent,
    UpdateAnnouncement,
)


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ("name", "contract", "environment", "state", "public", "public_label")
    list_filter = ("environment", "state", "public")


@admin.register(Probe)
class ProbeAdmin(ReadOnlyAdmin):
    list_display = ("service", "kind", "target", "enabled", "last_state", "last_checked_at")
    list_filter = ("kind", "enabled", "last_state")


@admin.register(ProbeStateChange)
class ProbeStateChangeAdmin(ReadOnlyAdmin):
    list_display = ("probe", "at", "state", "error")


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("title", "cause", "status", "started_at", "ended_at", "public")
    list_filter = ("cause", "status")


@admin.register(Maintenance)
class MaintenanceAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "blocking", "starts_at", "ends_at", "status")
    list_filter = ("kind", "status")


@admin.register(UpdateAnnouncement)
class UpdateAnnouncementAdmin(ReadOnlyAdmin):
    list_display = ("offer_id", "version_label", "kind", "planned_for", "regulatory")


@admin.register(StatusEvent)
class StatusEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "title", "public")
    list_filter = ("kind", "public")
