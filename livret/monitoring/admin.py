"""Back-office views of monitoring data, read-only: changes go through services and triage."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.monitoring.models import (
    BackupJob,
    ImpactSetting,
    MonitoringAlert,
    PhoneCallTask,
    PreventiveVisit,
    Server,
    ServerToken,
    Site,
)


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ("name", "client", "contract", "users_count", "created_at")
    list_filter = ("client",)
    search_fields = ("name", "client__name")


@admin.register(Server)
class ServerAdmin(ReadOnlyAdmin):
    list_display = ("hostname", "site", "os", "monitored", "last_seen_at", "clock_flagged")
    list_filter = ("os", "monitored", "clock_flagged")
    search_fields = ("hostname",)
    exclude = ("engine_state",)


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(ReadOnlyAdmin):
    list_display = (
        "server",
        "rule",
        "series",
        "state",
        "impact",
        "occurrences",
        "level",
        "firing_at",
        "resolved_at",
        "request",
    )
    list_filter = ("state", "impact", "level", "source")
    search_fields = ("server__hostname", "rule", "fingerprint")


@admin.register(PhoneCallTask)
class PhoneCallTaskAdmin(ReadOnlyAdmin):
    list_display = ("alert", "created_at", "done_at", "done_by")


@admin.register(PreventiveVisit)
class PreventiveVisitAdmin(ReadOnlyAdmin):
    list_display = ("site", "year", "planned_for", "done_on", "technician")
    list_filter = ("year",)


@admin.register(ImpactSetting)
class ImpactSettingAdmin(ReadOnlyAdmin):
    list_display = ("rule", "server", "impact", "changed_by", "changed_at")


@admin.register(BackupJob)
class BackupJobAdmin(ReadOnlyAdmin):
    list_display = ("server", "name", "due_time", "timezone", "next_due_at")
    search_fields = ("server__hostname", "name")


@admin.register(ServerToken)
class ServerTokenAdmin(ReadOnlyAdmin):
    list_display = ("server", "prefix", "created_at", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("server__hostname", "prefix")
    exclude = ("key_hash",)
