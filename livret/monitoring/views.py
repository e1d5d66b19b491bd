"""Monitoring pages (PreventCare, MON-1..5): the technicians' alert board, sites with their
servers, technical document and visits, impact settings; and the client's portal view.

Views parse input, reach objects only through ``access`` helpers, call ``services`` or
``triage`` and render. Vendor pages live under /exploitation/surveillance/ (a client gets 404),
client pages under /portail/surveillance/ (vendor staff are sent to their own pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from livret.core.sites import SiteError
from livret.monitoring import access, services, triage
from livret.monitoring.forms import (
    AlertImpactForm,
    CallForm,
    ImpactSettingForm,
    PlanVisitsForm,
    SectionForm,
    ServerForm,
    SiteForm,
    VisitReportForm,
)
from livret.monitoring.models import (
    Impact,
    ImpactSetting,
    MonitoringAlert,
    PhoneCallTask,
    PreventiveVisit,
    Server,
    Site,
)
from livret.support.services import ServiceError, is_vendor
from livret.tenants.models import Client, Contract

IMPACT_ORDER = Case(
    When(impact="major-extended", then=Value(0)),
    When(impact="significant", then=Value(1)),
    When(impact="minor-moderate", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def _vendor(request: HttpRequest) -> None:
    if not is_vendor(request.user):
        raise Http404()


def _field_error(form: Form, error: ServiceError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --------------------------------------------------------------------------- alert board


@dataclass(frozen=True)
class AlertRow:
    """One alert as the technician reads it on the board."""

    alert: MonitoringAlert
    calls_to_do: list[PhoneCallTask]
    timer: str
    timer_css: str


def _timer(alert: MonitoringAlert, now: datetime) -> tuple[str, str]:
    """MON-3: the level-1 diagnosis countdown, or the escalation."""
    if alert.escalated_at is not None:
        when = timezone.localtime(alert.escalated_at)
        return gettext("Niveau 2 depuis %(t)s") % {"t": f"{when:%d/%m %H:%M}"}, "bad"
    if alert.diagnosis_due_at is None:
        return "", ""
    left = int((alert.diagnosis_due_at - now).total_seconds() // 60)
    if left < 0:
        return gettext("Délai de niveau 1 écoulé : escalade en cours"), "bad"
    return gettext("Diagnostic niveau 1 : %(n)d min restantes") % {"n": left}, "warn"


def board_rows(filters: dict[str, str], now: datetime) -> list[AlertRow]:
    """Open alerts, most severe first then oldest; or the last resolved ones."""
    alerts = MonitoringAlert.objects.select_related("server__site__client", "request")
    if filters.get("client"):
        alerts = alerts.filter(server__site__client__slug=filters["client"])
    if filters.get("vue") == "resolues":
        alerts = alerts.filter(resolved_at__isnull=False).order_by("-resolved_at")
    else:
        alerts = alerts.filter(resolved_at__isnull=True).order_by(IMPACT_ORDER, "firing_at", "pk")
    todo = PhoneCallTask.objects.filter(done_at__isnull=True).order_by("created_at")
    alerts = alerts.prefetch_related(Prefetch("calls", queryset=todo, to_attr="calls_to_do"))
    rows = []
    for alert in alerts[:200]:
        timer, css = _timer(alert, now)
        rows.append(AlertRow(alert, list(alert.calls_to_do), timer, css))
    return rows


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """MON-3: the technicians' alert board, refreshed every 30 seconds."""
    _vendor(request)
    filters = {k: request.GET.get(k, "") for k in ("client", "vue")}
    now = timezone.now()
    context = {
        "rows": board_rows(filters, now),
        "filters": filters,
        "clients": Client.objects.filter(sites__isnull=False).distinct().order_by("name"),
        "impact_form": AlertImpactForm(),
        "now": now,
    }
    if request.headers.get("HX-Request"):
        return render(request, "monitoring/_board_rows.html", context)
    return render(request, "monitoring/board.html", context)


