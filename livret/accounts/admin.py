"""Back-office view of the users' API tokens: listed and revocable, never created here."""

from django.contrib import admin

from livret.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at")
    list_filter = ("revoked",)

    def has_add_permission(self, request, obj=None):
        return False  # tokens are created with `livret token create`, shown once
