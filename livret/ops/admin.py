from django.contrib import admin

from livret.ops.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "started_at", "last_seen", "jobs_run")
