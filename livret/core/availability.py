"""Monthly availability of a SaaS service: the rate TD against the offer's target (SPEC AVL-1..4).

TD = (PRT − ΣTI) / PRT × 100 per calendar month (AVL-3), where PRT is the reference period
(AVL-1, the offer's ``availability`` calendar: 07:00-20:00 Monday to Friday except public
holidays, in the contract territory's zone) and TI the downtime the booklet counts (AVL-2).

Readings livret takes (documented here, cited in tests)
-------------------------------------------------------
* **The month** is the calendar month in the availability calendar's zone: from local midnight
  of the 1st to local midnight of the 1st of the next month (Europe/Paris, or the overseas
  client's own zone, AVL-1). French zones never change time at midnight, so local midnight is
  always a real instant.
* **PRT** is the business time of the availability calendar inside the month (AVL-1).
* **Downtime** is clipped to the month and counted only inside PRT (AVL-2).
* **Causes** (AVL-2, AVL-4): ``service`` is counted; ``maintenance``, ``urgent-maintenance``,
  ``force-majeure``, ``client-equipment`` and ``out-of-perimeter`` (the client's network) are
  excluded when the offer lists them in ``availability.excluded_causes`` (all five presets list
  all five). A cause the offer does not exclude is counted like ``service``.
* **Overlaps** (AVL-3b): counted intervals are merged, so an instant counts once; the union of
  all excluded intervals is removed from them: an instant covered by any excluded cause is not
  counted (excluded wins). Excluded time stays in PRT (the booklet's formula).
* **Excluded minutes per cause** are the in-PRT minutes of that cause's intervals, whether or
  not a counted interval overlaps them. An instant covered by several excluded causes is
  attributed to the first of them in :data:`CAUSES` order, so the per-cause minutes add up to
  the in-PRT minutes of the union of excluded intervals.
* **TD** is rounded to three decimals; ``met`` compares that rounded TD with the target
  (``td >= target``), so a report never prints a TD equal to its target marked as missed.

Two paths give identical results: :func:`monthly_availability` (one service, interval
arithmetic in Python) and :func:`monthly_availability_many` (many services at once, an event
sweep in NumPy over the calendar's bulk methods). Both count in integer microseconds and build
the result with the same function.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import numpy as np

from livret.core.calendar import MAX_YEAR, MIN_YEAR, BusinessCalendar, calendar_for, to_us
from livret.core.offer.schema import Availability, Offer

__all__ = [
    "CAUSES",
    "COUNTED_CAUSE",
    "AvailabilityError",
    "Downtime",
    "MonthlyAvailability",
    "availability_calendar",
    "month_bounds",
    "monthly_availability",
    "monthly_availability_many",
    "offer_monthly_availability",
    "offer_monthly_availability_many",
    "parse_month",
]

CAUSES: tuple[str, ...] = (
    "service",
    "maintenance",
    "urgent-maintenance",
    "force-majeure",
    "client-equipment",
    "out-of-perimeter",
)
COUNTED_CAUSE = "service"

US_PER_MINUTE = 60_000_000

K = TypeVar("K", bound=Hashable)
Span = tuple[int, int]  # [start, end) in epoch microseconds (UTC)


class AvailabilityError(ValueError):
    """Bad availability input: a downtime, a month, a cause, an offer without commitment."""


@dataclass(frozen=True)
class Downtime:
    """An interval during which the production service could not be reached, with its cause.

    ``start`` and ``end`` are aware instants with ``end > start``; ``cause`` is one of
    :data:`CAUSES` (AVL-4). Anything else raises :class:`AvailabilityError`.
    """

    start: datetime
    end: datetime
    cause: str

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise AvailabilityError(
                    f"downtime {name} {value!r} must be a timezone-aware datetime"
                )
        if to_us(self.end) <= to_us(self.start):  # real instants, whatever the zones
            raise AvailabilityError(
                f"downtime end {self.end.isoformat()} must be after its start "
                f"{self.start.isoformat()}"
            )
        if self.cause not in CAUSES:
            raise AvailabilityError(
                f"unknown downtime cause {self.cause!r} (known: {', '.join(CAUSES)})"
            )


@dataclass(frozen=True)
class MonthlyAvailability:
    """TD of one service for one month (AVL-3), with what was counted and excluded."""

    month: str  # "YYYY-MM"
    prt_minutes: float
    downtime_minutes: float
    excluded_minutes: dict[str, float]  # per excluded cause, in CAUSES order
    td: float  # percent, rounded to three decimals
    target: float | None
    met: bool | None

    def as_json(self) -> dict[str, object]:
        """The stable JSON document of ``livret availability compute --json``."""
        return {
            "month": self.month,
            "prt_minutes": self.prt_minutes,
            "downtime_minutes": self.downtime_minutes,
            "excluded_minutes": dict(self.excluded_minutes),
            "td": self.td,
            "target": self.target,
            "met": self.met,
        }


# --------------------------------------------------------------------------- months


_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> tuple[int, int]:
    """``(year, month)`` of a ``YYYY-MM`` string; :class:`AvailabilityError` otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None:
        raise AvailabilityError(f"month {text!r} is not YYYY-MM (for example 2026-11)")
    year, month = int(found[1]), int(found[2])
    if not 1 <= month <= 12:
        raise AvailabilityError(f"month {text!r}: the month number must be 01 to 12")
    return year, month


