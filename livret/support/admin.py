"""Back-office views of support data, read-only: every change goes through ``services``."""

from typing import Any

from django import forms
from django.contrib import admin

from livret.admin import ReadOnlyAdmin
from livret.offers.models import OfferVersion
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


class TeamForm(forms.ModelForm):
    """A team's offers are identifiers of imported offers: a typo would route nothing."""

    class Meta:
        model = Team
        fields = "__all__"

    def clean_offers(self) -> Any:
        offers = self.cleaned_data["offers"] or []
        if not isinstance(offers, list) or not all(isinstance(o, str) for o in offers):
            raise forms.ValidationError(
                "une liste d'identifiants d'offres, par exemple [\"quadra-entreprise\"]"
            )
        known = set(OfferVersion.objects.values_list("offer_id", flat=True))
        unknown = [o for o in offers if o not in known]
        if unknown:
            raise forms.ValidationError(
                f"offre inconnue : {', '.join(unknown)} (offres importées : "
                f"{', '.join(sorted(known)) or 'aucune'})"
            )
        return offers


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams are set by the vendor: which offers they take, who leads, who works in them."""

    form = TeamForm
    list_display = ("name", "lead")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "team")
    list_filter = ("team",)
