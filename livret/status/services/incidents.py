"""Incidents: declared downtimes with their cause and timeline (AVL-2, AVL-4)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from livret.errors import ServiceError, WrongState
from livret.status.models import (
    Cause,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Service,
)
from livret.status.services.common import (
    actor_or_none,
    aware,
    check_services,
    clean_text,
    now_or,
    record_event,
    refresh_service_state,
)
from livret.tenants.access import require_vendor


def _check_cause(cause: Any) -> str:
    if cause not in Cause.values:
        raise ServiceError(
            "invalid", f"cause inconnue (possibles : {', '.join(Cause.values)})", field="cause"
        )
    return str(cause)


def _incident_public(incident: Incident, services: Sequence[Service]) -> bool:
    return incident.public and any(s.public for s in services)


def add_timeline_entry(
    incident: Incident,
    services: Sequence[Service],
    kind: str,
    message: str,
    now: datetime,
    *,
    actor: User | None = None,
    public: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> IncidentUpdate:
    """One entry of the incident's timeline, at its current status, and the status event that
    the page, the feed and the subscribers read (written in the caller's transaction)."""
    update = IncidentUpdate.objects.create(
        incident=incident,
        at=now,
        status=incident.status,
        message=message,
        author=actor_or_none(actor),
    )
    record_event(
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
    actor: User,
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
    now = now_or(at)
    chosen = check_services(services)
    title = clean_text(title, "title", "Titre")
    cause = _check_cause(cause)
    message = clean_text(message, "message", "Message", max_length=10_000, multiline=True)
    started_at = aware(started_at, "started_at")
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
        created_by=actor_or_none(actor),
        created_at=now,
        updated_at=now,
    )
    incident.services.set(chosen)
    add_timeline_entry(incident, chosen, "incident.created", message, now, actor=actor)
    for service in chosen:
        refresh_service_state(service.pk, now)
    return incident


@transaction.atomic
def post_incident_update(
    actor: User,
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
    now = now_or(at)
    incident, services = _locked_incident(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise WrongState("wrong-state", "l'incident est résolu", field="status")
    if status == IncidentStatus.RESOLVED:
        raise ServiceError(
            "invalid", "statut : utilisez « Résoudre » pour clore l'incident", field="status"
        )
    if status not in IncidentStatus.values or status == IncidentStatus.DRAFT:
        raise ServiceError("invalid", "statut invalide", field="status")
    message = clean_text(message, "message", "Message", max_length=10_000, multiline=True)
    if cause is not None and cause != incident.cause:
        _reclassify(incident, services, _check_cause(cause), now)
    incident.status = status
    if public is not None:
        incident.public = public
    incident.updated_at = now
    incident.save(update_fields=["status", "public", "updated_at"])
    update = add_timeline_entry(incident, services, "incident.updated", message, now, actor=actor)
    for service in services:
        refresh_service_state(service.pk, now)
    return update


@transaction.atomic
def resolve_incident(
    actor: User,
    incident: Incident,
    ended_at: datetime,
    message: str,
    *,
    at: datetime | None = None,
) -> Incident:
    """The downtime ended at ``ended_at`` (not before it started, not in the future)."""
    require_vendor(actor)
    now = now_or(at)
    incident, services = _locked_incident(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise WrongState("wrong-state", "l'incident est déjà résolu", field="status")
    ended_at = aware(ended_at, "ended_at")
    if ended_at < incident.started_at:
        raise ServiceError("invalid", "fin : elle précède le début de l'incident", field="ended_at")
    if ended_at > now:
        raise ServiceError("invalid", "fin : elle ne peut pas être dans le futur", field="ended_at")
    message = clean_text(message, "message", "Message", max_length=10_000, multiline=True)
    incident.status = IncidentStatus.RESOLVED
    incident.ended_at = ended_at
    incident.updated_at = now
    incident.save(update_fields=["status", "ended_at", "updated_at"])
    add_timeline_entry(incident, services, "incident.resolved", message, now, actor=actor)
    for service in services:
        refresh_service_state(service.pk, now)
    return incident


def _reclassify(incident: Incident, services: list[Service], cause: str, now: datetime) -> None:
    previous = incident.cause
    incident.cause = cause
    incident.updated_at = now
    incident.save(update_fields=["cause", "updated_at"])
    record_event(
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
    actor: User, incident: Incident, cause: str, *, at: datetime | None = None
) -> Incident:
    """AVL-2: change the cause, which decides whether the downtime counts (also after the
    incident is resolved: the monthly reports follow)."""
    require_vendor(actor)
    now = now_or(at)
    incident, services = _locked_incident(incident)
    cause = _check_cause(cause)
    if cause == incident.cause:
        raise ServiceError("invalid", "cause : c'est déjà la cause de l'incident", field="cause")
    _reclassify(incident, services, cause, now)
    return incident