def _check_month(year: int, month: int) -> str:
    if not 1 <= month <= 12:
        raise AvailabilityError(f"month number {month} is not 1 to 12")
    if not MIN_YEAR <= year <= MAX_YEAR:  # a far year would crash or build centuries
        raise AvailabilityError(f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})")
    return f"{year:04d}-{month:02d}"


def month_bounds(year: int, month: int, zone: ZoneInfo | str) -> tuple[datetime, datetime]:
    """Local midnight of the 1st and of the 1st of the next month, in ``zone`` (AVL-3)."""
    _check_month(year, month)
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(next_year, next_month, 1, tzinfo=tz)
    # Round-trip through UTC so the offsets are those in force at these instants.
    return start.astimezone(UTC).astimezone(tz), end.astimezone(UTC).astimezone(tz)


# --------------------------------------------------------------------------- shared pieces


def _excluded(causes: Collection[str]) -> tuple[str, ...]:
    """The excluded causes, checked, in :data:`CAUSES` order (the attribution order)."""
    for cause in causes:
        if cause not in CAUSES:
            raise AvailabilityError(f"unknown cause {cause!r} (known: {', '.join(CAUSES)})")
    if COUNTED_CAUSE in causes:
        raise AvailabilityError(f"cause {COUNTED_CAUSE!r} is always counted (AVL-2)")
    return tuple(cause for cause in CAUSES if cause in causes)


def _prt_us(calendar: BusinessCalendar, year: int, month: int) -> tuple[str, int, int, int]:
    """Month label, its bounds (µs) and its PRT (µs); an empty PRT is refused."""
    label = _check_month(year, month)
    start, end = month_bounds(year, month, calendar.zone)
    a, b = to_us(start), to_us(end)
    prt = calendar.business_us_between(a, b)
    if prt <= 0:
        raise AvailabilityError(
            f"month {label} has no reference time (PRT) in calendar {calendar.name!r}"
        )
    return label, a, b, prt


def _result(
    label: str,
    prt_us: int,
    down_us: int,
    excluded_us: Mapping[str, int],
    target: float | None,
) -> MonthlyAvailability:
    """The report from integer microseconds (both paths end here, so they agree exactly)."""
    td = round((prt_us - down_us) * 100 / prt_us, 3)  # AVL-3
    return MonthlyAvailability(
        month=label,
        prt_minutes=prt_us / US_PER_MINUTE,
        downtime_minutes=down_us / US_PER_MINUTE,
        excluded_minutes={cause: us / US_PER_MINUTE for cause, us in excluded_us.items()},
        td=td,
        target=target,
        met=None if target is None else td >= target,
    )


