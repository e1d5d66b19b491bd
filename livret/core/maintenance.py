"""Planned maintenance: the window, the notice and blocking work (SPEC MNT-1, MNT-2).

A plan ``[start, end)`` announced at ``announced_at`` is checked against three rules of the
offer's ``maintenance`` section; each broken rule is a :class:`Violation` whose French message
names the rule, its numbers and the seed section:

* ``notice`` (MNT-2): ``start − announced_at`` must be at least ``maintenance.notice`` (48 h in
  Q, E, S), measured in real elapsed time (48 real hours, across a DST change too).
* ``outside-window`` (MNT-1): the whole plan must lie inside the window, the offer's
  ``maintenance`` calendar in the contract's territory (S: the overseas client's own zone).
  Open intervals that touch count as one: Friday 20:00 to Monday 07:00 is one window (Q, E).
  Public holidays are open all day (``holidays = "open-all-day"`` in the presets).
* ``blocking-too-early`` (MNT-1, Q and E): with ``blocking_not_before`` (22:00), blocking work
  is refused on a business day (Monday to Friday, not a public holiday) between the opening of
  that day's window interval which holds that time (20:00) and that time. The night's early
  part after midnight (00:00-07:00) is after 22:00 of the previous evening and is allowed.
  Weekends and public holidays: any time. S has no such rule.

Urgent maintenance (MNT-2) may happen at any time when the offer says so
(``urgent_any_time``): it is allowed without checks and recorded as urgent. When a plan is
refused, :func:`next_allowed_start` proposes the earliest start, no earlier than the requested
one nor than the end of the notice, at which a maintenance of the same length keeps every
rule (``None`` if there is none within a year).

Window intervals are read from the calendar's business-time function alone (an instant is
inside the window iff business time and real time advance together), so holidays, DST days
(a 00:00-07:00 night lasting six or eight real hours) and the territory's zone are exactly the
calendar's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from livret.core.calendar import BusinessCalendar, calendar_for, to_us
from livret.core.offer.schema import WEEKDAY_LABELS_FR, WEEKDAYS, Offer, Unit, parse_clock

__all__ = [
    "VIOLATION_CODES",
    "MaintenanceError",
    "PlanCheck",
    "Violation",
    "check_maintenance",
    "maintenance_windows",
    "next_allowed_start",
]

VIOLATION_CODES: tuple[str, ...] = ("notice", "outside-window", "blocking-too-early")

US_PER_DAY = 86_400_000_000
SEARCH_HORIZON = timedelta(days=366)  # next_allowed_start looks this far ahead
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MaintenanceError(ValueError):
    """Bad maintenance input: naive or inverted plan, an offer without maintenance rules."""


@dataclass(frozen=True)
class Violation:
    """A rule a plan breaks: ``code`` is one of :data:`VIOLATION_CODES`."""

    code: str
    message: str


@dataclass(frozen=True)
class PlanCheck:
    """Whether a maintenance plan may go ahead, why not, and the next start that would."""

    allowed: bool
    violations: tuple[Violation, ...]
    next_allowed_start: datetime | None
    urgent: bool = False

    def as_json(self) -> dict[str, object]:
        """The stable JSON document of ``livret maintenance check --json``."""
        return {
            "allowed": self.allowed,
            "violations": [{"code": v.code, "message": v.message} for v in self.violations],
            "next_allowed_start": (
                self.next_allowed_start.isoformat() if self.next_allowed_start else None
            ),
        }


@dataclass(frozen=True)
class _Rules:
    """The maintenance rules of one offer in one territory."""

    calendar: BusinessCalendar
    notice: timedelta
    notice_label: str
    blocking_not_before: int | None  # minutes after local midnight (22:00 → 1320)
    urgent_any_time: bool
    source: str  # seed section of the maintenance rules, e.g. "Q art. 5"
    window_source: str
    window_label: str


_NOTICE_UNITS = {
    Unit.MINUTES: timedelta(minutes=1),
    Unit.HOURS: timedelta(hours=1),
    Unit.CALENDAR_DAYS: timedelta(days=1),
    Unit.WEEKS: timedelta(weeks=1),
}


def _rules(offer: Offer, territory: str) -> _Rules:
    spec = offer.maintenance
    if spec is None:
        raise MaintenanceError(
            f"offer {offer.id} has no maintenance rules (no [maintenance] section)"
        )
    if spec.notice.unit not in _NOTICE_UNITS:
        raise MaintenanceError(
            f"offer {offer.id}: a maintenance notice in {spec.notice.unit.value} is not supported"
        )
    window = offer.calendar(spec.calendar)
    return _Rules(
        calendar=calendar_for(offer, spec.calendar, territory=territory),
        notice=spec.notice.amount * _NOTICE_UNITS[spec.notice.unit],
        notice_label=spec.notice.label_fr(),
        blocking_not_before=(
            parse_clock(spec.blocking_not_before) if spec.blocking_not_before else None
        ),
        urgent_any_time=spec.urgent_any_time,
        source=spec.source,
        window_source=window.source,
        window_label=window.label,
    )


def _aware(value: datetime, name: str) -> int:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise MaintenanceError(f"{name} {value!r} must be a timezone-aware datetime")
    return to_us(value)


def _us(duration: timedelta) -> int:
    return to_us(_EPOCH + duration)


def _instant(calendar: BusinessCalendar, us: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(calendar.zone)


# --------------------------------------------------------------------------- the window


def _fully_open(calendar: BusinessCalendar, a: int, b: int) -> bool:
    """Whether every instant of ``[a, b)`` is inside the window (MNT-1)."""
    return calendar.business_us_between(a, b) == b - a


def _edge(calendar: BusinessCalendar, t: int, direction: int, limit: int) -> int:
    """The end (``direction=1``) or start (``-1``) of the open interval holding ``t``.

    Doubling then bisection on "fully open between ``t`` and ``t ± x``", to the microsecond;
    the search stops ``limit`` microseconds from ``t`` (a window that never closes).
    """

    def open_for(x: int) -> bool:
        a, b = (t, t + x) if direction > 0 else (t - x, t)
        return _fully_open(calendar, a, b)

    inside, step = 0, US_PER_DAY
    while step < limit and open_for(step):
        inside, step = step, step * 2
    outside = min(step, limit)
    if open_for(outside):
        return t + direction * outside
    while outside - inside > 1:
        middle = (inside + outside) // 2
        if open_for(middle):
            inside = middle
        else:
            outside = middle
    return t + direction * inside


def _windows_us(calendar: BusinessCalendar, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Maximal window intervals (touching ones merged) overlapping ``[start, end)``."""
    limit = end - start + _us(SEARCH_HORIZON)
    if calendar.is_open(_instant(calendar, start)):
        opening = _edge(calendar, start, -1, limit)
    else:
        opening = to_us(calendar.next_opening(_instant(calendar, start)))
    while opening < end:
        closing = _edge(calendar, opening, 1, limit)
        yield opening, closing
        if closing - opening >= limit:
            return
        opening = to_us(calendar.next_opening(_instant(calendar, closing)))


