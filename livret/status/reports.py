"""Monthly availability from the database (AVL-1..4): the core computes, this module gathers.

For a service and a month, the downtime intervals are:

* every incident of the service that overlaps the month, with its cause (AVL-2, AVL-4):
  declared by the vendor or opened by a probe (a draft counts until the vendor reclassifies
  it); an ongoing one runs until now;
* every maintenance of the service that actually ran (in progress or completed), from its
  real start to its real end (or now), as an excluded interval of cause ``maintenance`` or
  ``urgent-maintenance`` — AVL-3b lets the core make excluded time win over overlapping
  counted downtime.

The core (:mod:`livret.core.availability`) clips them to the month, keeps what falls inside
PRT in the contract territory's zone, and gives TD against the offer's target.

Only production counts (AVL-2): an acceptance service has no monthly report here
(:class:`NotCounted`, a ``LookupError``), and the bulk functions leave it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from livret.core.availability import (
    Downtime,
    MonthlyAvailability,
    availability_calendar,
    monthly_availability,
    monthly_availability_many,
)
from livret.core.calendar import BusinessCalendar
from livret.errors import ServiceError
from livret.offers.models import OfferVersion
from livret.status.models import (
    Cause,
    Environment,
    Incident,
    Maintenance,
    MaintenanceKind,
    MaintenanceStatus,
    Service,
)

ServiceId = int


class NotCounted(LookupError):
    """AVL-2: the service is an acceptance environment; only production is measured."""


# PRT calendars per (offer version digest, territory): versions never change (OFF-5).
_CALENDARS: dict[tuple[str, str], BusinessCalendar] = {}


def prt_calendar(version: OfferVersion, territory: str) -> BusinessCalendar:
    """The offer's reference-period calendar in the territory (AVL-1), built once."""
    key = (version.digest, territory)
    calendar = _CALENDARS.get(key)
    if calendar is None:
        calendar = _CALENDARS[key] = availability_calendar(version.offer, territory)
    return calendar


def _month_range(year: int, month: int) -> tuple[datetime, datetime]:
    """UTC bounds wide enough for the month in every French zone (the core clips exactly)."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = timedelta(days=1)
    return datetime(year, month, 1, tzinfo=UTC) - day, datetime(
        next_year, next_month, 1, tzinfo=UTC
    ) + day


def downtimes_of(
    service_ids: Iterable[ServiceId], start: datetime, end: datetime, now: datetime
) -> dict[ServiceId, list[Downtime]]:
    """Each service's downtime intervals overlapping ``[start, end)`` (two queries)."""
    ids = list(service_ids)
    found: dict[ServiceId, list[Downtime]] = defaultdict(list)
    links = Incident.services.through.objects.filter(
        service_id__in=ids, incident__started_at__lt=end
    ).filter(Q(incident__ended_at__isnull=True) | Q(incident__ended_at__gt=start))
    rows = links.values_list(
        "service_id", "incident__started_at", "incident__ended_at", "incident__cause"
    )
    for service_id, began, ended, cause in rows:
        _add(found[service_id], began, ended or now, cause)
    links = Maintenance.services.through.objects.filter(
        service_id__in=ids,
        maintenance__status__in=[MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED],
        maintenance__started_at__lt=end,
    ).filter(Q(maintenance__completed_at__isnull=True) | Q(maintenance__completed_at__gt=start))
    rows = links.values_list(
        "service_id", "maintenance__started_at", "maintenance__completed_at", "maintenance__kind"
    )
    for service_id, began, ended, kind in rows:
        cause = Cause.URGENT_MAINTENANCE if kind == MaintenanceKind.URGENT else Cause.MAINTENANCE
        _add(found[service_id], began, ended or now, str(cause))
    return found


def _add(into: list[Downtime], start: datetime, end: datetime, cause: str) -> None:
    if end > start:  # an ongoing interval that starts after now has no length yet
        into.append(Downtime(start, end, cause))


def _service(service_id: int) -> Service:
    try:
        service = Service.objects.select_related("contract__offer_version").get(pk=service_id)
    except Service.DoesNotExist:
        raise LookupError(f"no service {service_id}") from None
    if service.environment != Environment.PRODUCTION:
        raise NotCounted(
            f"service {service_id} is an acceptance environment: only production counts "
            "for availability (AVL-2)"
        )
    return service


