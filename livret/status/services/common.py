"""What every status service shares: argument checks, the status event, the service's state.

Every change appends its :class:`~livret.status.models.StatusEvent` through :func:`record_event`, in
the transaction of the change, and stores the state of the services it touched
(:func:`refresh_service_state`): maintenance, else down (a probe), else perturbed (an ongoing
declared incident), else operational.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.utils import timezone

from livret.core.calendar import MAX_YEAR, MIN_YEAR
from livret.core.offer import Offer
from livret.core.territory import get_territory
from livret.errors import ServiceError
from livret.status.models import (
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Service,
    ServiceState,
    StatusEvent,
    UpdateAnnouncement,
)
from livret.tenants.models import Contract
from livret.text import refuse_control_characters


def now_or(at: datetime | None) -> datetime:
    return timezone.now() if at is None else aware(at, "at")


# The years an instant may fall in: the business calendars' years (1900-2200, refused beyond)
# with a year's margin for the deadlines computed around the instant.
FIRST_YEAR, LAST_YEAR = MIN_YEAR + 1, MAX_YEAR - 1


def aware(value: Any, field: str) -> datetime:
    """``value`` if it is an aware datetime between :data:`FIRST_YEAR` and :data:`LAST_YEAR`,
    else a :class:`ServiceError` on ``field``."""
    if not isinstance(value, datetime):
        raise ServiceError("invalid", f"{field} : une date et heure est attendue", field=field)
    if value.utcoffset() is None:
        raise ServiceError(
            "invalid", f"{field} : la date doit porter un fuseau horaire", field=field
        )
    if not FIRST_YEAR <= value.year <= LAST_YEAR:  # a far year crashed the calendar (500)
        raise ServiceError(
            "invalid",
            f"{field} : la date doit être entre {FIRST_YEAR} et {LAST_YEAR}",
            field=field,
        )
    return value


def clean_text(
    value: Any, field: str, label: str, max_length: int = 200, *, multiline: bool = False
) -> str:
    """The trimmed text, required and at most ``max_length`` long, without control characters
    (issue 13: they break the Atom feed; ``multiline`` allows line breaks and tabs)."""
    text = str(value or "").strip()
    text = refuse_control_characters(text, field, label, multiline=multiline)
    if not text:
        raise ServiceError("invalid", f"{label} : ce champ est obligatoire", field=field)
    if len(text) > max_length:
        raise ServiceError("invalid", f"{label} : {max_length} caractères au plus", field=field)
    return text


def optional_text(value: Any, field: str, label: str) -> str:
    """A trimmed multi-line text that may be empty, without control characters (issue 13)."""
    return refuse_control_characters(str(value or "").strip(), field, label, multiline=True)


def actor_or_none(actor: User) -> Any:
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


def client_ids(services: Iterable[Service]) -> list[int]:
    return sorted({s.contract.client_id for s in services})


def service_label(service: Service) -> str:
    """What an event may show of a service: its public label, never the client (MNT-3)."""
    return service.public_label or service.name


def record_event(
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
        clients=client_ids(services) if clients is None else clients,
        data=payload,
        incident=incident,
        maintenance=maintenance,
        announcement=announcement,
        service=service,
    )


def check_services(services: Iterable[Service], field: str = "services") -> list[Service]:
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


# --------------------------------------------------------------------------- service state


def state_of(service: Service) -> str:
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
    state = state_of(service)
    if state != service.state:
        previous = service.state
        service.state, service.state_since = state, at
        service.save(update_fields=["state", "state_since"])
        record_event(
            "service.state",
            at,
            title=f"{service_label(service)} : {ServiceState(state).label}",
            services=[service],
            public=service.public,
            service=service,
            data={"state": state, "previous": previous},
        )
    return service