def maintenance_windows(
    offer: Offer, start: datetime, end: datetime, territory: str = "metropole"
) -> list[tuple[datetime, datetime]]:
    """The window intervals overlapping ``[start, end)``, whole, in the window's zone (MNT-1).

    Touching intervals are one (Q, E: Friday 20:00 to Monday 07:00).
    """
    rules = _rules(offer, territory)
    a, b = _aware(start, "start"), _aware(end, "end")
    if b <= a:
        raise MaintenanceError(f"end {end.isoformat()} must be after start {start.isoformat()}")
    return [
        (_instant(rules.calendar, lo), _instant(rules.calendar, hi))
        for lo, hi in _windows_us(rules.calendar, a, b)
    ]


def _blocking_zones(rules: _Rules, start: int, end: int) -> list[tuple[int, int]]:
    """Stretches where blocking work is refused (MNT-1, Q and E), overlapping ``[start, end)``.

    On each business day, from the opening of the window interval that holds
    ``blocking_not_before`` (20:00) up to that time (22:00), in the window's local time.
    """
    limit = rules.blocking_not_before
    if limit is None:
        return []
    calendar = rules.calendar
    first = _instant(calendar, start).date() - timedelta(days=1)
    last = _instant(calendar, end).date()
    zones: list[tuple[int, int]] = []
    day = first
    while day <= last:
        if calendar.is_business_day(day):
            for opening, closing in calendar.weekly[day.weekday()]:
                if opening < limit <= closing:
                    lo, hi = _local_us(calendar, day, opening), _local_us(calendar, day, limit)
                    if lo < end and start < hi:
                        zones.append((lo, hi))
        day += timedelta(days=1)
    return zones


