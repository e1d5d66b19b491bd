"""Maintenances: planned within the offer's rules, started and completed on time (MNT-1..3).

The rules themselves (window, notice, blocking work) are decided by :mod:`livret.core.maintenance`;
this module loads each service's offer and territory, asks the core, and records the answer.
The worker's clock (:func:`advance_maintenances`) starts and completes them on time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.core.maintenance import PlanCheck, check_maintenance
from livret.errors import ServiceError, WrongState
from livret.ops.scan import scan
from livret.status.models import (
    Maintenance,
    MaintenanceKind,
    MaintenanceStatus,
    Service,
)
from livret.status.services.common import (
    actor_or_none,
    aware,
    check_services,
    clean_text,
    local_text,
    now_or,
    offer_of,
    optional_text,
    record_event,
    refresh_service_state,
    service_label,
    zone_of,
)
from livret.tenants.access import require_vendor

log = logging.getLogger("livret.status.maintenance")

# A refused plan comes back with the next start allowed, for a person to send again: the plan is
# announced when it is sent, so the proposal leaves this long to send it (issue 12: proposed
# 23:00:30, typed back as 23:00 a moment later, it was refused as "47 h 59").
PROPOSAL_MARGIN = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)


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
                f"l'offre de {service_label(service)} ne prévoit pas de maintenance planifiée",
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


def _typeable(at: datetime, zone: tzinfo) -> bool:
    """Whether the wall-clock minute of ``at`` in ``zone`` names it alone: not in the hour that
    the October change repeats (a form's "02:30" could be either; Django refuses it)."""
    wall = at.astimezone(zone).replace(tzinfo=None)
    return (
        wall.replace(tzinfo=zone, fold=0).utcoffset()
        == wall.replace(tzinfo=zone, fold=1).utcoffset()
    )


def _whole_minute(at: datetime) -> datetime:
    """``at`` rounded up to a whole minute (the forms' precision)."""
    at = at.astimezone(UTC)
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + MINUTE


def _proposal(
    services: list[Service],
    starts_at: datetime,
    ends_at: datetime,
    announced_at: datetime,
    blocking: bool,
) -> datetime | None:
    """The next start (same length) every service allows, as a person can send it back: to be
    announced up to PROPOSAL_MARGIN later, on a whole minute, with its start and its end
    readable as Paris wall-clock minutes (the forms' zone). The rules stay the core's, to the
    second: this only picks, among the starts they allow, one that survives the round trip."""
    zone = timezone.get_default_timezone()
    length = ends_at - starts_at
    announced = announced_at + PROPOSAL_MARGIN
    candidate = starts_at
    for _ in range(50):  # each turn moves later; a handful at most in practice
        checks = _check_plan(
            services, candidate, candidate + length, announced, blocking, urgent=False
        )
        found = _common_start(services, candidate, candidate + length, announced, blocking, checks)
        if found is None:
            return None
        fixed = _whole_minute(found)
        while not (_typeable(fixed, zone) and _typeable(fixed + length, zone)):
            fixed += MINUTE
        if fixed == found:
            return found
        candidate = fixed
    return None


@transaction.atomic
def plan_maintenance(
    actor: User,
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
    announced = now_or(announced_at)
    chosen = check_services(services)
    title = clean_text(title, "title", "Titre")
    description = optional_text(description, "description", "Description")
    starts_at = aware(starts_at, "starts_at")
    ends_at = aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise ServiceError("invalid", "fin : elle doit suivre le début", field="ends_at")
    checks = _check_plan(chosen, starts_at, ends_at, announced, bool(blocking), bool(urgent))
    refused = [(s, c) for s, c in checks if not c.allowed]
    if refused:
        proposal = _proposal(chosen, starts_at, ends_at, announced, bool(blocking))
        zone = zone_of(refused[0][0].contract)
        reasons = " ; ".join(f"{service_label(s)} : {_violations_text(c)}" for s, c in refused)
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
        description=description,
        kind=MaintenanceKind.URGENT if urgent else MaintenanceKind.PLANNED,
        blocking=bool(blocking),
        announced_at=announced,
        starts_at=starts_at,
        ends_at=ends_at,
        public=bool(public),
        created_by=actor_or_none(actor),
        created_at=now,
    )
    maintenance.services.set(chosen)
    record_event(
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
    record_event(
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
    actor: User, maintenance: Maintenance, *, at: datetime | None = None, system: bool = False
) -> Maintenance:
    """Scheduled → in progress (by the vendor, or by the worker at the planned start).

    A planned maintenance never starts before its announced start (MNT-2: the notice was given
    for that time); an urgent one may.
    """
    if not system:
        require_vendor(actor)
    now = now_or(at)
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
            "une maintenance planifiée ne commence pas avant l'heure annoncée",  # MNT-2
            field="starts_at",
        )
    _start(maintenance, services, now)
    return maintenance


@transaction.atomic
def complete_maintenance(
    actor: User, maintenance: Maintenance, *, at: datetime | None = None, system: bool = False
) -> Maintenance:
    """In progress → completed (the excluded interval ends here, AVL-2)."""
    if not system:
        require_vendor(actor)
    now = now_or(at)
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
    actor: User, maintenance: Maintenance, reason: str = "", *, at: datetime | None = None
) -> Maintenance:
    """A scheduled maintenance that will not take place."""
    require_vendor(actor)
    now = now_or(at)
    reason = optional_text(reason, "reason", "Motif")
    maintenance, services = _locked_maintenance(maintenance)
    if maintenance.status != MaintenanceStatus.SCHEDULED:
        raise WrongState(
            "wrong-state",
            "seule une maintenance planifiée, pas encore commencée, peut être annulée",
            field="status",
        )
    maintenance.status = MaintenanceStatus.CANCELLED
    maintenance.save(update_fields=["status"])
    record_event(
        "maintenance.cancelled",
        now,
        title=maintenance.title,
        body=reason,
        services=services,
        public=_maintenance_public(maintenance, services),
        maintenance=maintenance,
        data=_maintenance_data(maintenance),
    )
    return maintenance


