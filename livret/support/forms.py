"""Forms of the support pages. Validation of rules stays in ``services``; these only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from livret.support.models import Criticity, Kind, Priority, Team
from livret.support.services import person_name
from livret.tenants.access import vendor_staff


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (REQ-2: the filer may attach files)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class NewRequestForm(forms.Form):
    """REQ-2: guided filing — context, error messages, menu path, attachments."""

    contract = forms.ChoiceField(label=_("Contrat"))
    kind = forms.ChoiceField(label=_("Type de demande"), choices=Kind.choices)
    priority = forms.ChoiceField(
        label=_("Priorité"),
        choices=Priority.choices,
        initial=Priority.MODERATE,
        help_text=_(
            "Critique : le service est inutilisable ; Élevée : une fonction importante "
            "est gênée ; Modérée : le reste."
        ),
    )
    title = forms.CharField(label=_("Objet"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea,
        help_text=_("Ce qui se passe, ce que vous attendiez."),
    )
    context = forms.CharField(
        label=_("Contexte"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Quel traitement, pour quel dossier, depuis quand ?"),
    )
    error_messages = forms.CharField(
        label=_("Messages d'erreur"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Copiez le texte exact du message."),
    )
    menu_path = forms.CharField(
        label=_("Enchaînement des menus"),
        max_length=500,
        required=False,
        help_text=_("Par exemple : Saisie > Journaux > Caisse."),
    )
    attachments = MultipleFileField(
        label=_("Pièces jointes"),
        required=False,
        help_text=_("Captures d'écran, fichiers concernés."),
    )

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (str(c.pk), f"{c.reference} — {c.offer_version.name}") for c in contracts
        ]
        if len(contracts) == 1:
            self.fields["contract"].initial = str(contracts[0].pk)


class TextForm(forms.Form):
    """A single text (comment, answer, reason, question, plan, fix)."""

    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class QualifyForm(forms.Form):
    criticity = forms.TypedChoiceField(
        label=_("Criticité"),
        choices=[("", _("Pas une anomalie")), *Criticity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class RemoteSessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Début"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=1, max_value=480, initial=30)


class ProposalForm(forms.Form):
    service = forms.CharField(label=_("Prestation"), max_length=40)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    amount_eur = forms.DecimalField(label=_("Montant (€ HT)"), required=False, min_value=0)
    credits = forms.IntegerField(label=_("Crédits de services"), required=False, min_value=0)


class PhoneRequestForm(forms.Form):
    """REQ-1: a call recorded by a technician."""

    contract = forms.ChoiceField(label=_("Contrat"))
    filer = forms.ChoiceField(label=_("Appelant"))
    portal_request = forms.CharField(
        label=_("Numéro de la demande portail"),
        required=False,
        max_length=32,
        help_text=_("Obligatoire pour Quadra : la demande doit d'abord être créée sur le portail."),
    )
    priority = forms.ChoiceField(
        label=_("Priorité"), choices=Priority.choices, initial=Priority.MODERATE
    )
    title = forms.CharField(label=_("Objet"), max_length=200)
    description = forms.CharField(
        label=_("Résumé de l'appel"), widget=forms.Textarea(attrs={"rows": 4})
    )


class StaffChoiceField(forms.ModelChoiceField):
    """A vendor staff member, shown by full name (never by login)."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class AssignForm(forms.Form):
    """Who works the request: a technician of the vendor, or nobody (back to the team)."""

    assignee = StaffChoiceField(
        label=_("Technicien"),
        queryset=vendor_staff(),
        required=False,
        empty_label=_("— personne —"),
    )


class TeamForm(forms.Form):
    """The team the request belongs to (set at filing from its offer)."""

    team = forms.ModelChoiceField(
        label=_("Équipe"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("— aucune —"),
    )