@login_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The buttons of the board: acknowledge, change the impact, record a call, diagnose."""
    _vendor(request)
    alert = access.access_alert(request.user, pk)
    now = timezone.now()
    user = request.user
    try:
        if action == "acquitter":
            triage.acknowledge(user, alert, now)
            ok = gettext("Alerte acquittée.")
        elif action == "impact":
            impact_form = AlertImpactForm(request.POST)
            if not impact_form.is_valid():
                raise ServiceError("invalid", gettext("impact : choix invalide"), field="impact")
            triage.set_alert_impact(user, alert, impact_form.cleaned_data["impact"], now)
            ok = gettext("Impact modifié.")
        elif action == "appel":
            call_form = CallForm(request.POST)
            if not call_form.is_valid():
                raise ServiceError(
                    "invalid", gettext("résumé de l'appel : obligatoire"), field="notes"
                )
            call = alert.calls.filter(pk=call_form.cleaned_data["call"]).first()
            if call is None:
                raise Http404()
            triage.record_call(user, call, call_form.cleaned_data["notes"], now)
            ok = gettext("Appel enregistré.")
        elif action == "diagnostic":
            triage.diagnosis_done(user, alert, request.POST.get("text", ""), now)
            ok = gettext("Diagnostic de niveau 1 enregistré.")
        else:
            raise Http404()
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ok)
    return redirect("monitoring-board")


# --------------------------------------------------------------------------- sites


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Every monitored site, and the form to add one (MON-4)."""
    _vendor(request)
    contracts = [
        c
        for c in Contract.objects.select_related("client", "offer_version").order_by("reference")
        if c.offer_version.offer.monitoring is not None
    ]
    form = SiteForm(request.POST or None, contracts=contracts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contract = next(c for c in contracts if str(c.pk) == data["contract"])
        try:
            site = services.create_site(
                request.user, contract=contract, name=data["name"], users_count=data["users_count"]
            )
        except ServiceError as error:
            _field_error(form, error)
        else:
            messages.success(request, gettext("Site créé."))
            return redirect("monitoring-site", pk=site.pk)
    sites = access.visible_sites(request.user).prefetch_related("servers")
    return render(request, "monitoring/site_list.html", {"sites": sites, "form": form})


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _visit_years(site: Site, year: int) -> list[int]:
    """Years that have visits, plus this year and the one shown (the year switcher)."""
    years = set(PreventiveVisit.objects.filter(site=site).values_list("year", flat=True))
    return sorted(years | {timezone.localdate().year, year})


def _site_context(request: HttpRequest, site: Site, forms: dict[str, Form]) -> dict[str, Any]:
    year = _year(request)
    servers = list(site.servers.all())
    try:
        setup = services.setup_length(site, len(servers))
        due = services.visits_due(site, len(servers))
        sizing_error = ""
    except SiteError as error:
        setup, due, sizing_error = None, 0, str(error)
    visits = list(site.visits.filter(year=year).select_related("technician"))
    open_alerts = access.visible_alerts(request.user).filter(
        server__site=site, resolved_at__isnull=True
    )
    return {
        "site": site,
        "servers": servers,
        "setup_days": setup,
        "visits_due": due,
        "sizing_error": sizing_error,
        "year": year,
        "visits": visits,
        "years": _visit_years(site, year),
        "sections": services.document_sections(site),
        "editable": services.editable_sections(site),
        "open_alerts": open_alerts.order_by(IMPACT_ORDER, "firing_at"),
        "vendor": is_vendor(request.user),
        **forms,
    }


def _site_forms(site: Site, post: Any = None, which: str = "") -> dict[str, Form]:
    sections = services.editable_sections(site)
    open_visits = list(site.visits.filter(done_on__isnull=True).order_by("planned_for"))

    def bound(name: str) -> Any:
        return post if which == name else None

    return {
        "server_form": ServerForm(bound("serveur")),
        "section_form": SectionForm(bound("document"), sections=sections),
        "plan_form": PlanVisitsForm(
            bound("planifier"), initial={"year": timezone.localdate().year}
        ),
        "visit_form": VisitReportForm(bound("visite"), visits=open_visits),
    }


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """MON-4, MON-5: a site with its servers, set-up length, technical document and visits;
    the vendor edits them here."""
    _vendor(request)
    site = access.access_site(request.user, pk)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    forms = _site_forms(site, request.POST, which)
    if which:
        done = _site_post(request, site, which, forms)
        if done:
            messages.success(request, done)
            return redirect("monitoring-site", pk=site.pk)
    return render(request, "monitoring/site_detail.html", _site_context(request, site, forms))


def _site_post(request: HttpRequest, site: Site, which: str, forms: dict[str, Form]) -> str:
    """Run one form of the site page; return the success message, or "" (errors on the form)."""
    keys = {
        "serveur": "server_form",
        "document": "section_form",
        "planifier": "plan_form",
        "visite": "visit_form",
    }
    if which not in keys:
        raise Http404()
    form = forms[keys[which]]
    if not form.is_valid():
        return ""
    data = form.cleaned_data
    user = request.user
    try:
        if which == "serveur":
            services.add_server(
                user,
                site,
                hostname=data["hostname"],
                role=data["role"],
                os=data["os"],
                watched_services=data["watched_services"].split(","),
            )
            return gettext("Serveur ajouté.")
        if which == "document":
            services.update_section(user, site, data["section"], data["text"])
            return gettext("Document technique mis à jour.")
        if which == "planifier":
            planned = services.plan_visits(site, data["year"], actor=user)
            return gettext("%(n)d visite(s) planifiée(s).") % {"n": len(planned)}
        visit = access.access_visit(user, site, int(data["visit"]))
        services.record_visit(user, visit, data["done_on"], data["report"])
        return gettext("Compte rendu ajouté au document technique.")
    except ServiceError as error:
        _field_error(form, error)
        return ""


# --------------------------------------------------------------------------- impacts


@login_required
def impacts(request: HttpRequest) -> HttpResponse:
    """MON-3: each rule's default impact and the operators' overrides."""
    _vendor(request)
    rules = services.known_rules()
    servers = list(Server.objects.order_by("hostname"))
    form = ImpactSettingForm(request.POST or None, rules=rules, servers=servers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        server = next((s for s in servers if str(s.pk) == data["server"]), None)
        try:
            services.set_impact(request.user, data["rule"], data["impact"], server)
        except ServiceError as error:
            _field_error(form, error)
        else:
            messages.success(request, gettext("Impact enregistré."))
            return redirect("monitoring-impacts")
    overrides = ImpactSetting.objects.select_related("server", "changed_by").order_by(
        "rule", "server__hostname"
    )
    rows = [
        {
            "rule": rule,
            "label": label,
            "default": default,
            "default_label": dict(Impact.choices).get(default)
            or gettext("donné par la source de l'alerte"),
            "overrides": [o for o in overrides if o.rule == rule],
        }
        for rule, (label, default) in rules.items()
    ]
    return render(request, "monitoring/impacts.html", {"rows": rows, "form": form})


# --------------------------------------------------------------------------- client portal


@login_required
def portal(request: HttpRequest) -> HttpResponse:
    """The client's monitored sites and their open alerts."""
    if is_vendor(request.user):
        return redirect("monitoring-board")
    sites = access.visible_sites(request.user).prefetch_related("servers")
    alerts = (
        access.visible_alerts(request.user)
        .filter(resolved_at__isnull=True)
        .order_by(IMPACT_ORDER, "firing_at")
    )
    return render(request, "monitoring/portal.html", {"sites": sites, "alerts": alerts})


@login_required
def portal_site(request: HttpRequest, pk: int) -> HttpResponse:
    """A client's site: servers, set-up length, technical document, visits and reports."""
    if is_vendor(request.user):
        return redirect("monitoring-site", pk=pk)
    site = access.access_site(request.user, pk)
    return render(request, "monitoring/site_detail.html", _site_context(request, site, {}))
