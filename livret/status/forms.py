"""Forms of the availability and maintenance pages. They only parse: the rules (window, notice,
options, causes) are checked by ``services`` and come back as errors on the field they name.

Dates typed in a form are read in the site's zone (Europe/Paris, settings.TIME_ZONE).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from livret.status.models import Cause, Environment, IncidentStatus, ProbeKind, UpdateKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
UPDATE_STATUSES = [
    (value, label)
    for value, label in IncidentStatus.choices
    if value not in (IncidentStatus.DRAFT, IncidentStatus.RESOLVED)
]


def when(label: Any, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DATETIME, **kwargs)


class ServiceForm(forms.Form):
    """AVL-2: a contract's production service, or its acceptance environment (option)."""

    contract = forms.ChoiceField(label=_("Contrat"))
    environment = forms.ChoiceField(
        label=_("Environnement"), choices=Environment.choices, initial=Environment.PRODUCTION
    )
    name = forms.CharField(label=_("Nom (interne)"), max_length=200)
    slug = forms.SlugField(label=_("Identifiant"), max_length=80, required=False)
    public = forms.BooleanField(label=_("Sur la page de statut publique"), required=False)
    public_label = forms.CharField(
        label=_("Libellé public"),
        max_length=200,
        required=False,
        help_text=_("Montré sans connexion ; ne doit jamais nommer le client."),
    )


class ProbeForm(forms.Form):
    """AVL-4: an HTTP(S) or TCP check."""

    kind = forms.ChoiceField(label=_("Type"), choices=ProbeKind.choices)
    target = forms.CharField(
        label=_("Cible"),
        max_length=500,
        help_text=_("Une URL http(s)://… ou hôte:port pour TCP."),
    )
    interval_seconds = forms.IntegerField(
        label=_("Intervalle (secondes)"), min_value=10, max_value=86_400, initial=60
    )
    timeout_seconds = forms.FloatField(
        label=_("Délai d'attente (secondes)"), min_value=0.1, max_value=120, initial=10
    )
    retries = forms.IntegerField(
        label=_("Nouvelles tentatives"), min_value=0, max_value=5, initial=2
    )


class IncidentForm(forms.Form):
    """AVL-4: an incident declared by the vendor, with its cause (AVL-2)."""

    services = forms.MultipleChoiceField(
        label=_("Services touchés"), widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(label=_("Titre"), max_length=200)
    cause = forms.ChoiceField(
        label=_("Cause"),
        choices=Cause.choices,
        initial=Cause.SERVICE,
        help_text=_("Seule la cause « service » compte dans le taux de disponibilité."),
    )
    started_at = when(_("Début (heure de Paris)"))
    message = forms.CharField(label=_("Premier message"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(
        label=_("Publier sur la page de statut"), required=False, initial=True
    )

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = [(str(s.pk), service_label(s)) for s in services]


class IncidentUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Statut"), choices=UPDATE_STATUSES)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(label=_("Publier sur la page de statut"), required=False)


class ResolveForm(forms.Form):
    ended_at = when(_("Fin de l'indisponibilité (heure de Paris)"))
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}))


class ReclassifyForm(forms.Form):
    cause = forms.ChoiceField(label=_("Nouvelle cause"), choices=Cause.choices)


class MaintenanceForm(forms.Form):
    """MNT-1, MNT-2: the plan is checked against each service's window and notice."""

    services = forms.MultipleChoiceField(
        label=_("Services concernés"), widget=forms.CheckboxSelectMultiple
    )
    title = forms.CharField(label=_("Titre"), max_length=200)
    starts_at = when(_("Début (heure de Paris)"))
    ends_at = when(_("Fin (heure de Paris)"))
    blocking = forms.BooleanField(
        label=_("Intervention bloquante"),
        required=False,
        help_text=_(
            "Quadra Entreprise et Expert On Demand : pas d'intervention bloquante avant 22:00 "
            "les jours ouvrés."
        ),
    )
    urgent = forms.BooleanField(
        label=_("Maintenance urgente"),
        required=False,
        help_text=_("Possible à tout moment, enregistrée comme urgente."),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    public = forms.BooleanField(
        label=_("Publier sur la page de statut"), required=False, initial=True
    )

    def __init__(self, *args: Any, services: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = [(str(s.pk), service_label(s)) for s in services]


class AnnouncementForm(forms.Form):
    """MNT-4: a new version announced with its date, or a patch."""

    offer_id = forms.ChoiceField(label=_("Offre"))
    kind = forms.ChoiceField(label=_("Type"), choices=UpdateKind.choices)
    version_label = forms.CharField(label=_("Version"), max_length=40)
    planned_for = when(_("Date prévue (heure de Paris)"))
    needs_implementation_services = forms.BooleanField(
        label=_("Nécessite des prestations de mise en œuvre"), required=False
    )
    needs_training = forms.BooleanField(label=_("Nécessite une formation"), required=False)
    regulatory = forms.BooleanField(label=_("Patch réglementaire"), required=False)
    changes_required_knowledge = forms.BooleanField(
        label=_("Change ce que les utilisateurs doivent savoir"), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, offers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer_id"].choices = offers


class AgreeForm(forms.Form):
    """MNT-4, E option « mise à jour personnalisée »: the date agreed with one client."""

    contract = forms.ChoiceField(label=_("Contrat"))
    agreed_for = when(_("Date convenue (heure de Paris)"))

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (str(c.pk), f"{c.reference} — {c.client.name}") for c in contracts
        ]


def service_label(service: Any) -> str:
    """How the back office names a service: its name, client and environment."""
    return f"{service.name} — {service.contract.client.name} ({service.get_environment_display()})"