def _month_of(
    service: Service, version: OfferVersion, year: int, month: int, downtimes: Sequence[Downtime]
) -> MonthlyAvailability:
    spec = version.offer.availability
    assert spec is not None  # services exist only on offers with an availability commitment
    return monthly_availability(
        prt_calendar(version, service.contract.territory),
        year,
        month,
        downtimes,
        target=spec.target_percent,
        excluded_causes=spec.excluded_causes,
    )


def check_month(service: Service, year: int, month: int, now: datetime) -> None:
    """Refuse (field ``month``) a month outside the year before the contract's start up to the
    year after ``now``: a report of another century means nothing and costs a calendar build."""
    first = service.contract.start_date.year - 1
    last = timezone.localtime(now).year + 1
    if not first <= year <= last:
        raise ServiceError(
            "invalid",
            f"month : le mois doit être entre {first:04d}-01 et {last:04d}-12 (de l'année "
            "précédant le début du contrat à l'année prochaine)",
            field="month",
        )


def service_month_report(
    service_id: int, year: int, month: int, now: datetime | None = None
) -> MonthlyAvailability:
    """AVL-3: PRT, counted downtime, excluded minutes by cause, TD and target of one
    production service for one calendar month (LookupError if there is no such service,
    ServiceError on ``month`` for a month out of :func:`check_month`'s range)."""
    service = _service(service_id)
    now = now or timezone.now()
    check_month(service, year, month, now)
    start, end = _month_range(year, month)
    downtimes = downtimes_of([service.pk], start, end, now).get(service.pk, [])
    return _month_of(service, service.contract.offer_version, year, month, downtimes)


def _months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    index = year * 12 + month - 1
    return [divmod(i, 12) for i in range(index - count + 1, index + 1)]


def monthly_history(
    service: Service, months: int = 12, now: datetime | None = None
) -> list[MonthlyAvailability]:
    """The last ``months`` months up to the current one (oldest first, not before the
    contract's start), for charts; the current month is provisional."""
    service = _service(service.pk)
    now = now or timezone.now()
    version = service.contract.offer_version
    local = now.astimezone(prt_calendar(version, service.contract.territory).zone)
    first = service.contract.start_date
    chosen = [
        (y, m + 1)
        for y, m in _months_back(local.year, local.month, months)
        if (y, m + 1) >= (first.year, first.month)
    ]
    if not chosen:
        return []
    start = _month_range(*chosen[0])[0]
    end = _month_range(*chosen[-1])[1]
    downtimes = downtimes_of([service.pk], start, end, now).get(service.pk, [])
    return [_month_of(service, version, y, m, downtimes) for y, m in chosen]


def availability_by_service(
    services: Sequence[Service], year: int, month: int, now: datetime | None = None
) -> dict[int, MonthlyAvailability]:
    """One month's report for many services at once (status page, dashboards).

    One query for the services, two for all their downtime, then one bulk core call per
    (offer version, territory).
    Acceptance services and services without an availability commitment are left out
    (AVL-2).
    """
    now = now or timezone.now()
    loaded = Service.objects.select_related("contract__offer_version").filter(
        pk__in=[s.pk for s in services], environment=Environment.PRODUCTION
    )
    counted = [s for s in loaded if s.contract.offer_version.offer.availability is not None]
    if not counted:
        return {}
    start, end = _month_range(year, month)
    downtimes = downtimes_of([s.pk for s in counted], start, end, now)
    groups: dict[tuple[int, str], list[Service]] = defaultdict(list)
    for service in counted:
        groups[(service.contract.offer_version_id, service.contract.territory)].append(service)
    out: dict[int, MonthlyAvailability] = {}
    for members in groups.values():
        version = members[0].contract.offer_version
        spec = version.offer.availability
        assert spec is not None
        out.update(
            monthly_availability_many(
                prt_calendar(version, members[0].contract.territory),
                year,
                month,
                {s.pk: downtimes.get(s.pk, []) for s in members},
                target=spec.target_percent,
                excluded_causes=spec.excluded_causes,
            )
        )
    return out
