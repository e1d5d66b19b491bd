"""Monitoring pages (PreventCare, MON-1..5): the technicians' alert board, sites with their
servers, backup jobs (MON-2), agent tokens, technical document and visits, impact settings;
and the client's portal view (never the tokens).

Views parse input, reach objects only through ``access`` helpers, call ``services`` or
``triage`` and render. Vendor pages live under /exploitation/surveillance/ (a client gets 404),
client pages under /portail/surveillance/ (vendor staff are sent to their own pages).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from livret.core.sites import SiteError
from livret.errors import ServiceError
from livret.monitoring import access, evaluation, services, triage
from livret.monitoring.forms import (
    AlertImpactForm,
    BackupJobForm,
    CallForm,
    DiagnosisForm,
    ImpactSettingForm,
    PlanVisitsForm,
    SectionForm,
    ServerForm,
    SiteForm,
    VisitReportForm,
)
from livret.monitoring.models import (
    BackupJob,
    BackupResult,
    Impact,
    ImpactSetting,
    MonitoringAlert,
    PhoneCallTask,
    PreventiveVisit,
    Server,
    ServerToken,
    Site,
)
from livret.tenants.access import Person, is_vendor, require_vendor_page
from livret.tenants.models import Client, Contract
from livret.web.errors import add_service_error, run_action
from livret.web.pagination import paginate

IMPACT_ORDER = Case(
    When(impact="major-extended", then=Value(0)),
    When(impact="significant", then=Value(1)),
    When(impact="minor-moderate", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def _first_error(form: Form, field: str, label: str) -> ServiceError:
    """The form's first error on ``field`` as a ServiceError, the field named in the message."""
    reason = next(iter(form.errors.get(field, [])), gettext("valeur invalide"))
    return ServiceError("invalid", f"{label} : {reason}", field=field)


_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")


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


def board_alerts(filters: dict[str, str]) -> Any:
    """Open alerts, most severe first then oldest; or the resolved ones, latest first."""
    alerts = MonitoringAlert.objects.select_related("server__site__client", "request")
    if filters.get("client"):
        # Not a slug (e.g. a NUL byte, which PostgreSQL refuses): no client has it.
        if not _SLUG.match(filters["client"]):
            alerts = alerts.none()
        alerts = alerts.filter(server__site__client__slug=filters["client"])
    if filters.get("vue") == "resolues":
        alerts = alerts.filter(resolved_at__isnull=False).order_by("-resolved_at", "-pk")
    else:
        alerts = alerts.filter(resolved_at__isnull=True).order_by(IMPACT_ORDER, "firing_at", "pk")
    todo = PhoneCallTask.objects.filter(done_at__isnull=True).order_by("created_at")
    return alerts.prefetch_related(Prefetch("calls", queryset=todo, to_attr="calls_to_do"))


def board_rows(alerts: Any, now: datetime) -> list[AlertRow]:
    """The board's rows for these alerts (one page of them)."""
    rows = []
    for alert in alerts:
        timer, css = _timer(alert, now)
        rows.append(AlertRow(alert, list(alert.calls_to_do), timer, css))
    return rows


def _alerts_count(count: int) -> str:
    return ngettext("%(count)s alerte", "%(count)s alertes", count)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """MON-3: the technicians' alert board, page by page, refreshed every 30 seconds (the
    refresh asks for the same address: same page, same filters)."""
    require_vendor_page(request.user)
    filters = {k: request.GET.get(k, "") for k in ("client", "vue")}
    now = timezone.now()
    pager = paginate(request, board_alerts(filters), _alerts_count)
    context = {
        "rows": board_rows(pager.page, now),
        "pager": pager,
        "filters": filters,
        "clients": Client.objects.filter(sites__isnull=False).distinct().order_by("name"),
        "impact_form": AlertImpactForm(),
        "now": now,
    }
    if request.headers.get("HX-Request"):
        return render(request, "monitoring/_board_list.html", context)
    return render(request, "monitoring/board.html", context)


