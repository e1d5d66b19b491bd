"""Back-office views of the notifications, read-only: support writes them, people read them."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "recipient", "kind", "thread", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("thread", "title")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "by_mail", "in_app")
    list_filter = ("kind",)