def _local_us(calendar: BusinessCalendar, day: date, minutes: int) -> int:
    """The instant the calendar's wall clock shows ``minutes`` after ``day``'s midnight."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=calendar.zone)
    return to_us(midnight + timedelta(minutes=minutes))


# --------------------------------------------------------------------------- messages


def _local_text(calendar: BusinessCalendar, us: int) -> str:
    moment = _instant(calendar, us)
    weekday = WEEKDAY_LABELS_FR[WEEKDAYS[moment.weekday()]]
    return f"{weekday} {moment:%d/%m/%Y %H:%M}"


def _ahead_text(us: int) -> str:
    """How long before the start it was announced, in French (``47 h``, ``1 h 30``)."""
    if us <= 0:
        return "après le début"
    hours, rest = divmod(us // 60_000_000, 60)
    return f"{hours} h {rest:02d} avant le début" if rest else f"{hours} h avant le début"


def _window_text(calendar: BusinessCalendar) -> str:
    """The weekly window in French, weekdays with the same hours grouped."""
    hours = calendar.opening_hours()
    groups: list[tuple[list[str], str]] = []
    for key in WEEKDAYS:
        text = " et ".join(f"{a}-{b}" for a, b in hours[key]) or "fermé"
        if groups and groups[-1][1] == text:
            groups[-1][0].append(key)
        else:
            groups.append(([key], text))
    parts = []
    for days, text in groups:
        first, last = WEEKDAY_LABELS_FR[days[0]], WEEKDAY_LABELS_FR[days[-1]]
        joined = {1: first, 2: f"{first} et {last}"}.get(len(days), f"{first}-{last}")
        parts.append(f"{joined} {text}")
    if calendar.holidays_mode == "open-all-day":
        parts.append("jours fériés toute la journée")
    return ", ".join(parts)


def _notice_violation(rules: _Rules, start: int, announced: int) -> Violation:
    return Violation(
        "notice",
        f"préavis insuffisant : annoncée le {_local_text(rules.calendar, announced)} pour "
        f"le {_local_text(rules.calendar, start)}, soit {_ahead_text(start - announced)} ; "
        f"il faut au moins {rules.notice_label} ({rules.source})",  # MNT-2
    )


def _window_violation(rules: _Rules, start: int, end: int) -> Violation:
    return Violation(
        "outside-window",
        f"hors fenêtre de maintenance : du {_local_text(rules.calendar, start)} au "
        f"{_local_text(rules.calendar, end)} ({rules.calendar.timezone}), une partie n'est "
        f"pas dans la fenêtre « {rules.window_label} » ({_window_text(rules.calendar)}) "
        f"({rules.window_source})",  # MNT-1
    )


def _blocking_violation(rules: _Rules, zone: tuple[int, int]) -> Violation:
    lo, hi = (_instant(rules.calendar, us) for us in zone)
    return Violation(
        "blocking-too-early",
        f"intervention bloquante trop tôt : les jours ouvrés, pas d'intervention bloquante "
        f"avant {hi:%H:%M} (fenêtre ouverte à {lo:%H:%M}) ; le plan empiète sur "
        f"{_local_text(rules.calendar, to_us(lo))}-{hi:%H:%M} ({rules.source})",  # MNT-1
    )


# --------------------------------------------------------------------------- checks


def _next_start_us(
    rules: _Rules, earliest: int, length: int, blocking: bool, horizon: int
) -> int | None:
    """The first start ≥ ``earliest`` and < ``horizon`` where ``length`` fits every window rule."""
    for opening, closing in _windows_us(rules.calendar, earliest, horizon):
        cursor = max(opening, earliest)
        holes = _blocking_zones(rules, cursor, closing) if blocking else []
        for hole_start, hole_end in [*holes, (closing, closing)]:
            if hole_start - cursor >= length and cursor < horizon:
                return cursor
            cursor = max(cursor, hole_end)
    return None


def next_allowed_start(
    offer: Offer,
    *,
    after: datetime,
    length: timedelta,
    announced_at: datetime,
    blocking: bool,
    territory: str = "metropole",
) -> datetime | None:
    """Earliest start ≥ max(``after``, ``announced_at`` + notice) keeping MNT-1 and MNT-2.

    A maintenance of ``length`` starting there lies wholly in the window and, if
    ``blocking``, outside the stretches closed to blocking work. ``None`` if no such start
    exists within a year of that earliest instant.
    """
    rules = _rules(offer, territory)
    length_us = _us(length)
    if length_us <= 0:
        raise MaintenanceError(f"maintenance length {length} must be positive")
    earliest = max(_aware(after, "after"), _aware(announced_at, "announced_at") + _us(rules.notice))
    horizon = earliest + _us(SEARCH_HORIZON)
    found = _next_start_us(rules, earliest, length_us, blocking, horizon)
    return None if found is None else _instant(rules.calendar, found)


def check_maintenance(
    offer: Offer,
    *,
    start: datetime,
    end: datetime,
    announced_at: datetime,
    blocking: bool = False,
    urgent: bool = False,
    territory: str = "metropole",
) -> PlanCheck:
    """Check a maintenance plan against the offer's window, notice and blocking rule.

    Urgent maintenance is allowed at any time when the offer says so (MNT-2) and comes back
    with ``urgent=True``; otherwise a refused plan lists every rule it breaks and proposes
    :func:`next_allowed_start` for the same length.
    """
    rules = _rules(offer, territory)
    a, b = _aware(start, "start"), _aware(end, "end")
    announced = _aware(announced_at, "announced_at")
    if b <= a:
        raise MaintenanceError(
            f"maintenance end {end.isoformat()} must be after its start {start.isoformat()}"
        )
    if urgent and rules.urgent_any_time:  # MNT-2: urgent maintenance at any time
        return PlanCheck(True, (), None, urgent=True)
    violations: list[Violation] = []
    if a - announced < _us(rules.notice):  # MNT-2
        violations.append(_notice_violation(rules, a, announced))
    if not _fully_open(rules.calendar, a, b):  # MNT-1
        violations.append(_window_violation(rules, a, b))
    zones = _blocking_zones(rules, a, b) if blocking else []
    if zones:  # MNT-1 (Q, E): no blocking work before 22:00 on business days
        violations.append(_blocking_violation(rules, zones[0]))
    if not violations:
        return PlanCheck(True, (), None, urgent=urgent)
    earliest = max(a, announced + _us(rules.notice))
    found = _next_start_us(rules, earliest, b - a, blocking, earliest + _us(SEARCH_HORIZON))
    return PlanCheck(
        False,
        tuple(violations),
        None if found is None else _instant(rules.calendar, found),
        urgent=urgent,
    )
