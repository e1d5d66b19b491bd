"""Hosted services, their probes and the probes' results (AVL-2, AVL-4).

A contract whose offer commits to availability has a production service (and an acceptance one
with the option); probes check it, and a probe that goes down opens a draft incident.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from livret.errors import ServiceError
from livret.status.models import (
    Cause,
    Environment,
    Incident,
    IncidentStatus,
    MaintenanceKind,
    MaintenanceStatus,
    Probe,
    ProbeKind,
    ProbeStateChange,
    Service,
    ServiceState,
)
from livret.status.services.common import (
    clean_text,
    now_or,
    refresh_service_state,
    service_label,
)
from livret.status.services.incidents import add_timeline_entry
from livret.tenants.access import require_vendor
from livret.tenants.models import Contract

# E art. 10.4, CTR-4: the option that gives a contract an acceptance environment.
ACCEPTANCE_OPTION = "acceptance-environment"
MIN_PROBE_INTERVAL = 10  # seconds: below this a probe would hammer the service


@transaction.atomic
def create_service(
    actor: User,
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
    now = now_or(at)
    name = clean_text(name, "name", "Nom")
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
        public_label = clean_text(public_label, "public_label", "Libellé public")
        if contract.client.name.lower() in public_label.lower():
            raise ServiceError(
                "client-named",
                "le libellé public ne doit pas nommer le client",  # MNT-3
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
    actor: User,
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
    now = now_or(at)
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
def set_probe_target(actor: User, probe: Probe, target: str, at: datetime | None = None) -> Probe:
    """Point a probe at another target (checked like a new one), due at once."""
    require_vendor(actor)
    now = now_or(at)
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    probe.target = _probe_target(probe.kind, target)
    probe.next_run_at = now if probe.enabled else None
    probe.claimed_until = None
    probe.save(update_fields=["target", "next_run_at", "claimed_until"])
    return probe


@transaction.atomic
def set_probe_enabled(
    actor: User, probe: Probe, enabled: bool, at: datetime | None = None
) -> Probe:
    """Switch a probe on (due at once) or off (its last state no longer counts)."""
    require_vendor(actor)
    now = now_or(at)
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    probe.enabled = enabled
    probe.next_run_at = now if enabled else None
    probe.claimed_until = None
    if not enabled:
        probe.last_state = "unknown"
    probe.save(update_fields=["enabled", "next_run_at", "claimed_until", "last_state"])
    refresh_service_state(probe.service_id, now)
    return probe


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
    title = f"Indisponibilité détectée : {service_label(service)}"
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
    add_timeline_entry(
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
        add_timeline_entry(
            incident, [service], "incident.updated", message, at, extra={"probe": probe.pk}
        )