@login_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The buttons of the board: acknowledge, change the impact, record a call, diagnose."""
    require_vendor_page(request.user)
    alert = access.access_alert(request.user, pk)
    now = timezone.now()
    user = request.user
    steps = {
        "acquitter": (lambda: triage.acknowledge(user, alert, now), gettext("Alerte acquittée.")),
        "impact": (lambda: _set_impact(user, alert, request, now), gettext("Impact modifié.")),
        "appel": (lambda: _record_call(user, alert, request, now), gettext("Appel enregistré.")),
        "diagnostic": (
            lambda: _diagnose(user, alert, request, now),
            gettext("Diagnostic de niveau 1 enregistré."),
        ),
    }
    if action not in steps:
        raise Http404()
    run, ok = steps[action]
    return run_action(request, run, ok, "monitoring-board")


def _set_impact(user: Person, alert: MonitoringAlert, request: HttpRequest, now: datetime) -> None:
    form = AlertImpactForm(request.POST)
    if not form.is_valid():
        raise _first_error(form, "impact", gettext("impact"))
    triage.set_alert_impact(user, alert, form.cleaned_data["impact"], now)


def _record_call(user: Person, alert: MonitoringAlert, request: HttpRequest, now: datetime) -> None:
    form = CallForm(request.POST)
    if not form.is_valid():
        if "call" in form.errors:
            raise _first_error(form, "call", gettext("appel"))
        raise _first_error(form, "notes", gettext("résumé de l'appel"))
    call = alert.calls.filter(pk=form.cleaned_data["call"]).first()
    if call is None:
        raise Http404()
    triage.record_call(user, call, form.cleaned_data["notes"], now)


def _diagnose(user: Person, alert: MonitoringAlert, request: HttpRequest, now: datetime) -> None:
    form = DiagnosisForm(request.POST)
    if not form.is_valid():
        raise _first_error(form, "text", gettext("diagnostic"))
    triage.diagnosis_done(user, alert, form.cleaned_data["text"], now)


# --------------------------------------------------------------------------- sites


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Every monitored site, and the form to add one (MON-4)."""
    require_vendor_page(request.user)
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
            add_service_error(form, error)
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


@dataclass(frozen=True)
class BackupRow:
    """MON-2: a declared backup job with its last result and its next due instant."""

    job: BackupJob
    last: BackupResult | None
    next_due_at: datetime


def backup_rows(servers: list[Server], now: datetime) -> list[BackupRow]:
    """The backup jobs of these servers, by server then name."""
    rows = []
    jobs = BackupJob.objects.filter(server__in=servers).select_related("server")
    for job in jobs.order_by("server__hostname", "name"):
        last = (
            BackupResult.objects.filter(server_id=job.server_id, job=job.name)
            .order_by("-finished_at", "-pk")
            .first()
        )
        due = job.next_due_at or evaluation.next_backup_due(job, now)
        rows.append(BackupRow(job, last, due))
    return rows


def server_tokens(servers: list[Server]) -> list[tuple[Server, list[ServerToken]]]:
    """Each server with its agent tokens, newest first (vendor staff only: never a client)."""
    by_server: dict[int, list[ServerToken]] = {s.pk: [] for s in servers}
    for token in ServerToken.objects.filter(server__in=servers).order_by("-created_at", "-pk"):
        by_server[token.server_id].append(token)
    return [(server, by_server[server.pk]) for server in servers]


def _site_context(request: HttpRequest, site: Site, forms: dict[str, Form]) -> dict[str, Any]:
    year = _year(request)
    servers = list(site.servers.all())
    vendor = is_vendor(request.user)
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
        "backups": backup_rows(servers, timezone.now()),
        "server_tokens": server_tokens(servers) if vendor else [],
        "vendor": vendor,
        **forms,
    }


