"""Back-office views of subscriptions and deliveries, read-only: changes go through services."""

from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.statuspage.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("vendor", "channel", "address", "client", "confirmed_at", "active")
    list_filter = ("vendor", "channel", "active")
    search_fields = ("email", "webhook_url")
    exclude = ("secret", "confirm_token", "unsubscribe_token")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("event", "subscription", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status",)
    list_select_related = ("event", "subscription")
