from django.contrib import admin

from livret.offers.models import OfferVersion


@admin.register(OfferVersion)
class OfferVersionAdmin(admin.ModelAdmin):
    """Versions are read-only here: a new version comes from ``livret offers import``."""

    list_display = ("offer_id", "number", "label", "name", "vendor", "builtin", "imported_at")
    list_filter = ("offer_id", "builtin", "kind")
    search_fields = ("offer_id", "name", "vendor")
    readonly_fields = [f.name for f in OfferVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
