"""Maintenances that overlap on a service: a warning on the planning form and the list, never a
refusal (two teams may well share one night's window; the vendor decides)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from livret.status.models import Maintenance, MaintenanceStatus, Service

CURRENT = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)


def overlapping(
    services: Iterable[Service],
    starts_at: datetime,
    ends_at: datetime,
    *,
    exclude: Maintenance | None = None,
) -> list[Maintenance]:
    """The scheduled or running maintenances of any of ``services`` whose period meets
    ``[starts_at, ends_at)``, in start order (``exclude``: the plan itself)."""
    found = (
        Maintenance.objects.filter(
            status__in=CURRENT,
            services__in=list(services),
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .distinct()
        .order_by("starts_at", "pk")
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return list(found)


def overlaps_among(rows: Sequence[Maintenance]) -> dict[int, list[Maintenance]]:
    """For the list: each row's overlapping rows (same service, periods that meet), from the
    rows' prefetched services, without a query per row."""
    services = {m.pk: {s.pk for s in m.services.all()} for m in rows}
    found: dict[int, list[Maintenance]] = {}
    for m in rows:
        others = [
            o
            for o in rows
            if o.pk != m.pk
            and o.starts_at < m.ends_at
            and m.starts_at < o.ends_at
            and services[m.pk] & services[o.pk]
        ]
        if others:
            found[m.pk] = others
    return found
