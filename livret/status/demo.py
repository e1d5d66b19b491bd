"""Demo data of the availability app, on top of ``livret.demo`` (called by ``load_demo``).

For the demo's SaaS contracts (Quadra, Expert On Demand, Carrus): a production service each,
public under its offer's name (never the client's), Expert's acceptance environment, an HTTP
probe on the demo's own ``/healthz`` and a TCP probe on its port, both at the address it is
served on (LIVRET_SITE_URL, by default where ``livret serve`` listens, so a demo served on
another port watches itself and shows no outage), a past incident with its timeline, a
maintenance planned in the window at least 48 hours ahead, and update announcements (with a
date agreed for the Expert contract, which holds the personalised-update option). Idempotent:
what exists is left alone. Everything goes through ``livret.status.services``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from livret.status import services
from livret.status.models import (
    Incident,
    Maintenance,
    MaintenanceStatus,
    Probe,
    Service,
    UpdateAnnouncement,
)
from livret.tenants.models import Contract

# (contract reference, environment, service name, public label or "")
SERVICES = (
    ("Q-2026-001", "production", "Quadra Entreprise — production", "Quadra Entreprise On Demand"),
    ("E-2025-014", "production", "Cegid Expert — production", "Cegid Expert On Demand"),
    ("E-2025-014", "acceptance", "Cegid Expert — recette", ""),
    ("S-2026-003", "production", "Carrus SaaS — production", "Eksaé Carrus SaaS"),
)
INCIDENT_TITLE = "Lenteurs puis coupure de l'accès Quadra"
DESCRIPTION = "Intervention bloquante : l'accès au service sera coupé pendant la fenêtre."
MAINTENANCE_TITLE = "Montée de version de la base de données"


def own_targets() -> dict[str, str]:
    """Where the demo's probes look: its own ``/healthz`` and port, at LIVRET_SITE_URL."""
    base = settings.SITE_URL.rstrip("/")
    parts = urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"http": f"{base}/healthz", "tcp": f"{parts.hostname}:{port}"}


def follow_site_url() -> int:
    """Point the demo's probes at the address the demo is served on now (a demo made on port
    8000 and served on 8001 would otherwise watch nothing and show an outage); returns how many
    probes moved. Only the demo's own services are touched."""
    names = [name for _, _, name, _ in SERVICES]
    probes = Probe.objects.filter(service__name__in=names, kind__in=["http", "tcp"])
    targets = own_targets()
    moved = [p for p in probes if p.target != targets[p.kind]]
    if moved:
        tech = get_user_model().objects.get(username="technicien")
        for probe in moved:
            services.set_probe_target(tech, probe, targets[probe.kind])
    return len(moved)


def _last_weekday_morning(now: datetime, days_back: int) -> datetime:
    day = timezone.localtime(now) - timedelta(days=days_back)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def load_status_demo() -> list[str]:
    """Create the demo's services, probes, incident, maintenance and updates (idempotent);
    return the lines to print."""
    tech = get_user_model().objects.get(username="technicien")
    now = timezone.now()
    made: dict[str, Service] = {}
    for reference, environment, name, label in SERVICES:
        contract = Contract.objects.filter(reference=reference).first()
        if contract is None:
            continue
        service = Service.objects.filter(contract=contract, environment=environment).first()
        if service is None:
            service = services.create_service(
                tech,
                contract,
                name=name,
                environment=environment,
                public=bool(label),
                public_label=label,
            )
        made[f"{reference}/{environment}"] = service
    quadra = made.get("Q-2026-001/production")
    expert = made.get("E-2025-014/production")
    targets = own_targets()
    if quadra is not None and not quadra.probes.exists():
        services.add_probe(tech, quadra, kind="http", target=targets["http"])
    if expert is not None and not expert.probes.exists():
        services.add_probe(tech, expert, kind="tcp", target=targets["tcp"])
    follow_site_url()
    if quadra is not None and not Incident.objects.filter(title=INCIDENT_TITLE).exists():
        _past_incident(tech, quadra, now)
    # Quadra and Expert share their window (weeknights, blocking work from 22:00: MNT-1).
    nights = [s for s in (quadra, expert) if s is not None]
    if nights and not Maintenance.objects.filter(title=MAINTENANCE_TITLE).exists():
        _planned_maintenance(tech, nights, now)
    if not UpdateAnnouncement.objects.exists():
        _updates(tech, now)
    return [
        f"status: {Service.objects.count()} services, {Probe.objects.count()} probes, "
        f"{Incident.objects.count()} incident(s), "
        f"{Maintenance.objects.filter(status=MaintenanceStatus.SCHEDULED).count()} planned "
        f"maintenance(s), {UpdateAnnouncement.objects.count()} update announcement(s)"
    ]


def _past_incident(tech: object, service: Service, now: datetime) -> None:
    start = _last_weekday_morning(now, 8)
    incident = services.declare_incident(
        tech,
        [service],
        INCIDENT_TITLE,
        "service",
        start,
        "Des utilisateurs signalent des lenteurs à la connexion ; nous analysons.",
        at=start + timedelta(minutes=5),
    )
    services.post_incident_update(
        tech,
        incident,
        "identified",
        "Un serveur d'application est saturé : bascule vers le serveur de secours en cours.",
        at=start + timedelta(minutes=20),
    )
    services.post_incident_update(
        tech,
        incident,
        "monitoring",
        "Bascule faite ; l'accès est rétabli, nous surveillons.",
        at=start + timedelta(minutes=45),
    )
    services.resolve_incident(
        tech,
        incident,
        start + timedelta(minutes=40),
        "Incident clos : 40 minutes d'indisponibilité dans la période de référence.",
        at=start + timedelta(minutes=75),
    )


def _planned_maintenance(tech: object, chosen: list[Service], now: datetime) -> None:
    """Three days ahead, moved to the first start every service's window allows (MNT-1)."""
    start = (now + timedelta(days=3)).replace(second=0, microsecond=0)
    length = timedelta(hours=2)
    try:
        services.plan_maintenance(
            tech, chosen, MAINTENANCE_TITLE, start, start + length, True, DESCRIPTION
        )
    except services.MaintenanceRefused as refused:
        if refused.next_allowed_start is None:
            return
        start = refused.next_allowed_start
        services.plan_maintenance(
            tech, chosen, MAINTENANCE_TITLE, start, start + length, True, DESCRIPTION
        )


def _updates(tech: object, now: datetime) -> None:
    version = services.announce_update(
        tech,
        "expert-on-demand",
        "new-version",
        "2027.1",
        now + timedelta(days=21),
        needs_implementation_services=False,
        needs_training=True,
        notes="Nouveau module de révision des comptes ; une webassistance est proposée.",
    )
    expert = Contract.objects.filter(reference="E-2025-014").first()
    if expert is not None:
        services.agree_update_date(tech, version, expert, now + timedelta(days=28))
    services.announce_update(
        tech,
        "quadra-entreprise",
        "patch",
        "2026.4.2",
        now,
        regulatory=True,
        notes="Patch réglementaire : nouveaux taux de TVA.",
    )
