"""Forms of the monitoring pages. They only parse; rules are checked in services and triage."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from livret.monitoring.models import Impact, Server

IMPACT_CHOICES = [("", _("Valeur par défaut de la règle")), *Impact.choices]


class SiteForm(forms.Form):
    """MON-4: a site of a client under a PreventCare contract."""

    contract = forms.ChoiceField(label=_("Contrat de télésurveillance"))
    name = forms.CharField(label=_("Nom du site"), max_length=200)
    users_count = forms.IntegerField(
        label=_("Nombre d'utilisateurs"),
        min_value=1,
        max_value=100000,
        help_text=_("Sert au calcul de la durée de mise en place."),
    )

    def __init__(self, *args: Any, contracts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (str(c.pk), f"{c.reference} — {c.client}") for c in contracts
        ]


class ServerForm(forms.Form):
    """MON-1: a monitored server of the site."""

    hostname = forms.CharField(
        label=_("Nom d'hôte"),
        max_length=200,
        help_text=_("Tel que Prometheus le nomme dans le libellé instance (sans le port)."),
    )
    role = forms.CharField(label=_("Rôle"), max_length=200, required=False)
    os = forms.ChoiceField(label=_("Système"), choices=Server.Os.choices)
    watched_services = forms.CharField(
        label=_("Services surveillés"),
        required=False,
        help_text=_("Séparés par des virgules, par exemple : MSSQLSERVER, CegidServer"),
    )


class SectionForm(forms.Form):
    """MON-4: one section of the technical document."""

    section = forms.ChoiceField(label=_("Section"))
    text = forms.CharField(
        label=_("Contenu"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )

    def __init__(self, *args: Any, sections: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [(s, s) for s in sections]


class PlanVisitsForm(forms.Form):
    """MON-5: plan the year's preventive visits."""

    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100)


class VisitReportForm(forms.Form):
    """MON-5: a visit done, with its report."""

    visit = forms.ChoiceField(label=_("Visite"))
    done_on = forms.DateField(label=_("Faite le"), widget=forms.DateInput(attrs={"type": "date"}))
    report = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, visits: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visit"].choices = [(str(v.pk), f"{v.planned_for:%d/%m/%Y}") for v in visits]


class BackupJobForm(forms.Form):
    """MON-2: a server's backup job, whose result is expected every day by a local time."""

    server = forms.ChoiceField(label=_("Serveur"))
    name = forms.CharField(
        label=_("Nom de la tâche"),
        max_length=100,
        help_text=_("Tel que les résultats le nomment (champ « job » de l'API), ex. : nightly"),
    )
    due_time = forms.TimeField(
        label=_("Résultat attendu avant (heure locale)"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    timezone = forms.CharField(label=_("Fuseau horaire"), max_length=64, initial="Europe/Paris")

    def __init__(self, *args: Any, servers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["server"].choices = [(str(s.pk), s.hostname) for s in servers]


class ImpactSettingForm(forms.Form):
    """MON-3: an operator's override of a rule's default impact."""

    rule = forms.ChoiceField(label=_("Règle"))
    server = forms.ChoiceField(label=_("Serveur"), required=False)
    impact = forms.ChoiceField(label=_("Impact"), choices=IMPACT_CHOICES, required=False)

    def __init__(
        self, *args: Any, rules: dict[str, tuple[str, str]], servers: list[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(r, f"{label} ({r})") for r, (label, _d) in rules.items()]
        self.fields["server"].choices = [("", _("Tous les serveurs"))] + [
            (str(s.pk), s.hostname) for s in servers
        ]


class AlertImpactForm(forms.Form):
    """MON-3: change one alert's impact."""

    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices)


class CallForm(forms.Form):
    """MON-3 major: the client was called."""

    call = forms.IntegerField(widget=forms.HiddenInput)
    notes = forms.CharField(label=_("Résumé de l'appel"), widget=forms.Textarea(attrs={"rows": 2}))


class DiagnosisForm(forms.Form):
    """MON-3 major: the level-1 diagnosis."""

    text = forms.CharField(label=_("Diagnostic"), widget=forms.Textarea(attrs={"rows": 2}))
