"""Every change to services, probes, incidents, maintenances and updates (AVL-2, AVL-4, MNT-1..4).

Each function is atomic and appends its :class:`~livret.status.models.StatusEvent` row(s) in the
same transaction: the event log is what the status page, its Atom feed and the subscriptions
read (``livret.statuspage``). Writes are for vendor staff only; the rules themselves (window,
notice, blocking work) are decided by :mod:`livret.core.maintenance` — this module loads the
contract's offer and territory, asks the core, and records the answer.

Who sees an event: ``public`` events go on the public page (only when the incident or
maintenance is published and concerns at least one public service); ``clients`` always lists
the clients whose services are concerned, so a logged-in client sees its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from livret.core.maintenance import PlanCheck, check_maintenance
from livret.core.offer import Offer
from livret.core.territory import get_territory
from livret.errors import ServiceError, WrongState
from livret.offers.models import OfferVersion
from livret.status.models import (
    AgreedUpdateDate,
    Cause,
    Environment,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceKind,
    MaintenanceStatus,
    Probe,
    ProbeKind,
    ProbeStateChange,
    Service,
    ServiceState,
    StatusEvent,
    UpdateAnnouncement,
    UpdateKind,
)
from livret.tenants.access import require_vendor
from livret.tenants.models import Contract

# E art. 10.4, CTR-4: the option that gives a contract an acceptance environment.
ACCEPTANCE_OPTION = "acceptance-environment"
MIN_PROBE_INTERVAL = 10  # seconds: below this a probe would hammer the service


class MaintenanceRefused(ServiceError):
    """MNT-1, MNT-2: a plan that breaks the window or the notice, with the next allowed start."""

    status = 409

    def __init__(
        self,
        message: str,
        *,
        violations: list[dict[str, str]],
        next_allowed_start: datetime | None,
        field: str = "starts_at",
    ) -> None:
        super().__init__("maintenance-refused", message, field=field)
        self.violations = violations
        self.next_allowed_start = next_allowed_start

    def details(self) -> dict[str, Any]:
        """The broken rules and the next allowed start (ISO 8601), for the JSON error."""
        start = self.next_allowed_start
        return {
            "violations": self.violations,
            "next_allowed_start": start.isoformat() if start else None,
        }


# --------------------------------------------------------------------------- helpers


def _now(at: datetime | None) -> datetime:
    return timezone.now() if at is None else _aware(at, "at")


def _aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ServiceError("invalid", f"{field} : une date et heure est attendue", field=field)
    if value.utcoffset() is None:
        raise ServiceError(
            "invalid", f"{field} : la date doit porter un fuseau horaire", field=field
        )
    return value


def _text(value: Any, field: str, label: str, max_length: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        raise ServiceError("invalid", f"{label} : ce champ est obligatoire", field=field)
    if len(text) > max_length:
        raise ServiceError("invalid", f"{label} : {max_length} caractères au plus", field=field)
    return text


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "pk", None) else None


def offer_of(service: Service) -> Offer:
    """The offer (the contract's pinned version) that sets the service's commitments."""
    return service.contract.offer_version.offer


def zone_of(contract: Contract) -> ZoneInfo:
    """The contract territory's zone (AVL-1, CAL-3: the overseas client's own time)."""
    return ZoneInfo(get_territory(contract.territory).timezone)


def local_text(at: datetime, zone: ZoneInfo) -> str:
    """``30/11/2026 22:00 (Europe/Paris)``: an instant as the client reads it."""
    return f"{at.astimezone(zone):%d/%m/%Y %H:%M} ({zone.key})"


def _clients(services: Iterable[Service]) -> list[int]:
    return sorted({s.contract.client_id for s in services})


def _label(service: Service) -> str:
    """What an event may show of a service: its public label, never the client (MNT-3)."""
    return service.public_label or service.name


def _event(
    kind: str,
    at: datetime,
    *,
    title: str,
    services: Sequence[Service],
    public: bool,
    body: str = "",
    data: dict[str, Any] | None = None,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
    announcement: UpdateAnnouncement | None = None,
    service: Service | None = None,
    clients: list[int] | None = None,
) -> StatusEvent:
    payload = {"services": [s.pk for s in services], **(data or {})}
    return StatusEvent.objects.create(
        at=at,
        kind=kind,
        title=title[:300],
        body=body,
        public=public,
        clients=_clients(services) if clients is None else clients,
        data=payload,
        incident=incident,
        maintenance=maintenance,
        announcement=announcement,
        service=service,
    )


def _services(services: Iterable[Service], field: str = "services") -> list[Service]:
    chosen = list(services)
    if not chosen:
        raise ServiceError("invalid", "choisissez au moins un service", field=field)
    ids = {s.pk for s in chosen}
    found = list(
        Service.objects.select_related("contract__client", "contract__offer_version").filter(
            pk__in=ids
        )
    )
    if len(found) != len(ids):
        raise ServiceError("invalid", "service inconnu", field=field)
    return sorted(found, key=lambda s: s.pk)


# --------------------------------------------------------------------------- services, probes


@transaction.atomic
def create_service(
    actor: Any,
    contract: Contract,
    *,
    name: str,
    environment: str = "production",
    slug: str = "",
    public: bool = False,
    public_label: str = "",
    at: datetime | None = None,
) -> Service:
    """AVL-2: a contract's production service, or its acceptance one where the option exists.

    Only offers with an availability commitment (the SaaS booklets) have a hosted service. A
    public service needs a public label, which never names the client (MNT-3).
    """
    require_vendor(actor)
    now = _now(at)
    name = _text(name, "name", "Nom")
    if environment not in Environment.values:
        raise ServiceError("invalid", "environnement inconnu", field="environment")
    offer = contract.offer_version.offer
    if offer.availability is None:
        raise ServiceError(
            "no-hosted-service",
            f"l'offre « {offer.name} » ne prévoit pas de service hébergé "
            "(aucun engagement de disponibilité)",
            field="contract",
        )
    if environment == Environment.ACCEPTANCE and ACCEPTANCE_OPTION not in (contract.options or []):
        raise ServiceError(
            "no-acceptance-option",
            f"le contrat {contract.reference} n'a pas l'option « environnement de recette »",
            field="environment",
        )
    if Service.objects.filter(contract=contract, environment=environment).exists():
        raise ServiceError(
            "duplicate",
            f"le contrat {contract.reference} a déjà un service de "
            f"{Environment(environment).label.lower()}",
            field="environment",
        )
    public_label = str(public_label or "").strip()
    if public:
        public_label = _text(public_label, "public_label", "Libellé public")
        if contract.client.name.lower() in public_label.lower():
            raise ServiceError(
                "client-named",
                "le libellé public ne doit pas nommer le client (MNT-3)",
                field="public_label",
            )
    slug = slugify(slug or f"{contract.reference}-{environment}")[:80]
    if not slug or Service.objects.filter(slug=slug).exists():
        raise ServiceError("duplicate", f"l'identifiant « {slug} » est déjà pris", field="slug")
    service = Service.objects.create(
        contract=contract,
        environment=environment,
        name=name,
        slug=slug,
        public=public,
        public_label=public_label,
        state=ServiceState.OPERATIONAL,
        state_since=now,
    )
    return service


def _probe_target(kind: str, target: str) -> str:
    target = str(target or "").strip()
    if kind == ProbeKind.HTTP:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServiceError(
                "invalid", "cible : une URL http:// ou https:// est attendue", field="target"
            )
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ServiceError("invalid", "cible : port invalide", field="target") from None
        return target
    if kind == ProbeKind.TCP:
        host, sep, port = target.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ServiceError(
                "invalid",
                "cible : hôte:port attendu (par exemple db.example.fr:5432)",
                field="target",
            )
        return target
    raise ServiceError("invalid", "type de sonde inconnu", field="kind")


@transaction.atomic
def add_probe(
    actor: Any,
    service: Service,
    *,
    kind: str,
    target: str,
    interval_seconds: int = 60,
    timeout_seconds: float = 10.0,
    retries: int = 2,
    enabled: bool = True,
    at: datetime | None = None,
) -> Probe:
    """AVL-4: an HTTP(S) or TCP check of the service, due at once, then every interval."""
    require_vendor(actor)
    now = _now(at)
    target = _probe_target(kind, target)
    if not isinstance(interval_seconds, int) or interval_seconds < MIN_PROBE_INTERVAL:
        raise ServiceError(
            "invalid",
            f"intervalle : {MIN_PROBE_INTERVAL} secondes au moins",
            field="interval_seconds",
        )
    if not 0 < float(timeout_seconds) < interval_seconds:
        raise ServiceError(
            "invalid",
            "délai d'attente : plus de 0 et moins que l'intervalle",
            field="timeout_seconds",
        )
    if not isinstance(retries, int) or not 0 <= retries <= 5:
        raise ServiceError("invalid", "nouvelles tentatives : de 0 à 5", field="retries")
    return Probe.objects.create(
        service=service,
        kind=kind,
        target=target,
        interval_seconds=interval_seconds,
        timeout_seconds=float(timeout_seconds),
        retries=retries,
        enabled=enabled,
        next_run_at=now if enabled else None,
    )


@transaction.atomic
def set_probe_enabled(actor: Any, probe: Probe, enabled: bool, at: datetime | None = None) -> Probe:
    """Switch a probe on (due at once) or off (its last state no longer counts)."""
    require_vendor(actor)
    now = _now(at)
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    probe.enabled = enabled
    probe.next_run_at = now if enabled else None
    probe.claimed_until = None
    if not enabled:
        probe.last_state = "unknown"
    probe.save(update_fields=["enabled", "next_run_at", "claimed_until", "last_state"])
    refresh_service_state(probe.service_id, now)
    return probe


# --------------------------------------------------------------------------- service state


def _state_of(service: Service) -> str:
    """What the status page shows now: maintenance, else down (a probe), else perturbed (an
    ongoing declared incident), else operational."""
    if service.maintenances.filter(status=MaintenanceStatus.IN_PROGRESS).exists():
        return str(ServiceState.MAINTENANCE)
    states = list(service.probes.filter(enabled=True).values_list("last_state", flat=True))
    if "down" in states:
        return str(ServiceState.DOWN)
    ongoing = service.incidents.filter(ended_at__isnull=True).exclude(status=IncidentStatus.DRAFT)
    if ongoing.exists():
        return str(ServiceState.DEGRADED)
    return str(ServiceState.OPERATIONAL)  # a probe not yet checked proves nothing either way


def refresh_service_state(service_id: int, at: datetime) -> Service:
    """Store the service's state if it changed, with a ``service.state`` event (caller's
    transaction)."""
    service = (
        Service.objects.select_for_update().select_related("contract__client").get(pk=service_id)
    )
    state = _state_of(service)
    if state != service.state:
        previous = service.state
        service.state, service.state_since = state, at
        service.save(update_fields=["state", "state_since"])
        _event(
            "service.state",
            at,
            title=f"{_label(service)} : {ServiceState(state).label}",
            services=[service],
            public=service.public,
            service=service,
            data={"state": state, "previous": previous},
        )
    return service


# --------------------------------------------------------------------------- incidents


def _check_cause(cause: Any) -> str:
    if cause not in Cause.values:
        raise ServiceError(
            "invalid", f"cause inconnue (possibles : {', '.join(Cause.values)})", field="cause"
        )
    return str(cause)


def _incident_public(incident: Incident, services: Sequence[Service]) -> bool:
    return incident.public and any(s.public for s in services)


def _timeline(
    incident: Incident,
    services: Sequence[Service],
    kind: str,
    message: str,
    now: datetime,
    *,
    actor: Any = None,
    public: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> IncidentUpdate:
    """One entry of the incident's timeline, at its current status, and the status event that
    the page, the feed and the subscribers read (written in the caller's transaction)."""
    update = IncidentUpdate.objects.create(
        incident=incident, at=now, status=incident.status, message=message, author=_user(actor)
    )
    _event(
        kind,
        now,
        title=incident.title,
        body=message,
        services=services,
        public=_incident_public(incident, services) if public is None else public,
        incident=incident,
        data={**_incident_data(incident), **(extra or {})},
    )
    return update


def _incident_data(incident: Incident) -> dict[str, Any]:
    return {
        "status": incident.status,
        "cause": incident.cause,
        "started_at": incident.started_at.isoformat(),
        "ended_at": incident.ended_at.isoformat() if incident.ended_at else None,
    }


def _locked_incident(incident: Incident) -> tuple[Incident, list[Service]]:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    services = list(
        locked.services.select_related("contract__client", "contract__offer_version").order_by("pk")
    )
    return locked, services


@transaction.atomic
def declare_incident(
    actor: Any,
    services: Iterable[Service],
    title: str,
    cause: str,
    started_at: datetime,
    message: str,
    public: bool = True,
    *,
    status: str = "investigating",
    at: datetime | None = None,
) -> Incident:
    """AVL-4: the vendor declares a downtime with its cause (AVL-2) and a first message."""
    require_vendor(actor)
    now = _now(at)
    chosen = _services(services)
    title = _text(title, "title", "Titre")
    cause = _check_cause(cause)
    message = _text(message, "message", "Message", max_length=10_000)
    started_at = _aware(started_at, "started_at")
    if started_at > now:
        raise ServiceError(
            "invalid", "début : un incident ne peut pas commencer dans le futur", field="started_at"
        )
    if status in (IncidentStatus.DRAFT, IncidentStatus.RESOLVED) or (
        status not in IncidentStatus.values
    ):
        raise ServiceError("invalid", "statut invalide pour une déclaration", field="status")
    incident = Incident.objects.create(
        title=title,
        cause=cause,
        status=status,
        started_at=started_at,
        public=bool(public),
        created_by=_user(actor),
        created_at=now,
        updated_at=now,
    )
    incident.services.set(chosen)
    _timeline(incident, chosen, "incident.created", message, now, actor=actor)
    for service in chosen:
        refresh_service_state(service.pk, now)
    return incident


@transaction.atomic
def post_incident_update(
    actor: Any,
    incident: Incident,
    status: str,
    message: str,
    cause: str | None = None,
    *,
    public: bool | None = None,
    at: datetime | None = None,
) -> IncidentUpdate:
    """A timeline entry (investigating, identified, monitoring); may change the cause and
    publish a probe's draft. Resolving goes through :func:`resolve_incident`."""
    require_vendor(actor)
    now = _now(at)
    incident, services = _locked_incident(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise WrongState("wrong-state", "l'incident est résolu", field="status")
    if status == IncidentStatus.RESOLVED:
        raise ServiceError(
            "invalid", "statut : utilisez « Résoudre » pour clore l'incident", field="status"
        )
    if status not in IncidentStatus.values or status == IncidentStatus.DRAFT:
        raise ServiceError("invalid", "statut invalide", field="status")
    message = _text(message, "message", "Message", max_length=10_000)
    if cause is not None and cause != incident.cause:
        _reclassify(incident, services, _check_cause(cause), now)
    incident.status = status
    if public is not None:
        incident.public = public
    incident.updated_at = now
    incident.save(update_fields=["status", "public", "updated_at"])
    update = _timeline(incident, services, "incident.updated", message, now, actor=actor)
    for service in services:
        refresh_service_state(service.pk, now)
    return update


@transaction.atomic
def resolve_incident(
    actor: Any,
    incident: Incident,
    ended_at: datetime,
    message: str,
    *,
    at: datetime | None = None,
) -> Incident:
    """The downtime ended at ``ended_at`` (not before it started, not in the future)."""
    require_vendor(actor)
    now = _now(at)
    incident, services = _locked_incident(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise WrongState("wrong-state", "l'incident est déjà résolu", field="status")
    ended_at = _aware(ended_at, "ended_at")
    if ended_at < incident.started_at:
        raise ServiceError("invalid", "fin : elle précède le début de l'incident", field="ended_at")
    if ended_at > now:
        raise ServiceError("invalid", "fin : elle ne peut pas être dans le futur", field="ended_at")
    message = _text(message, "message", "Message", max_length=10_000)
    incident.status = IncidentStatus.RESOLVED
    incident.ended_at = ended_at
    incident.updated_at = now
    incident.save(update_fields=["status", "ended_at", "updated_at"])
    _timeline(incident, services, "incident.resolved", message, now, actor=actor)
    for service in services:
        refresh_service_state(service.pk, now)
    return incident


def _reclassify(incident: Incident, services: list[Service], cause: str, now: datetime) -> None:
    previous = incident.cause
    incident.cause = cause
    incident.updated_at = now
    incident.save(update_fields=["cause", "updated_at"])
    _event(
        "incident.updated",
        now,
        title=incident.title,
        body=f"Cause : {Cause(previous).label} → {Cause(cause).label}",
        services=services,
        public=False,  # a contractual matter for the clients concerned (AVL-2)
        incident=incident,
        data={**_incident_data(incident), "previous_cause": previous},
    )


@transaction.atomic
def reclassify_incident(
    actor: Any, incident: Incident, cause: str, *, at: datetime | None = None
) -> Incident:
    """AVL-2: change the cause, which decides whether the downtime counts (also after the
    incident is resolved: the monthly reports follow)."""
    require_vendor(actor)
    now = _now(at)
    incident, services = _locked_incident(incident)
    cause = _check_cause(cause)
    if cause == incident.cause:
        raise ServiceError("invalid", "cause : c'est déjà la cause de l'incident", field="cause")
    _reclassify(incident, services, cause, now)
    return incident


# --------------------------------------------------------------------------- probe results


def _maintenance_cause(service: Service) -> str:
    """AVL-2: a probe failing during a maintenance of its service is that maintenance."""
    kinds = set(
        service.maintenances.filter(status=MaintenanceStatus.IN_PROGRESS).values_list(
            "kind", flat=True
        )
    )
    if MaintenanceKind.URGENT in kinds:
        return str(Cause.URGENT_MAINTENANCE)
    if kinds:
        return str(Cause.MAINTENANCE)
    return str(Cause.SERVICE)


@transaction.atomic
def record_probe_result(
    probe_id: int, up: bool, at: datetime, *, latency_ms: float | None = None, error: str = ""
) -> ProbeStateChange | None:
    """Store one check of a probe; on a change of state, the change and its consequences.

    Going down opens a draft incident on the service (cause ``service``, or the maintenance in
    progress, AVL-2, AVL-4) unless an incident is already ongoing there; coming back up ends the
    draft once no probe of the service is down. Returns the state change, if any.
    """
    state = "up" if up else "down"
    checked = {
        "last_checked_at": at,
        "last_latency_ms": latency_ms,
        "last_error": error,
        "claimed_until": None,
    }
    if Probe.objects.filter(pk=probe_id, enabled=True, last_state=state).update(**checked):
        return None  # the usual case, no change of state: one UPDATE
    probe = Probe.objects.select_for_update().select_related("service").get(pk=probe_id)
    previous = probe.last_state
    probe.last_checked_at = at
    probe.last_latency_ms = latency_ms
    probe.last_error = error
    probe.claimed_until = None
    if not probe.enabled:  # switched off while the check ran: keep it out of the state
        probe.save(
            update_fields=["last_checked_at", "last_latency_ms", "last_error", "claimed_until"]
        )
        return None
    probe.last_state = state
    probe.save(
        update_fields=[
            "last_checked_at",
            "last_latency_ms",
            "last_error",
            "claimed_until",
            "last_state",
        ]
    )
    if state == previous:
        return None
    change = ProbeStateChange.objects.create(
        probe=probe, at=at, state=state, error=error, latency_ms=latency_ms
    )
    service = Service.objects.select_related("contract__client").get(pk=probe.service_id)
    if state == "down":
        _probe_down(probe, service, at, error)
    elif previous == "down":
        _probe_up(probe, service, at)
    refresh_service_state(service.pk, at)
    return change


def _probe_down(probe: Probe, service: Service, at: datetime, error: str) -> None:
    if service.incidents.filter(ended_at__isnull=True).exists():
        return  # already tracked: the ongoing incident covers this downtime
    title = f"Indisponibilité détectée : {_label(service)}"
    message = f"La sonde {probe.get_kind_display()} {probe.target} ne répond plus : {error}"
    incident = Incident.objects.create(
        title=title,
        cause=_maintenance_cause(service),
        status=IncidentStatus.DRAFT,
        started_at=at,
        public=False,  # a draft waits for the vendor to confirm and publish it
        detected_by=probe,
        created_at=at,
        updated_at=at,
    )
    incident.services.set([service])
    _timeline(
        incident,
        [service],
        "incident.created",
        message,
        at,
        public=False,
        extra={"probe": probe.pk},
    )


def _probe_up(probe: Probe, service: Service, at: datetime) -> None:
    if service.probes.filter(enabled=True, last_state="down").exists():
        return  # another probe still sees it down
    ongoing = Incident.objects.select_for_update().filter(
        services=service, ended_at__isnull=True, detected_by__service=service
    )
    for incident in ongoing:
        minutes = int((at - incident.started_at).total_seconds() // 60)
        message = (
            f"La sonde {probe.get_kind_display()} {probe.target} répond de nouveau "
            f"(indisponibilité de {minutes} min)."
        )
        if incident.status == IncidentStatus.DRAFT:
            incident.ended_at = at
        incident.updated_at = at
        incident.save(update_fields=["ended_at", "updated_at"])
        _timeline(incident, [service], "incident.updated", message, at, extra={"probe": probe.pk})


# --------------------------------------------------------------------------- maintenance


def _violations_text(check: PlanCheck) -> str:
    return " ; ".join(v.message for v in check.violations)


def _check_plan(
    services: list[Service],
    starts_at: datetime,
    ends_at: datetime,
    announced_at: datetime,
    blocking: bool,
    urgent: bool,
) -> list[tuple[Service, PlanCheck]]:
    """The core's verdict for each service (its contract's offer and territory, MNT-1)."""
    out = []
    for service in services:
        offer = offer_of(service)
        if offer.maintenance is None:
            raise ServiceError(
                "no-maintenance-rules",
                f"l'offre de {_label(service)} ne prévoit pas de maintenance planifiée",
                field="services",
            )
        check = check_maintenance(
            offer,
            start=starts_at,
            end=ends_at,
            announced_at=announced_at,
            blocking=blocking,
            urgent=urgent,
            territory=service.contract.territory,
        )
        out.append((service, check))
    return out


def _common_start(
    services: list[Service],
    starts_at: datetime,
    ends_at: datetime,
    announced_at: datetime,
    blocking: bool,
    checks: list[tuple[Service, PlanCheck]],
) -> datetime | None:
    """The earliest start (same duration) every service's rules allow: each service proposes
    its next start; the latest of them is checked again until all agree."""
    duration = ends_at - starts_at
    candidate = starts_at
    for _ in range(20):
        proposals = [c.next_allowed_start for _, c in checks if not c.allowed]
        if not proposals:
            return candidate
        if any(p is None for p in proposals):
            return None
        later = max(p for p in proposals if p is not None)
        if later <= candidate:
            return None
        candidate = later
        checks = _check_plan(
            services, candidate, candidate + duration, announced_at, blocking, urgent=False
        )
    return None


@transaction.atomic
def plan_maintenance(
    actor: Any,
    services: Iterable[Service],
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    blocking: bool,
    description: str = "",
    urgent: bool = False,
    announced_at: datetime | None = None,
    *,
    public: bool = True,
) -> Maintenance:
    """MNT-1, MNT-2: record a maintenance the offer's rules allow for every service.

    A planned maintenance is checked against each service's window and 48-hour notice (in the
    contract territory's local time); a refusal names each broken rule and proposes the next
    start allowed for all of them (:class:`MaintenanceRefused`). Urgent maintenance is allowed
    at any time and recorded as urgent (its downtime is excluded as ``urgent-maintenance``).
    """
    require_vendor(actor)
    now = timezone.now()
    announced = _now(announced_at)
    chosen = _services(services)
    title = _text(title, "title", "Titre")
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ServiceError("invalid", "fin : elle doit suivre le début", field="ends_at")
    checks = _check_plan(chosen, starts_at, ends_at, announced, bool(blocking), bool(urgent))
    refused = [(s, c) for s, c in checks if not c.allowed]
    if refused:
        proposal = _common_start(chosen, starts_at, ends_at, announced, bool(blocking), checks)
        zone = zone_of(refused[0][0].contract)
        reasons = " ; ".join(f"{_label(s)} : {_violations_text(c)}" for s, c in refused)
        suggestion = (
            f" Prochain début possible : {local_text(proposal, zone)}."
            if proposal is not None
            else ""
        )
        raise MaintenanceRefused(
            f"Maintenance refusée — {reasons}.{suggestion}",
            violations=[
                {"service": str(s.pk), "code": v.code, "message": v.message}
                for s, c in refused
                for v in c.violations
            ],
            next_allowed_start=proposal,
        )
    maintenance = Maintenance.objects.create(
        title=title,
        description=str(description or "").strip(),
        kind=MaintenanceKind.URGENT if urgent else MaintenanceKind.PLANNED,
        blocking=bool(blocking),
        announced_at=announced,
        starts_at=starts_at,
        ends_at=ends_at,
        public=bool(public),
        created_by=_user(actor),
        created_at=now,
    )
    maintenance.services.set(chosen)
    _event(
        "maintenance.planned",
        announced,
        title=title,
        body=maintenance.description,
        services=chosen,
        public=_maintenance_public(maintenance, chosen),
        maintenance=maintenance,
        data=_maintenance_data(maintenance),
    )
    # An urgent maintenance may be recorded once under way or even over (MNT-2).
    if starts_at <= now:
        _start(maintenance, chosen, starts_at)
        if ends_at <= now:
            _complete(maintenance, chosen, ends_at)
    return maintenance


def _maintenance_public(maintenance: Maintenance, services: Sequence[Service]) -> bool:
    return maintenance.public and any(s.public for s in services)


def _maintenance_data(maintenance: Maintenance) -> dict[str, Any]:
    return {
        "status": maintenance.status,
        "kind": maintenance.kind,
        "blocking": maintenance.blocking,
        "starts_at": maintenance.starts_at.isoformat(),
        "ends_at": maintenance.ends_at.isoformat(),
    }


def _locked_maintenance(maintenance: Maintenance) -> tuple[Maintenance, list[Service]]:
    locked = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
    services = list(locked.services.select_related("contract__client").order_by("pk"))
    return locked, services


# What starting and completing a maintenance write: its status and the field that says when.
_MOVES = {
    "started": (MaintenanceStatus.IN_PROGRESS, "started_at"),
    "completed": (MaintenanceStatus.COMPLETED, "completed_at"),
}


def _move(maintenance: Maintenance, services: list[Service], at: datetime, move: str) -> None:
    """The maintenance ``started`` or ``completed`` at ``at``; its status event and its
    services' states follow in the same transaction."""
    status, stamp = _MOVES[move]
    maintenance.status = status
    setattr(maintenance, stamp, at)
    maintenance.save(update_fields=["status", stamp])
    _event(
        f"maintenance.{move}",
        at,
        title=maintenance.title,
        services=services,
        public=_maintenance_public(maintenance, services),
        maintenance=maintenance,
        data=_maintenance_data(maintenance),
    )
    for service in services:
        refresh_service_state(service.pk, at)


def _start(maintenance: Maintenance, services: list[Service], at: datetime) -> None:
    _move(maintenance, services, at, "started")


def _complete(maintenance: Maintenance, services: list[Service], at: datetime) -> None:
    _move(maintenance, services, at, "completed")


@transaction.atomic
def start_maintenance(
    actor: Any, maintenance: Maintenance, *, at: datetime | None = None, system: bool = False
) -> Maintenance:
    """Scheduled → in progress (by the vendor, or by the worker at the planned start).

    A planned maintenance never starts before its announced start (MNT-2: the notice was given
    for that time); an urgent one may.
    """
    if not system:
        require_vendor(actor)
    now = _now(at)
    maintenance, services = _locked_maintenance(maintenance)
    if maintenance.status != MaintenanceStatus.SCHEDULED:
        raise WrongState(
            "wrong-state",
            f"la maintenance est « {MaintenanceStatus(maintenance.status).label} »",
            field="status",
        )
    if maintenance.kind == MaintenanceKind.PLANNED and now < maintenance.starts_at:
        raise ServiceError(
            "too-early",
            "une maintenance planifiée ne commence pas avant l'heure annoncée (MNT-2)",
            field="starts_at",
        )
    _start(maintenance, services, now)
    return maintenance


@transaction.atomic
def complete_maintenance(
    actor: Any, maintenance: Maintenance, *, at: datetime | None = None, system: bool = False
) -> Maintenance:
    """In progress → completed (the excluded interval ends here, AVL-2)."""
    if not system:
        require_vendor(actor)
    now = _now(at)
    maintenance, services = _locked_maintenance(maintenance)
    if maintenance.status != MaintenanceStatus.IN_PROGRESS:
        raise WrongState(
            "wrong-state",
            f"la maintenance est « {MaintenanceStatus(maintenance.status).label} »",
            field="status",
        )
    _complete(maintenance, services, max(now, maintenance.started_at or now))
    return maintenance


@transaction.atomic
def cancel_maintenance(
    actor: Any, maintenance: Maintenance, reason: str = "", *, at: datetime | None = None
) -> Maintenance:
    """A scheduled maintenance that will not take place."""
    require_vendor(actor)
    now = _now(at)
    maintenance, services = _locked_maintenance(maintenance)
    if maintenance.status != MaintenanceStatus.SCHEDULED:
        raise WrongState(
            "wrong-state",
            "seule une maintenance planifiée, pas encore commencée, peut être annulée",
            field="status",
        )
    maintenance.status = MaintenanceStatus.CANCELLED
    maintenance.save(update_fields=["status"])
    _event(
        "maintenance.cancelled",
        now,
        title=maintenance.title,
        body=str(reason or "").strip(),
        services=services,
        public=_maintenance_public(maintenance, services),
        maintenance=maintenance,
        data=_maintenance_data(maintenance),
    )
    return maintenance


def advance_maintenances(now: datetime) -> int:
    """The worker's clock: scheduled → in progress at the start, → completed at the end.

    Each maintenance moves in its own transaction, re-checked under lock, so several workers
    never move one twice. Returns how many transitions were made.
    """
    moved = 0
    for pk in Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED, starts_at__lte=now
    ).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                maintenance, services = _locked_maintenance(Maintenance(pk=pk))
                if maintenance.status == MaintenanceStatus.SCHEDULED:
                    _start(maintenance, services, maintenance.starts_at)
                    moved += 1
        except Maintenance.DoesNotExist:
            continue
    for pk in Maintenance.objects.filter(
        status=MaintenanceStatus.IN_PROGRESS, ends_at__lte=now
    ).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                maintenance, services = _locked_maintenance(Maintenance(pk=pk))
                if maintenance.status == MaintenanceStatus.IN_PROGRESS:
                    _complete(maintenance, services, maintenance.ends_at)
                    moved += 1
        except Maintenance.DoesNotExist:
            continue
    return moved


# --------------------------------------------------------------------------- updates (MNT-4)


def _offer_version(offer_id: str) -> OfferVersion:
    version = OfferVersion.objects.filter(offer_id=offer_id).order_by("-number").first()
    if version is None:
        raise ServiceError("invalid", f"offre inconnue : {offer_id}", field="offer_id")
    return version


@transaction.atomic
def announce_update(
    actor: Any,
    offer_id: str,
    kind: str,
    version_label: str,
    planned_for: datetime,
    needs_implementation_services: bool = False,
    needs_training: bool = False,
    regulatory: bool = False,
    *,
    changes_required_knowledge: bool = False,
    notes: str = "",
    at: datetime | None = None,
) -> UpdateAnnouncement:
    """MNT-4: tell the offer's clients the date of a new version in advance, and whether it
    needs implementation services or training; patches need no notice.

    A kind the offer does not name is refused; a new version (or a major update) dated in the
    past is refused where the offer promises announced dates.
    """
    require_vendor(actor)
    now = _now(at)
    offer = _offer_version(offer_id).offer
    if offer.updates is None:
        raise ServiceError(
            "no-updates", f"l'offre {offer_id} ne décrit pas de mises à jour", field="offer_id"
        )
    if kind not in offer.updates.kinds:
        names = ", ".join(str(UpdateKind(k).label).lower() for k in offer.updates.kinds)
        raise ServiceError(
            "invalid", f"type : l'offre {offer_id} prévoit seulement : {names}", field="kind"
        )
    version_label = _text(version_label, "version_label", "Version", max_length=40)
    planned_for = _aware(planned_for, "planned_for")
    announced_in_advance = kind in (UpdateKind.NEW_VERSION, UpdateKind.MAJOR)
    if announced_in_advance and offer.updates.dates_announced and planned_for <= now:
        raise ServiceError(
            "notice",
            "date prévue : une nouvelle version s'annonce à l'avance (MNT-4), "
            "la date doit être à venir",
            field="planned_for",
        )
    announcement = UpdateAnnouncement.objects.create(
        offer_id=offer_id,
        kind=kind,
        version_label=version_label,
        planned_for=planned_for,
        needs_implementation_services=bool(needs_implementation_services),
        needs_training=bool(needs_training),
        regulatory=bool(regulatory),
        changes_required_knowledge=bool(changes_required_knowledge),
        notes=str(notes or "").strip(),
        created_by=_user(actor),
        created_at=now,
    )
    clients = sorted(
        set(
            Contract.objects.filter(offer_version__offer_id=offer_id).values_list(
                "client_id", flat=True
            )
        )
    )
    _event(
        "update.announced",
        now,
        title=f"{offer.name} {version_label} — {UpdateKind(kind).label}",
        body=announcement.notes,
        services=[],
        public=offer.kind == "saas",
        clients=clients,
        announcement=announcement,
        data={
            "offer_id": offer_id,
            "kind": kind,
            "version": version_label,
            "planned_for": planned_for.isoformat(),
            "needs_implementation_services": announcement.needs_implementation_services,
            "needs_training": announcement.needs_training,
            "regulatory": announcement.regulatory,
        },
    )
    return announcement


@transaction.atomic
def agree_update_date(
    actor: Any,
    announcement: UpdateAnnouncement,
    contract: Contract,
    agreed_for: datetime,
    *,
    at: datetime | None = None,
) -> AgreedUpdateDate:
    """MNT-4, E option « mise à jour personnalisée »: the date agreed with one client.

    Only for a contract on the announcement's offer holding the offer's agreed-date option, and
    never for a regulatory patch (E art. 3). Agreeing again replaces the date.
    """
    require_vendor(actor)
    now = _now(at)
    if contract.offer_version.offer_id != announcement.offer_id:
        raise ServiceError(
            "other-offer",
            f"le contrat {contract.reference} n'est pas sur l'offre {announcement.offer_id}",
            field="contract",
        )
    updates = contract.offer_version.offer.updates
    option = updates.agreed_date_option if updates else None
    if option is None:
        raise ServiceError(
            "no-agreed-dates",
            f"l'offre {announcement.offer_id} ne prévoit pas de date convenue avec le client",
            field="contract",
        )
    if option not in (contract.options or []):
        spec = contract.offer_version.offer.options.get(option)
        label = spec.label if spec else option
        raise ServiceError(
            "no-option",
            f"le contrat {contract.reference} n'a pas l'option « {label} »",
            field="contract",
        )
    if announcement.regulatory and updates is not None and updates.regulatory_patches_excepted:
        raise ServiceError(
            "regulatory",
            "un patch réglementaire s'installe à la date de l'éditeur, sans date convenue (MNT-4)",
            field="announcement",
        )
    agreed_for = _aware(agreed_for, "agreed_for")
    if agreed_for <= now:
        raise ServiceError("invalid", "date convenue : elle doit être à venir", field="agreed_for")
    agreed, _ = AgreedUpdateDate.objects.update_or_create(
        announcement=announcement,
        contract=contract,
        defaults={"agreed_for": agreed_for, "agreed_by": _user(actor), "agreed_at": now},
    )
    _event(
        "update.agreed",
        now,
        title=f"{announcement.version_label} : date convenue pour {contract.reference}",
        services=[],
        public=False,
        clients=[contract.client_id],
        announcement=announcement,
        data={
            "contract": contract.pk,
            "agreed_for": agreed_for.isoformat(),
            "offer_id": announcement.offer_id,
        },
    )
    return agreed