# --------------------------------------------------------------------------- scalar path


def _union(spans: Iterable[Span]) -> list[Span]:
    """Sorted disjoint spans covering the same instants (touching spans merge)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
    """``spans`` minus ``holes`` (both sorted and disjoint)."""
    result: list[Span] = []
    k = 0
    for start, end in spans:
        cursor = start
        while k < len(holes) and holes[k][1] <= cursor:
            k += 1
        j = k
        while j < len(holes) and holes[j][0] < end:
            if holes[j][0] > cursor:
                result.append((cursor, holes[j][0]))
            cursor = max(cursor, holes[j][1])
            j += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def monthly_availability(
    calendar: BusinessCalendar,
    year: int,
    month: int,
    downtimes: Iterable[Downtime],
    *,
    target: float | None,
    excluded_causes: Collection[str] = CAUSES[1:],
) -> MonthlyAvailability:
    """TD of one service for one month on an availability calendar (AVL-1..3, AVL-3b).

    ``calendar`` gives PRT (business time = reference period); ``excluded_causes`` are the
    causes the offer excludes (default: all but ``service``).
    """
    excluded = _excluded(excluded_causes)
    label, a, b, prt = _prt_us(calendar, year, month)
    by_cause: dict[str, list[Span]] = {cause: [] for cause in CAUSES}
    for downtime in downtimes:
        start, end = max(to_us(downtime.start), a), min(to_us(downtime.end), b)
        if start < end:  # AVL-2: clipped to the month
            by_cause[downtime.cause].append((start, end))

    def in_prt(spans: list[Span]) -> int:  # AVL-2: only time inside PRT
        return sum(calendar.business_us_between(start, end) for start, end in spans)

    covered: list[Span] = []  # union of the excluded causes seen so far
    excluded_us: dict[str, int] = {}
    for cause in excluded:
        own = _union(by_cause[cause])
        excluded_us[cause] = in_prt(_subtract(own, covered))  # first cause in CAUSES order
        covered = _union([*covered, *own])
    counted = _union(span for cause in CAUSES if cause not in excluded for span in by_cause[cause])
    down = in_prt(_subtract(counted, covered))  # AVL-3b: once, and excluded wins
    return _result(label, prt, down, excluded_us, target)


# --------------------------------------------------------------------------- bulk path


def monthly_availability_many(
    calendar: BusinessCalendar,
    year: int,
    month: int,
    downtimes_by_key: Mapping[K, Sequence[Downtime]],
    *,
    target: float | None,
    excluded_causes: Collection[str] = CAUSES[1:],
) -> dict[K, MonthlyAvailability]:
    """Bulk :func:`monthly_availability`: one result per key, identical to the scalar path.

    Every interval becomes two events (+1 at its start, −1 at its end) of its service and of
    its class (counted, or one class per excluded cause). Events sorted by service then time
    and summed give, between two consecutive events, how many intervals of each class cover
    that stretch; the stretch goes to the first excluded class present (AVL-3b), else to the
    counted class if present, else to nobody. Its length inside PRT comes from one bulk call
    of the calendar. Each service's events sum to zero, so the counts never leak from one
    service to the next.
    """
    excluded = _excluded(excluded_causes)
    label, a, b, prt = _prt_us(calendar, year, month)
    keys = list(downtimes_by_key)
    n_classes = 1 + len(excluded)
    class_of = {cause: excluded.index(cause) + 1 if cause in excluded else 0 for cause in CAUSES}

    owners: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    classes: list[int] = []
    for index, key in enumerate(keys):
        for downtime in downtimes_by_key[key]:
            owners.append(index)
            starts.append(to_us(downtime.start))
            ends.append(to_us(downtime.end))
            classes.append(class_of[downtime.cause])

    totals = np.zeros((len(keys), n_classes), dtype=np.int64)
    start_us = np.clip(np.array(starts, dtype=np.int64), a, b)  # AVL-2: clipped to the month
    end_us = np.clip(np.array(ends, dtype=np.int64), a, b)
    keep = start_us < end_us
    if keep.any():
        owner = np.array(owners, dtype=np.int64)[keep]
        kind = np.array(classes, dtype=np.int64)[keep]
        times = np.concatenate([start_us[keep], end_us[keep]])
        event_owner = np.concatenate([owner, owner])
        event_kind = np.concatenate([kind, kind])
        delta = np.concatenate([np.ones(len(owner), np.int64), -np.ones(len(owner), np.int64)])
        order = np.lexsort((times, event_owner))
        times, event_owner, event_kind, delta = (
            times[order],
            event_owner[order],
            event_kind[order],
            delta[order],
        )
        steps = np.zeros((len(times), n_classes), dtype=np.int64)
        steps[np.arange(len(times)), event_kind] = delta
        cover = np.cumsum(steps, axis=0)[:-1]  # coverage of [times[i], times[i + 1])
        elapsed = calendar.business_time_between_many(np.full(len(times), a), times)
        stretch = np.diff(elapsed)  # AVL-2: business time (PRT) of each stretch
        winner = np.where(cover[:, 0] > 0, 0, -1)
        if excluded:
            excluded_here = cover[:, 1:] > 0
            first_excluded = excluded_here.argmax(axis=1) + 1  # first cause in CAUSES order
            winner = np.where(excluded_here.any(axis=1), first_excluded, winner)  # AVL-3b
        valid = (winner >= 0) & (stretch > 0)
        flat = event_owner[:-1][valid] * n_classes + winner[valid]
        sums = np.bincount(flat, weights=stretch[valid], minlength=len(keys) * n_classes)
        totals = np.rint(sums).astype(np.int64).reshape(len(keys), n_classes)  # exact < 2**53

    rows = totals.tolist()
    return {
        key: _result(
            label,
            prt,
            row[0],
            {cause: row[i + 1] for i, cause in enumerate(excluded)},
            target,
        )
        for key, row in zip(keys, rows, strict=True)
    }


# --------------------------------------------------------------------------- from offers


def _availability(offer: Offer) -> Availability:
    if offer.availability is None:
        raise AvailabilityError(
            f"offer {offer.id} has no availability commitment (no [availability] section)"
        )
    return offer.availability


def availability_calendar(offer: Offer, territory: str = "metropole") -> BusinessCalendar:
    """The reference-period (PRT) calendar of an offer in a territory (AVL-1)."""
    return calendar_for(offer, _availability(offer).calendar, territory=territory)


def offer_monthly_availability(
    offer: Offer,
    year: int,
    month: int,
    downtimes: Iterable[Downtime],
    territory: str = "metropole",
) -> MonthlyAvailability:
    """TD of a month with the offer's PRT calendar, excluded causes and target (AVL-1..3)."""
    spec = _availability(offer)
    return monthly_availability(
        availability_calendar(offer, territory),
        year,
        month,
        downtimes,
        target=spec.target_percent,
        excluded_causes=spec.excluded_causes,
    )


def offer_monthly_availability_many(
    offer: Offer,
    year: int,
    month: int,
    downtimes_by_key: Mapping[K, Sequence[Downtime]],
    territory: str = "metropole",
) -> dict[K, MonthlyAvailability]:
    """Bulk :func:`offer_monthly_availability` for many services of one offer and territory."""
    spec = _availability(offer)
    return monthly_availability_many(
        availability_calendar(offer, territory),
        year,
        month,
        downtimes_by_key,
        target=spec.target_percent,
        excluded_causes=spec.excluded_causes,
    )
