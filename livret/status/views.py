"""Availability and maintenance pages: the vendor's back office (``/exploitation/…``) and the
client's availability report (``/portail/disponibilite/…``). AVL-1..4, MNT-1, MNT-2, MNT-4.

Views parse input, reach services only through ``access``, call ``services`` or ``reports``
and render. A refused change comes back on the form field it names; nothing here decides a
rule. The public status page is another app (``livret.statuspage``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from livret.core.maintenance import maintenance_windows
from livret.errors import ServiceError
from livret.offers.models import OfferVersion
from livret.status import access, reports, services
from livret.status.forms import (
    AgreeForm,
    AnnouncementForm,
    IncidentForm,
    IncidentUpdateForm,
    MaintenanceForm,
    ProbeForm,
    ReclassifyForm,
    ResolveForm,
    ServiceForm,
)
from livret.status.models import (
    Cause,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Probe,
    ProbeStateChange,
    Service,
    UpdateAnnouncement,
)
from livret.status.services import MaintenanceRefused, local_text, zone_of
from livret.tenants.access import is_vendor, require_vendor_page
from livret.tenants.models import Contract
from livret.web.charts import bar_chart
from livret.web.errors import add_service_error, run_action
from livret.web.pagination import paginate

WINDOW_DAYS = 7  # how far ahead the planning page lists the windows


def _incidents(count: int) -> str:
    return ngettext("%(count)s incident", "%(count)s incidents", count)


def _changes(count: int) -> str:
    return ngettext("%(count)s changement d'état", "%(count)s changements d'état", count)


def _maintenances(count: int) -> str:
    return ngettext("%(count)s maintenance", "%(count)s maintenances", count)


def _announcements(count: int) -> str:
    return ngettext("%(count)s annonce", "%(count)s annonces", count)


def _picked(request: HttpRequest, ids: list[str]) -> list[Service]:
    """The chosen services, reached through access (a vendor sees them all)."""
    return [access.access_service(request.user, int(pk)) for pk in ids]


def _all_services() -> list[Service]:
    return list(
        Service.objects.select_related("contract__client", "contract__offer_version").order_by(
            "contract__client__name", "name"
        )
    )


# --------------------------------------------------------------------------- services


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    """Every service with its state and probes; refreshed live (htmx polling)."""
    require_vendor_page(request.user)
    form = ServiceForm(request.POST or None)
    contracts = list(Contract.objects.select_related("client", "offer_version"))
    form.fields["contract"].choices = [
        (str(c.pk), f"{c.reference} — {c.client.name} ({c.offer_version.offer_id})")
        for c in contracts
        if c.offer_version.offer.availability is not None
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contract = next(c for c in contracts if str(c.pk) == data["contract"])
        try:
            created = services.create_service(
                request.user,
                contract,
                name=data["name"],
                environment=data["environment"],
                slug=data["slug"],
                public=data["public"],
                public_label=data["public_label"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Service créé."))
            return redirect("status-service", pk=created.pk)
    rows = Service.objects.select_related("contract__client").prefetch_related(
        Prefetch("probes", queryset=Probe.objects.order_by("pk"))
    )
    context = {"rows": rows, "form": form}
    if request.headers.get("HX-Request"):
        return render(request, "status/_service_rows.html", context)
    return render(request, "status/service_list.html", context)


@login_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A service: its probes (add, switch on/off), their last state changes, its incidents."""
    require_vendor_page(request.user)
    service = access.access_service(request.user, pk)
    form = ProbeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_probe(request.user, service, **form.cleaned_data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Sonde ajoutée : elle part au prochain passage."))
            return redirect("status-service", pk=service.pk)
    context = {
        "service": service,
        "probes": service.probes.order_by("pk"),
        "changes": paginate(
            request,
            ProbeStateChange.objects.filter(probe__service=service)
            .select_related("probe")
            .order_by("-at", "-pk"),
            _changes,
            param="changements",
        ),
        "incidents": paginate(
            request,
            service.incidents.order_by("-started_at", "-pk"),
            _incidents,
            param="incidents",
        ),
        "form": form,
    }
    return render(request, "status/service_detail.html", context)


@login_required
@require_POST
def probe_toggle(request: HttpRequest, pk: int, probe_id: int) -> HttpResponse:
    require_vendor_page(request.user)
    service = access.access_service(request.user, pk)
    probe = get_object_or_404(Probe, pk=probe_id, service=service)
    services.set_probe_enabled(request.user, probe, not probe.enabled)
    return redirect("status-service", pk=service.pk)


# --------------------------------------------------------------------------- incidents


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    """Ongoing incidents (drafts from the probes first), then the recent ones."""
    require_vendor_page(request.user)
    incidents = Incident.objects.prefetch_related("services__contract__client")
    ongoing = incidents.filter(ended_at__isnull=True).order_by("-started_at")
    to_review = incidents.filter(status=IncidentStatus.DRAFT, ended_at__isnull=False)
    recent = incidents.filter(ended_at__isnull=False).exclude(status=IncidentStatus.DRAFT)
    context = {
        "ongoing": ongoing,
        "to_review": paginate(
            request, to_review.order_by("-started_at", "-pk"), _incidents, param="brouillons"
        ),
        "recent": paginate(request, recent.order_by("-started_at", "-pk"), _incidents),
    }
    return render(request, "status/incident_list.html", context)


@login_required
def incident_new(request: HttpRequest) -> HttpResponse:
    """AVL-4: declare an incident with its cause and first message."""
    require_vendor_page(request.user)
    choices = _all_services()
    initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0)}
    form = IncidentForm(request.POST or None, services=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.declare_incident(
                request.user,
                _picked(request, data["services"]),
                data["title"],
                data["cause"],
                data["started_at"],
                data["message"],
                public=data["public"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Incident déclaré."))
            return redirect("status-incident", pk=incident.pk)
    return render(request, "status/incident_new.html", {"form": form})


def _recovered_at(incident: Incident) -> datetime | None:
    """When the detecting probe answered again, if it did (prefills the resolution)."""
    if incident.detected_by_id is None:
        return None
    back = (
        ProbeStateChange.objects.filter(
            probe_id=incident.detected_by_id, state="up", at__gte=incident.started_at
        )
        .order_by("at")
        .first()
    )
    return back.at if back else None


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An incident's timeline with the update, resolve and reclassify forms."""
    require_vendor_page(request.user)
    incident = get_object_or_404(Incident.objects.select_related("detected_by"), pk=pk)
    end = incident.ended_at or _recovered_at(incident) or timezone.now()
    context = {
        "incident": incident,
        "services": incident.services.select_related("contract__client"),
        "updates": incident.updates.select_related("author").order_by("at", "pk"),
        "update_form": IncidentUpdateForm(
            initial={"status": _next_status(incident), "public": incident.public}
        ),
        "resolve_form": ResolveForm(
            initial={"ended_at": timezone.localtime(end).replace(second=0, microsecond=0)}
        ),
        "reclassify_form": ReclassifyForm(initial={"cause": incident.cause}),
        "counted": incident.cause == Cause.SERVICE,
    }
    return render(request, "status/incident_detail.html", context)


def _next_status(incident: Incident) -> str:
    order = ["draft", "investigating", "identified", "monitoring"]
    if incident.status in order[:-1]:
        return order[order.index(incident.status) + 1]
    return str(incident.status)


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The incident page's buttons: one service call each; a refusal comes back as a message
    naming the field."""
    require_vendor_page(request.user)
    incident = get_object_or_404(Incident, pk=pk)
    user = request.user
    actions: dict[str, tuple[type[Form], Callable[[dict[str, Any]], object], str]] = {
        "mettre-a-jour": (
            IncidentUpdateForm,
            lambda data: services.post_incident_update(
                user, incident, data["status"], data["message"], public=data["public"]
            ),
            gettext("Mise à jour publiée."),
        ),
        "resoudre": (
            ResolveForm,
            lambda data: services.resolve_incident(
                user, incident, data["ended_at"], data["message"]
            ),
            gettext("Incident résolu."),
        ),
        "reclasser": (
            ReclassifyForm,
            lambda data: services.reclassify_incident(user, incident, data["cause"]),
            gettext("Cause modifiée : les rapports mensuels suivent."),
        ),
    }
    if action not in actions:
        raise Http404()
    form_class, run, ok = actions[action]
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label} : {' '.join(errors)}" if label else " ".join(errors))
        return redirect("status-incident", pk=pk)
    return run_action(request, lambda: run(form.cleaned_data), ok, "status-incident", pk=pk)


# --------------------------------------------------------------------------- maintenance


@login_required
def maintenance_list(request: HttpRequest) -> HttpResponse:
    require_vendor_page(request.user)
    rows = Maintenance.objects.prefetch_related("services__contract__client")
    current = [MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS]
    upcoming = list(rows.filter(status__in=current).order_by("starts_at"))
    overlaps = services.overlaps_among(upcoming)
    for row in upcoming:
        row.overlaps = overlaps.get(row.pk, [])  # a warning on the row, never a refusal
    context = {
        "upcoming": upcoming,
        "past": paginate(
            request, rows.exclude(status__in=current).order_by("-starts_at", "-pk"), _maintenances
        ),
    }
    return render(request, "status/maintenance_list.html", context)


def _windows(choices: list[Service], now: datetime) -> list[dict[str, Any]]:
    """The next windows of each (offer, territory) among the services, in its own zone."""
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for service in choices:
        contract = service.contract
        key = (contract.offer_version_id, contract.territory)
        offer = contract.offer_version.offer
        if key in seen or offer.maintenance is None:
            continue
        zone = zone_of(contract)
        spans = maintenance_windows(
            offer, now, now + timedelta(days=WINDOW_DAYS), contract.territory
        )
        seen[key] = {
            "offer": offer.name,
            "territory": contract.get_territory_display(),
            "notice": offer.maintenance.notice.label_fr(),
            "blocking_not_before": offer.maintenance.blocking_not_before,
            "source": offer.maintenance.source,
            "spans": [(local_text(a, zone), local_text(b, zone)) for a, b in spans],
        }
    return list(seen.values())


@login_required
def maintenance_new(request: HttpRequest) -> HttpResponse:
    """MNT-1, MNT-2: plan a maintenance; a refusal says which rule it breaks and the form
    comes back prefilled with the next start every chosen service allows."""
    require_vendor_page(request.user)
    choices = [s for s in _all_services() if s.contract.offer_version.offer.maintenance]
    form = MaintenanceForm(request.POST or None, services=choices)
    proposal = None
    overlaps: list[Maintenance] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picked = _picked(request, data["services"])
        try:
            planned = services.plan_maintenance(
                request.user,
                picked,
                data["title"],
                data["starts_at"],
                data["ends_at"],
                data["blocking"],
                data["description"],
                urgent=data["urgent"],
                public=data["public"],
            )
        except MaintenanceRefused as refused:
            proposal = refused.next_allowed_start
            if proposal is not None:
                length = data["ends_at"] - data["starts_at"]
                form = _prefilled(request, choices, proposal, length)
                overlaps = services.overlapping(picked, proposal, proposal + length)
            add_service_error(form, refused)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Maintenance planifiée et annoncée."))
            for other in services.overlapping(
                picked, planned.starts_at, planned.ends_at, exclude=planned
            ):
                messages.warning(request, _overlap_text(other))
            return redirect("status-maintenances")
    context = {
        "form": form,
        "windows": _windows(choices, timezone.now()),
        "days": WINDOW_DAYS,
        "proposal": proposal,
        "overlaps": [_overlap_text(other) for other in overlaps],
    }
    return render(request, "status/maintenance_new.html", context)


def _overlap_text(other: Maintenance) -> str:
    """The warning of a plan that meets another maintenance on one of its services."""
    return gettext(
        "Attention : chevauche la maintenance « %(title)s » (du %(start)s au %(end)s) sur un "
        "même service. Elle n'est pas refusée : vérifiez que les deux peuvent avoir lieu ensemble."
    ) % {
        "title": other.title,
        "start": timezone.localtime(other.starts_at).strftime("%d/%m/%Y %H:%M"),
        "end": timezone.localtime(other.ends_at).strftime("%d/%m/%Y %H:%M"),
    }


def _prefilled(
    request: HttpRequest, choices: list[Service], start: datetime, length: timedelta
) -> MaintenanceForm:
    data = request.POST.copy()
    fmt = "%Y-%m-%dT%H:%M"
    data["starts_at"] = timezone.localtime(start).strftime(fmt)
    data["ends_at"] = timezone.localtime(start + length).strftime(fmt)
    form = MaintenanceForm(data, services=choices)
    form.is_valid()
    return form


@login_required
@require_POST
def maintenance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_vendor_page(request.user)
    maintenance = get_object_or_404(Maintenance, pk=pk)
    actions = {
        "demarrer": (services.start_maintenance, gettext("Maintenance commencée.")),
        "terminer": (services.complete_maintenance, gettext("Maintenance terminée.")),
        "annuler": (services.cancel_maintenance, gettext("Maintenance annulée.")),
    }
    if action not in actions:
        raise Http404()
    run, ok = actions[action]
    return run_action(request, lambda: run(request.user, maintenance), ok, "status-maintenances")


# --------------------------------------------------------------------------- updates (MNT-4)


def _offers_with_updates() -> list[tuple[str, str]]:
    latest: dict[str, OfferVersion] = {}
    for version in OfferVersion.objects.order_by("offer_id", "-number"):
        latest.setdefault(version.offer_id, version)
    return [(oid, v.name) for oid, v in latest.items() if v.offer.updates is not None]


@login_required
def update_list(request: HttpRequest) -> HttpResponse:
    """MNT-4: announce a new version or a patch; the list of announcements."""
    require_vendor_page(request.user)
    form = AnnouncementForm(request.POST or None, offers=_offers_with_updates())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.announce_update(
                request.user,
                data["offer_id"],
                data["kind"],
                data["version_label"],
                data["planned_for"],
                data["needs_implementation_services"],
                data["needs_training"],
                data["regulatory"],
                changes_required_knowledge=data["changes_required_knowledge"],
                notes=data["notes"],
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Mise à jour annoncée aux clients de l'offre."))
            return redirect("status-update", pk=created.pk)
    rows = UpdateAnnouncement.objects.prefetch_related("agreed_dates").order_by(
        "-planned_for", "-pk"
    )
    context = {"form": form, "pager": paginate(request, rows, _announcements)}
    return render(request, "status/update_list.html", context)


def _agreeable(announcement: UpdateAnnouncement) -> list[Contract]:
    return list(
        Contract.objects.select_related("client", "offer_version").filter(
            offer_version__offer_id=announcement.offer_id
        )
    )


@login_required
def update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An announcement and the dates agreed with clients (E option « mise à jour
    personnalisée », never for a regulatory patch)."""
    require_vendor_page(request.user)
    announcement = get_object_or_404(UpdateAnnouncement, pk=pk)
    contracts = _agreeable(announcement)
    form = AgreeForm(request.POST or None, contracts=contracts)
    if request.method == "POST" and form.is_valid():
        contract = next(c for c in contracts if str(c.pk) == form.cleaned_data["contract"])
        try:
            services.agree_update_date(
                request.user, announcement, contract, form.cleaned_data["agreed_for"]
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, gettext("Date convenue enregistrée."))
            return redirect("status-update", pk=pk)
    context = {
        "announcement": announcement,
        "agreed": announcement.agreed_dates.select_related("contract__client").order_by(
            "agreed_for"
        ),
        "form": form,
    }
    return render(request, "status/update_detail.html", context)


# --------------------------------------------------------------------------- client report


@login_required
def availability_list(request: HttpRequest) -> HttpResponse:
    """RPT-1, AVL-3: my services and this month's availability so far."""
    rows = list(access.visible_services(request.user).order_by("contract__client__name", "name"))
    now = timezone.localtime()
    month = reports.availability_by_service(rows, now.year, now.month)
    context = {
        "rows": [(s, month.get(s.pk)) for s in rows],
        "month": f"{now.month:02d}/{now.year}",
        "vendor": is_vendor(request.user),
    }
    return render(request, "status/availability_list.html", context)


@login_required
def availability_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """AVL-3: PRT, counted downtime, excluded minutes by cause, TD, target and met per month,
    with a chart; the incidents, maintenances and updates of this service."""
    service = access.access_service(request.user, pk)
    now = timezone.now()
    history: list[Any] = []
    if service.environment == "production":
        history = reports.monthly_history(service, months=12, now=now)
    since = now - timedelta(days=366)
    offer = service.contract.offer_version.offer
    chart = None
    if history:
        chart = bar_chart(
            [(h.month[5:] + "/" + h.month[2:4], h.td) for h in history],
            title=gettext("Taux de disponibilité par mois — %(service)s")
            % {"service": service.name},
            unit=" %",
            target=history[-1].target,
            max_value=100,
        )
    context = {
        "service": service,
        "history": list(reversed(history)),
        "chart": chart,
        "causes": [(c, Cause(c).label) for c in Cause.values if c != Cause.SERVICE],
        "incidents": access.shown_incidents(request.user, service.incidents.all())
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .order_by("-started_at"),
        "maintenances": service.maintenances.exclude(status=MaintenanceStatus.CANCELLED)
        .filter(ends_at__gte=since)
        .order_by("-starts_at"),
        "updates": UpdateAnnouncement.objects.filter(
            offer_id=offer.id, planned_for__gte=since
        ).prefetch_related(
            Prefetch(
                "agreed_dates",
                queryset=service.contract.update_dates.all(),
                to_attr="mine",
            )
        ),
        "vendor": is_vendor(request.user),
        "zone": zone_of(service.contract).key,
    }
    return render(request, "status/availability_detail.html", context)
