"""What a vendor's status page shows, for one viewer (SPEC MNT-3, AVL-3, MNT-1/2).

Three viewers, one rule each (tenancy, ACC-3):

* the **public** (no login): the vendor's public services under their public label — never a
  client's name, never a non-public service — and the published incidents and maintenances
  that concern them;
* a **client**'s people: their own services (production and acceptance, under their own
  names) with every incident and maintenance that concerns them, plus the public ones;
* **vendor staff**: every service of the vendor, with its client.

An incident or maintenance lists only the services the viewer may see: another client's
service concerned by the same incident is left out. This module only gathers and labels; the
availability figures come from ``livret.status.reports`` (which asks ``livret.core``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.text import slugify
from django.utils.translation import gettext

from livret.core.availability import MonthlyAvailability
from livret.offers.models import OfferVersion
from livret.status.access import visible_services
from livret.status.models import (
    Environment,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceKind,
    MaintenanceStatus,
    Service,
    ServiceState,
)
from livret.status.reports import availability_by_service
from livret.tenants.access import Person, is_vendor, membership

PARIS = ZoneInfo("Europe/Paris")
HISTORY_DAYS = 90  # resolved incidents shown in the history
MONTHS = 6  # months of availability on the page (the current one is provisional)
MAX_AGE = timedelta(seconds=60)  # a built page is never trusted longer than this
# Worst first: the page's summary is the worst state among the services shown.
SEVERITY = [
    ServiceState.DOWN,
    ServiceState.DEGRADED,
    ServiceState.MAINTENANCE,
    ServiceState.UNKNOWN,
    ServiceState.OPERATIONAL,
]


# --------------------------------------------------------------------------- vendors


def vendors() -> dict[str, str]:
    """Every vendor with a status page: slug → name (the offers' ``vendor`` field)."""
    names = set(OfferVersion.objects.values_list("vendor", flat=True))
    return {slugify(name): name for name in sorted(names) if slugify(name)}


def vendor_name(slug: str) -> str:
    """The vendor of a page's slug; Http404 for an unknown one."""
    name = vendors().get(slug)
    if name is None:
        raise Http404("Aucun éditeur de ce nom.")
    return name


# --------------------------------------------------------------------------- viewers


@dataclass(frozen=True)
class Viewer:
    """Who looks at the page: the public, one client's people, or vendor staff."""

    client_id: int | None = None
    staff: bool = False

    @property
    def public(self) -> bool:
        return self.client_id is None and not self.staff


PUBLIC = Viewer()


def viewer_of(user: Person) -> Viewer:
    """The viewer a logged-in user is (anonymous users and users without a client: public)."""
    if is_vendor(user):
        return Viewer(staff=True)
    member = membership(user) if user.is_authenticated and user.is_active else None
    if member is not None and member.client_id is not None:
        return Viewer(client_id=member.client_id)
    return PUBLIC


# --------------------------------------------------------------------------- views of rows


@dataclass(frozen=True)
class ServiceView:
    """A service as this viewer may see it."""

    pk: int
    key: str  # the public slug (from the public label) or, for its owner, the service's slug
    label: str
    offer: str
    environment: str
    state: str
    since: datetime | None
    own: bool  # the viewer's own service (or any service, for vendor staff)
    client: str = ""  # vendor staff only

    @property
    def state_label(self) -> str:
        return str(ServiceState(self.state).label)

    @property
    def environment_label(self) -> str:
        return str(Environment(self.environment).label)


@dataclass(frozen=True)
class UpdateView:
    at: datetime
    status: str
    message: str

    @property
    def status_label(self) -> str:
        return str(IncidentStatus(self.status).label)


@dataclass(frozen=True)
class IncidentView:
    pk: int
    title: str
    status: str
    cause_label: str  # empty for the public (a contractual matter, AVL-2)
    started_at: datetime
    ended_at: datetime | None
    services: list[ServiceView]
    updates: list[UpdateView]

    @property
    def status_label(self) -> str:
        return str(IncidentStatus(self.status).label)

    @property
    def ongoing(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class MaintenanceView:
    pk: int
    title: str
    description: str
    kind: str
    blocking: bool
    status: str
    starts_at: datetime
    ends_at: datetime
    services: list[ServiceView]
    ongoing: bool

    @property
    def kind_label(self) -> str:
        return str(MaintenanceKind(self.kind).label)

    @property
    def status_label(self) -> str:
        return str(MaintenanceStatus(self.status).label)


@dataclass(frozen=True)
class MonthView:
    """One month of TD (AVL-3); the current month is provisional."""

    report: MonthlyAvailability
    provisional: bool


@dataclass(frozen=True)
class AvailabilityView:
    service: ServiceView
    months: list[MonthView]

    @property
    def target(self) -> float | None:
        return self.months[-1].report.target if self.months else None


@dataclass
class Board:
    """Everything one page shows, and until when it stays true."""

    vendor: str
    vendor_name: str
    viewer: Viewer
    generated_at: datetime
    valid_until: datetime
    services: list[ServiceView]
    incidents: list[IncidentView]
    maintenances: list[MaintenanceView]
    availability: list[AvailabilityView] = field(default_factory=list)

    @property
    def groups(self) -> list[tuple[str, list[ServiceView]]]:
        """Services grouped by offer, the viewer's own first."""
        out: dict[tuple[bool, str], list[ServiceView]] = {}
        for service in self.services:
            out.setdefault((not service.own, service.offer), []).append(service)
        return [(offer, rows) for (_, offer), rows in sorted(out.items())]

    @property
    def own_services(self) -> list[ServiceView]:
        return [s for s in self.services if s.own]

    @property
    def public_services(self) -> list[ServiceView]:
        return [s for s in self.services if not s.own]

    @property
    def summary_state(self) -> str:
        states = {s.state for s in self.services}
        return next((str(s) for s in SEVERITY if s in states), str(ServiceState.UNKNOWN))

    @property
    def summary(self) -> str:
        if not self.services:
            return gettext("Aucun service publié.")
        return {
            ServiceState.OPERATIONAL: gettext("Tous les services sont opérationnels."),
            ServiceState.UNKNOWN: gettext("L'état de certains services est inconnu."),
            ServiceState.MAINTENANCE: gettext("Une maintenance est en cours."),
            ServiceState.DEGRADED: gettext("Certains services sont perturbés."),
            ServiceState.DOWN: gettext("Certains services sont indisponibles."),
        }[ServiceState(self.summary_state)]

    @property
    def ongoing_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if i.ongoing]

    @property
    def past_incidents(self) -> list[IncidentView]:
        return [i for i in self.incidents if not i.ongoing]

    @property
    def ongoing_maintenances(self) -> list[MaintenanceView]:
        return [m for m in self.maintenances if m.ongoing]

    @property
    def planned_maintenances(self) -> list[MaintenanceView]:
        return sorted((m for m in self.maintenances if not m.ongoing), key=lambda m: m.starts_at)


# --------------------------------------------------------------------------- building


@dataclass
class _Scope:
    """The services a viewer may see on one vendor's page, split by why."""

    own: dict[int, Service]
    public: dict[int, Service]
    views: dict[int, ServiceView]
    staff: bool = False

    def incident_query(self) -> Q:
        # Drafts are a probe's guess, waiting for the vendor: never public, and never shown to
        # a client either, even on its own services (issue 12); vendor staff see them.
        draft = Q(status=IncidentStatus.DRAFT)
        published = Q(public=True) & ~draft
        own = (
            Q(services__in=list(self.own))
            if self.staff
            else Q(services__in=list(self.own)) & ~draft
        )
        return own | (Q(services__in=list(self.public)) & published)

    def maintenance_query(self) -> Q:
        return Q(services__in=list(self.own)) | Q(services__in=list(self.public), public=True)

    def shown(self, service_ids: list[int], published: bool) -> list[ServiceView]:
        """The services of an incident or maintenance this viewer may see (MNT-3)."""
        return [
            self.views[pk]
            for pk in sorted(
                service_ids, key=lambda pk: self.views[pk].label if pk in self.views else ""
            )
            if pk in self.own or (published and pk in self.public)
        ]


def public_keys(vendor: str) -> dict[int, str]:
    """The vendor's public services' slugs (``vendor``: its name)."""
    services = Service.objects.filter(contract__offer_version__vendor=vendor, public=True)
    return _public_keys(list(services.only("pk", "public_label")))


def _public_keys(services: list[Service]) -> dict[int, str]:
    """Public slugs from the public labels (never the client, MNT-3), unique on the page."""
    keys: dict[int, str] = {}
    taken: set[str] = set()
    for service in sorted(services, key=lambda s: s.pk):
        base = slugify(service.public_label) or f"service-{service.pk}"
        key, n = base, 2
        while key in taken:
            key, n = f"{base}-{n}", n + 1
        taken.add(key)
        keys[service.pk] = key
    return keys


def public_label(service: Service) -> str:
    """What the public reads for a service: its public label, never the client (MNT-3)."""
    return service.public_label or (
        f"{service.contract.offer_version.name} ({Environment(service.environment).label})"
    )


def _scope(vendor: str, viewer: Viewer, user: Person | None = None) -> _Scope:
    of_vendor = Service.objects.filter(contract__offer_version__vendor=vendor).select_related(
        "contract__client", "contract__offer_version"
    )
    public = {s.pk: s for s in of_vendor.filter(public=True)}
    if viewer.public:
        own: dict[int, Service] = {}
    else:
        mine = visible_services(user).filter(contract__offer_version__vendor=vendor)
        own = {s.pk: s for s in mine}
    keys = _public_keys(list(public.values()))  # the same slugs as on the public page
    for pk in own:
        public.pop(pk, None)
    views: dict[int, ServiceView] = {}
    for pk, service in own.items():
        views[pk] = _view(service, service.slug, service.name, own=True, staff=viewer.staff)
    for pk, service in public.items():
        views[pk] = _view(service, keys[pk], public_label(service), own=False, staff=False)
    return _Scope(own, public, views, staff=viewer.staff)


def _view(service: Service, key: str, label: str, *, own: bool, staff: bool) -> ServiceView:
    return ServiceView(
        pk=service.pk,
        key=key,
        label=label,
        offer=service.contract.offer_version.name,
        environment=service.environment,
        state=service.state,
        since=service.state_since,
        own=own,
        client=service.contract.client.name if staff else "",
    )


def _service_ids() -> Prefetch:
    return Prefetch("services", queryset=Service.objects.only("pk"), to_attr="service_rows")


def _incident_view(incident: Incident, scope: _Scope) -> IncidentView:
    published = incident.public and incident.status != IncidentStatus.DRAFT
    services = scope.shown([s.pk for s in incident.service_rows], published)
    own = any(s.own for s in services)
    updates: list[IncidentUpdate] = list(incident.updates.all())
    if not scope.staff:
        # What was written while it was a probe's draft stays the vendor's (issue 12).
        updates = [u for u in updates if u.status != IncidentStatus.DRAFT]
    if not own:
        # The public reads what the vendor wrote: a probe's own messages name its target.
        updates = [u for u in updates if u.author_id]
    return IncidentView(
        pk=incident.pk,
        title=incident.title,
        status=incident.status,
        cause_label=incident.get_cause_display() if own else "",
        started_at=incident.started_at,
        ended_at=incident.ended_at,
        services=services,
        updates=[UpdateView(u.at, u.status, u.message) for u in updates],
    )


def _maintenance_view(maintenance: Maintenance, scope: _Scope, now: datetime) -> MaintenanceView:
    ongoing = maintenance.status == MaintenanceStatus.IN_PROGRESS or (
        maintenance.status == MaintenanceStatus.SCHEDULED
        and maintenance.starts_at <= now < maintenance.ends_at
    )
    ids = [s.pk for s in maintenance.service_rows]
    return MaintenanceView(
        pk=maintenance.pk,
        title=maintenance.title,
        description=maintenance.description,
        kind=maintenance.kind,
        blocking=maintenance.blocking,
        status=maintenance.status,
        starts_at=maintenance.starts_at,
        ends_at=maintenance.ends_at,
        services=scope.shown(ids, maintenance.public),
        ongoing=ongoing,
    )


def _months(now: datetime) -> list[tuple[int, int]]:
    local = now.astimezone(PARIS)
    index = local.year * 12 + local.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - MONTHS + 1, index + 1)]


