"""Services, incidents, maintenances and monthly availability over the JSON API (AVL-2..4,
MNT-1, MNT-2). Mounted under ``/api/status/``.

Every route needs a caller (``livret.api.auth``). Reads go through ``livret.status.access``:
a client sees its own services and what touches them, another client's service is 404. Writes
are the vendor's (403 otherwise) and call ``livret.status.services``; a refusal is
``{"code", "message", "field"}`` with its status (400 bad value, 403, 409 wrong state or a
maintenance plan the rules refuse, which also carries ``violations`` and
``next_allowed_start``), answered by ``livret.api.errors``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import AwareDatetime, Field

from livret.api.auth import api_auth
from livret.api.errors import ERRORS, Error
from livret.core.availability import AvailabilityError, parse_month
from livret.errors import ServiceError, WrongState
from livret.status import access, reports, services
from livret.status.models import Cause, Incident, IncidentStatus, Maintenance, Service

router = Router(tags=["status"], auth=api_auth())


class MonthQuery(Schema):
    month: str = Field(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")


class IncidentIn(Schema):
    services: list[int] = Field(min_length=1, max_length=500)
    title: str = Field(min_length=1, max_length=200)
    cause: Cause = Cause("service")
    started_at: AwareDatetime
    message: str = Field(min_length=1, max_length=10_000)
    public: bool = True


class IncidentUpdateIn(Schema):
    status: IncidentStatus
    message: str = Field(min_length=1, max_length=10_000)
    cause: Cause | None = None
    public: bool | None = None


class ResolveIn(Schema):
    ended_at: AwareDatetime
    message: str = Field(min_length=1, max_length=10_000)


class CauseIn(Schema):
    cause: Cause


class MaintenanceIn(Schema):
    services: list[int] = Field(min_length=1, max_length=500)
    title: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    blocking: bool = False
    urgent: bool = False
    description: str = Field("", max_length=10_000)
    public: bool = True


def _service(service: Service) -> dict[str, Any]:
    return {
        "id": service.pk,
        "name": service.name,
        "environment": service.environment,
        "contract": service.contract.reference,
        "state": service.state,
        "state_since": service.state_since,
        "public": service.public,
        "public_label": service.public_label,
    }


def _incident(incident: Incident, visible: set[int]) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "title": incident.title,
        "cause": incident.cause,
        "counted": incident.cause == Cause.SERVICE,
        "status": incident.status,
        "started_at": incident.started_at,
        "ended_at": incident.ended_at,
        "public": incident.public,
        "services": [s.pk for s in incident.services.all() if s.pk in visible],
        "updates": [
            {"at": u.at, "status": u.status, "message": u.message} for u in incident.updates.all()
        ],
    }


def _maintenance(maintenance: Maintenance, visible: set[int]) -> dict[str, Any]:
    return {
        "id": maintenance.pk,
        "title": maintenance.title,
        "kind": maintenance.kind,
        "blocking": maintenance.blocking,
        "status": maintenance.status,
        "announced_at": maintenance.announced_at,
        "starts_at": maintenance.starts_at,
        "ends_at": maintenance.ends_at,
        "started_at": maintenance.started_at,
        "completed_at": maintenance.completed_at,
        "services": [s.pk for s in maintenance.services.all() if s.pk in visible],
    }


def _visible_ids(user: User) -> set[int]:
    return set(access.visible_services(user).values_list("pk", flat=True))


def _services(user: User, ids: list[int]) -> list[Service]:
    return [access.access_service(user, pk) for pk in ids]


def _visible_incident(user: User, pk: int) -> Incident:
    found = access.shown_incidents(
        user, Incident.objects.filter(pk=pk, services__in=access.visible_services(user))
    ).first()
    if found is None:
        raise Http404("Aucun incident de ce numéro.")
    return found


# --------------------------------------------------------------------------- services


@router.get("/services", response={200: list[dict[str, Any]], ERRORS: Error})
def list_services(request: HttpRequest) -> list[dict[str, Any]]:
    """The services you may see, with their current state."""
    return [_service(s) for s in access.visible_services(request.auth).order_by("pk")]


@router.get("/services/{service_id}/availability", response={200: dict[str, Any], ERRORS: Error})
def availability(request: HttpRequest, service_id: int, query: Query[MonthQuery]) -> Any:
    """AVL-3: PRT, counted downtime, excluded minutes by cause, TD, target and met for a month
    (409 ``not-counted`` for an acceptance environment, AVL-2)."""
    service = access.access_service(request.auth, service_id)
    try:
        year, month = parse_month(query.month)
        result = reports.service_month_report(service.pk, year, month)
    except AvailabilityError as error:
        raise ServiceError("invalid", str(error), field="month") from None
    except reports.NotCounted as error:
        raise WrongState("not-counted", str(error)) from None
    return {"service": service.pk, **result.as_json()}


# --------------------------------------------------------------------------- incidents


@router.get("/incidents", response={200: list[dict[str, Any]], ERRORS: Error})
def list_incidents(request: HttpRequest, ongoing: bool = False) -> list[dict[str, Any]]:
    """Incidents touching your services, newest first (at most 200)."""
    visible = _visible_ids(request.auth)
    found = (
        access.shown_incidents(request.auth, Incident.objects.filter(services__in=visible))
        .distinct()
        .order_by("-started_at")
    )
    if ongoing:
        found = found.filter(ended_at__isnull=True)
    found = found.prefetch_related("services", "updates")[:200]
    return [_incident(i, visible) for i in found]


@router.post("/incidents", response={201: dict[str, Any], ERRORS: Error})
def declare(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    """Vendor: declare an incident with its cause (AVL-2, AVL-4)."""
    user = request.auth
    incident = services.declare_incident(
        user,
        _services(user, payload.services),
        payload.title,
        payload.cause,
        payload.started_at,
        payload.message,
        public=payload.public,
    )
    return Status(201, _incident(incident, _visible_ids(user)))


@router.post("/incidents/{incident_id}/updates", response={200: dict[str, Any], ERRORS: Error})
def update(request: HttpRequest, incident_id: int, payload: IncidentUpdateIn) -> dict[str, Any]:
    """Vendor: a timeline entry (may change the cause and publish a draft)."""
    user = request.auth
    incident = _visible_incident(user, incident_id)
    services.post_incident_update(
        user, incident, payload.status, payload.message, payload.cause, public=payload.public
    )
    incident.refresh_from_db()
    return _incident(incident, _visible_ids(user))


@router.post("/incidents/{incident_id}/resolve", response={200: dict[str, Any], ERRORS: Error})
def resolve(request: HttpRequest, incident_id: int, payload: ResolveIn) -> dict[str, Any]:
    """Vendor: the downtime ended at ``ended_at``."""
    user = request.auth
    incident = services.resolve_incident(
        user, _visible_incident(user, incident_id), payload.ended_at, payload.message
    )
    return _incident(incident, _visible_ids(user))


@router.post("/incidents/{incident_id}/cause", response={200: dict[str, Any], ERRORS: Error})
def reclassify(request: HttpRequest, incident_id: int, payload: CauseIn) -> dict[str, Any]:
    """Vendor: change the cause, which decides whether the downtime counts (AVL-2)."""
    user = request.auth
    incident = services.reclassify_incident(
        user, _visible_incident(user, incident_id), payload.cause
    )
    return _incident(incident, _visible_ids(user))


# --------------------------------------------------------------------------- maintenance


@router.get("/maintenances", response={200: list[dict[str, Any]], ERRORS: Error})
def list_maintenances(request: HttpRequest) -> list[dict[str, Any]]:
    """Maintenances of your services (not cancelled), latest start first (at most 200)."""
    visible = _visible_ids(request.auth)
    found = (
        Maintenance.objects.filter(Q(services__in=visible))
        .exclude(status="cancelled")
        .distinct()
        .order_by("-starts_at")
        .prefetch_related("services")[:200]
    )
    return [_maintenance(m, visible) for m in found]


@router.post("/maintenances", response={201: dict[str, Any], ERRORS: Error})
def plan(request: HttpRequest, payload: MaintenanceIn) -> Status[dict[str, Any]]:
    """Vendor: plan a maintenance; 409 ``maintenance-refused`` names the broken rules (window,
    48-hour notice, blocking work before 22:00) and gives ``next_allowed_start`` (MNT-1,
    MNT-2). ``urgent`` maintenance is accepted at any time."""
    user = request.auth
    maintenance = services.plan_maintenance(
        user,
        _services(user, payload.services),
        payload.title,
        payload.starts_at,
        payload.ends_at,
        payload.blocking,
        payload.description,
        urgent=payload.urgent,
        public=payload.public,
    )
    return Status(201, _maintenance(maintenance, _visible_ids(user)))
