"""Forms of the support pages. Validation of rules stays in services.py; these only parse."""

from __future__ import annotations

from typing import Any

from django import forms

from livret.support.models import Criticity, Kind, Priority


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

    contract = forms.ChoiceField(label="Contrat")
    kind = forms.ChoiceField(label="Type de demande", choices=Kind.choices)
    priority = forms.ChoiceField(
        label="Priorité",
        choices=Priority.choices,
        initial=Priority.MODERATE,
        help_text="Critique : le service est inutilisable ; Élevée : une fonction importante "
        "est gênée ; Modérée : le reste.",
    )
    title = forms.CharField(label="Objet", max_length=200)
    description = forms.CharField(
        label="Description",
        widget=forms.Textarea,
        help_text="Ce qui se passe, ce que vous attendiez.",
    )
    context = forms.CharField(
        label="Contexte",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Quel traitement, pour quel dossier, depuis quand ?",
    )
    error_messages = forms.CharField(
        label="Messages d'erreur",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Copiez le texte exact du message.",
    )
    menu_path = forms.CharField(
        label="Enchaînement des menus",
        max_length=500,
        required=False,
        help_text="Par exemple : Saisie > Journaux > Caisse.",
    )
    attachments = MultipleFileField(
        label="Pièces jointes", required=False, help_text="Captures d'écran, fichiers concernés."
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

    text = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))


class QualifyForm(forms.Form):
    criticity = forms.TypedChoiceField(
        label="Criticité",
        choices=[("", "Pas une anomalie"), *Criticity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class RemoteSessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Début", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label="Durée (minutes)", min_value=1, max_value=480, initial=30)


class ProposalForm(forms.Form):
    service = forms.CharField(label="Prestation", max_length=40)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}))
    amount_eur = forms.DecimalField(label="Montant (€ HT)", required=False, min_value=0)
    credits = forms.IntegerField(label="Crédits de services", required=False, min_value=0)


class PhoneRequestForm(forms.Form):
    """REQ-1: a call recorded by a technician."""

    contract = forms.ChoiceField(label="Contrat")
    filer = forms.ChoiceField(label="Appelant")
    portal_request = forms.CharField(
        label="Numéro de la demande portail",
        required=False,
        max_length=32,
        help_text="Obligatoire pour Quadra : la demande doit d'abord être créée sur le portail.",
    )
    priority = forms.ChoiceField(
        label="Priorité", choices=Priority.choices, initial=Priority.MODERATE
    )
    title = forms.CharField(label="Objet", max_length=200)
    description = forms.CharField(
        label="Résumé de l'appel", widget=forms.Textarea(attrs={"rows": 4})
    )