def _availability(scope: _Scope, now: datetime) -> list[AvailabilityView]:
    """AVL-3: the last months' TD of each production service shown (AVL-2: only production)."""
    services = [
        s
        for s in [*scope.own.values(), *scope.public.values()]
        if s.environment == Environment.PRODUCTION
    ]
    if not services:
        return []
    months = _months(now)
    reports = {ym: availability_by_service(services, ym[0], ym[1], now) for ym in months}
    out = []
    for service in sorted(
        services, key=lambda s: (not scope.views[s.pk].own, scope.views[s.pk].label)
    ):
        start: date = service.contract.start_date
        rows = [
            MonthView(reports[ym][service.pk], provisional=ym == months[-1])
            for ym in months
            if service.pk in reports[ym] and ym >= (start.year, start.month)
        ]
        if rows:
            out.append(AvailabilityView(scope.views[service.pk], rows))
    return out


def build_board(
    vendor: str,
    viewer: Viewer,
    now: datetime,
    user: Person | None = None,
    *,
    availability: bool = True,
) -> Board:
    """The page of ``vendor`` (a slug) for ``viewer`` at ``now`` (``user`` for the private
    variant: their services come from ``livret.status.access``)."""
    name = vendor_name(vendor)
    scope = _scope(name, viewer, user)
    history_from = now - timedelta(days=HISTORY_DAYS)
    incidents = (
        Incident.objects.filter(scope.incident_query())
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=history_from))
        .distinct()
        .order_by("-started_at", "-pk")
        .prefetch_related(_service_ids(), "updates")
    )
    maintenances = (
        Maintenance.objects.filter(scope.maintenance_query())
        .filter(
            Q(status=MaintenanceStatus.IN_PROGRESS)
            | Q(status=MaintenanceStatus.SCHEDULED, ends_at__gt=now)
        )
        .distinct()
        .order_by("starts_at", "pk")
        .prefetch_related(_service_ids())
    )
    maintenance_views = [_maintenance_view(m, scope, now) for m in maintenances]
    # The page changes by itself when a maintenance starts or ends: it expires then.
    boundaries = [
        t
        for m in maintenance_views
        for t in (m.starts_at, m.ends_at)
        if t > now and m.status == MaintenanceStatus.SCHEDULED
    ]
    services = sorted(scope.views.values(), key=lambda s: (not s.own, s.offer, s.label))
    return Board(
        vendor=vendor,
        vendor_name=name,
        viewer=viewer,
        generated_at=now,
        valid_until=min([now + MAX_AGE, *boundaries]),
        services=services,
        incidents=[_incident_view(i, scope) for i in incidents],
        maintenances=maintenance_views,
        availability=_availability(scope, now) if availability else [],
    )


def find_incident(vendor: str, viewer: Viewer, pk: int, user: Person | None = None) -> IncidentView:
    """One incident with its whole timeline, if this viewer may see it; Http404 otherwise."""
    scope = _scope(vendor_name(vendor), viewer, user)
    incident = (
        Incident.objects.filter(scope.incident_query(), pk=pk)
        .distinct()
        .prefetch_related(_service_ids(), "updates")
        .first()
    )
    if incident is None:
        raise Http404("Aucun incident de ce numéro.")
    return _incident_view(incident, scope)


def find_maintenance(
    vendor: str, viewer: Viewer, pk: int, now: datetime, user: Person | None = None
) -> MaintenanceView:
    """One maintenance, if this viewer may see it; Http404 otherwise."""
    scope = _scope(vendor_name(vendor), viewer, user)
    maintenance = (
        Maintenance.objects.filter(scope.maintenance_query(), pk=pk)
        .distinct()
        .prefetch_related(_service_ids())
        .first()
    )
    if maintenance is None:
        raise Http404("Aucune maintenance de ce numéro.")
    return _maintenance_view(maintenance, scope, now)