def _site_forms(site: Site, post: Any = None, which: str = "") -> dict[str, Form]:
    sections = services.editable_sections(site)
    servers = list(site.servers.all())
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
        "backup_form": BackupJobForm(bound("sauvegarde"), servers=servers),
    }


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """MON-4, MON-5: a site with its servers, set-up length, technical document and visits;
    the vendor edits them here."""
    require_vendor_page(request.user)
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
        "sauvegarde": "backup_form",
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
        if which == "sauvegarde":
            server = site.servers.get(pk=int(data["server"]))
            job = services.add_backup_job(
                user, server, data["name"], data["due_time"], data["timezone"]
            )
            return gettext("Tâche de sauvegarde « %(name)s » déclarée sur %(host)s.") % {
                "name": job.name,
                "host": server.hostname,
            }
        visit = access.access_visit(user, site, int(data["visit"]))
        services.record_visit(user, visit, data["done_on"], data["report"])
        return gettext("Compte rendu ajouté au document technique.")
    except ServiceError as error:
        add_service_error(form, error)
        return ""


@login_required
@require_POST
def backup_job_remove(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    """MON-2: stop expecting a backup job of one of the site's servers."""
    require_vendor_page(request.user)
    site = access.access_site(request.user, pk)
    job = BackupJob.objects.filter(pk=job_pk, server__site=site).select_related("server").first()
    if job is None:
        raise Http404("Aucune tâche de sauvegarde de ce numéro.")
    services.remove_backup_job(request.user, job)
    messages.success(
        request,
        gettext("Tâche de sauvegarde « %(name)s » retirée de %(host)s.")
        % {"name": job.name, "host": job.server.hostname},
    )
    return redirect("monitoring-site", pk=site.pk)


# --------------------------------------------------------------------------- agent tokens


def agent_command(token: str, server: Server) -> str:
    """The command line that runs this server's agent against this site (docs/agent.md)."""
    words = ["livret", "agent", "--url", settings.SITE_URL.rstrip("/"), "--token", token]
    if server.watched_services:
        words += ["--services", ",".join(server.watched_services)]
    return shlex.join(words)


@never_cache
@login_required
@require_POST
def server_token_create(request: HttpRequest, pk: int, server_pk: int) -> HttpResponse:
    """A new agent token for one of the site's servers, shown on this page only (never
    stored in clear, never shown again)."""
    require_vendor_page(request.user)
    site = access.access_site(request.user, pk)
    server = site.servers.filter(pk=server_pk).first()
    if server is None:
        raise Http404("Aucun serveur de ce numéro sur ce site.")
    token = services.create_agent_token(request.user, server)
    context = {
        "site": site,
        "server": server,
        "token": token,
        "command": agent_command(token, server),
    }
    return render(request, "monitoring/server_token.html", context)


@login_required
@require_POST
def server_token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    """Revoke one agent token of one of the site's servers: its agent gets 401 at once."""
    require_vendor_page(request.user)
    site = access.access_site(request.user, pk)
    token = ServerToken.objects.filter(pk=token_pk, server__site=site).first()
    if token is None:
        raise Http404("Aucun jeton de ce numéro sur ce site.")
    ok = gettext("Jeton %(prefix)s… de %(host)s révoqué.") % {
        "prefix": token.prefix,
        "host": token.server.hostname,
    }
    return run_action(
        request,
        lambda: services.revoke_agent_token(request.user, token),
        ok,
        "monitoring-site",
        pk=site.pk,
    )


# --------------------------------------------------------------------------- impacts


@login_required
def impacts(request: HttpRequest) -> HttpResponse:
    """MON-3: each rule's default impact and the operators' overrides."""
    require_vendor_page(request.user)
    rules = services.known_rules()
    servers = list(Server.objects.order_by("hostname"))
    form = ImpactSettingForm(request.POST or None, rules=rules, servers=servers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        server = next((s for s in servers if str(s.pk) == data["server"]), None)
        try:
            services.set_impact(request.user, data["rule"], data["impact"], server)
        except ServiceError as error:
            add_service_error(form, error)
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
