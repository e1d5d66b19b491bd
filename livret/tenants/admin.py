from django.contrib import admin

from livret.tenants.models import Client, Contract, Membership


class ContractInline(admin.TabularInline):
    model = Contract
    extra = 0
    fields = ("reference", "offer_version", "formula", "options", "start_date", "territory")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ContractInline]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """Saving runs Contract.clean(): the offer's rules are refused with their reason."""

    list_display = ("reference", "client", "offer_version", "formula", "territory", "start_date")
    list_filter = ("offer_version__offer_id", "territory")
    search_fields = ("reference", "client__name")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "client", "role")
    list_filter = ("role", "client")