def _advance(pk: int, move: str) -> int:
    """Move one maintenance ``started`` (at its planned start) or ``completed`` (at its planned
    end) if it is still where the clock found it, re-checked under lock: 1 if moved, else 0."""
    before = MaintenanceStatus.SCHEDULED if move == "started" else MaintenanceStatus.IN_PROGRESS
    with transaction.atomic():
        try:
            maintenance, services = _locked_maintenance(Maintenance(pk=pk))
        except Maintenance.DoesNotExist:
            return 0
        if maintenance.status != before:
            return 0  # another worker (or the vendor) moved it meanwhile
        at = maintenance.starts_at if move == "started" else maintenance.ends_at
        _move(maintenance, services, at, move)
        return 1


def _due(**condition: Any) -> list[int]:
    return list(Maintenance.objects.filter(**condition).order_by("pk").values_list("pk", flat=True))


def advance_maintenances(now: datetime) -> int:
    """The worker's clock: scheduled → in progress at the start, → completed at the end.

    Each maintenance moves in its own transaction, re-checked under lock, so several workers
    never move one twice; one that fails is logged and left for the next run while the others
    move (:func:`livret.ops.scan.scan`). Returns how many transitions were made.
    """
    moved = scan(
        _due(status=MaintenanceStatus.SCHEDULED, starts_at__lte=now),
        lambda pk: _advance(pk, "started"),
        None,
        log=log,
        failure="maintenance %s: could not be started; retried at the next run",
    )
    return moved + scan(
        _due(status=MaintenanceStatus.IN_PROGRESS, ends_at__lte=now),
        lambda pk: _advance(pk, "completed"),
        None,
        log=log,
        failure="maintenance %s: could not be completed; retried at the next run",
    )
