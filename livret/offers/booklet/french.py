"""French display text: numbers, durations, dates, lists, opening hours, seed sections."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from livret.core.offer.schema import (
    WEEKDAY_LABELS_FR,
    WEEKDAYS,
    CalendarSpec,
    Duration,
    Unit,
    parse_clock,
)

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def number_fr(value: float) -> str:
    """A number the French way: ``99.5`` → ``99,5``, ``99.0`` → ``99``."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def percent_fr(value: float) -> str:
    """A percentage the French way: ``99.5`` → ``99,5 %``."""
    return f"{number_fr(value)} %"


def clock_fr(value: str) -> str:
    """A wall-clock time the French way: ``09:00`` → ``9 h``, ``12:30`` → ``12 h 30``."""
    minutes = parse_clock(value)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"


def date_fr(value: date) -> str:
    """A date the French way: ``1er mai 2026``, ``25 décembre 2026``."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS_FR[value.month - 1]} {value.year}"


def month_day_fr(value: str) -> str:
    """An ``MM-DD`` day of the year: ``12-25`` → ``25 décembre``."""
    month, day = (int(part) for part in value.split("-"))
    return f"{'1er' if day == 1 else day} {MONTHS_FR[month - 1]}"


def ordinal_fr(value: int) -> str:
    """``1`` → ``1er``, ``5`` → ``5e``."""
    return "1er" if value == 1 else f"{value}e"


def join_fr(parts: Iterable[str]) -> str:
    """``a, b et c``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def or_fr(parts: Iterable[str]) -> str:
    """``a, b ou c``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def duration_fr(value: Duration) -> str:
    """A duration with its kind, for example ``8 heures ouvrées`` (see ``Duration.label_fr``)."""
    return value.label_fr()


_EVERY_ONE: dict[Unit, str] = {
    Unit.MINUTES: "chaque minute",
    Unit.HOURS: "toutes les heures",
    Unit.CALENDAR_DAYS: "chaque jour",
    Unit.BUSINESS_DAYS: "chaque jour ouvré",
    Unit.BUSINESS_HOURS: "chaque heure ouvrée",
    Unit.WEEKS: "chaque semaine",
    Unit.MONTHS: "chaque mois",
    Unit.YEARS: "chaque année",
}


def every_fr(value: Duration) -> str:
    """A period: ``toutes les 10 minutes``, ``toutes les heures`` (for one hour)."""
    if value.amount == 1:
        return _EVERY_ONE[value.unit]
    return f"toutes les {value.label_fr()}"


def per_period_fr(value: Duration) -> str:
    """``par période d'un an``, ``par période de 12 mois``."""
    if value.amount == 1 and value.unit is Unit.YEARS:
        return "par période d'un an"
    if value.amount == 1 and value.unit is Unit.MONTHS:
        return "par période d'un mois"
    return f"par période de {value.label_fr()}"


def _intervals_fr(intervals: list[tuple[int, int]]) -> str:
    if intervals == [(0, 1440)]:
        return "toute la journée"

    def clock(minutes: int) -> str:
        return clock_fr(f"{minutes // 60:02d}:{minutes % 60:02d}")

    return join_fr(f"de {clock(start)} à {clock(end)}" for start, end in intervals)


def _days_fr(days: list[str]) -> str:
    labels = [WEEKDAY_LABELS_FR[d] for d in days]
    if len(labels) == 1:
        return f"le {labels[0]}"
    if len(labels) == 2:
        return f"le {labels[0]} et le {labels[1]}"
    return f"du {labels[0]} au {labels[-1]}"


def opening_hours_fr(calendar: CalendarSpec) -> str:
    """Opening hours, consecutive identical weekdays grouped (SPEC CAL-1).

    ``du lundi au jeudi de 9 h à 12 h 30 et de 14 h à 17 h 30 ; le vendredi de 9 h à
    12 h 30 et de 14 h à 17 h``. A day without intervals is closed and breaks a group.
    """
    groups: list[tuple[list[str], list[tuple[int, int]]]] = []
    previous: list[tuple[int, int]] | None = None
    for day in WEEKDAYS:
        intervals = calendar.minutes(day)
        if not intervals:
            previous = None
            continue
        if previous is not None and intervals == previous:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))
        previous = intervals
    if not groups:
        return "aucune plage d'ouverture"
    return " ; ".join(f"{_days_fr(days)} {_intervals_fr(iv)}" for days, iv in groups)


def unique(values: Iterable[str | None]) -> list[str]:
    """The non-empty values, first occurrence kept, in order."""
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def cited_sources(*values: str | None) -> str:
    """Several seed sections, each cited exactly as written, without repeats."""
    return " ; ".join(unique(values))


def merged_sources(values: Iterable[str | None]) -> str:
    """Seed sections merged per document: ``Q art. 14`` + ``Q art. 16, art. 6`` →
    ``Q art. 14, art. 16, art. 6`` (article headers over several sourced parts, SPEC OFF-2).
    """
    groups: dict[str, list[str]] = {}
    for value in unique(values):
        prefix, _, rest = value.partition(" ")
        refs = groups.setdefault(prefix, [])
        for ref in (r.strip() for r in rest.split(",")):
            if ref and ref not in refs:
                refs.append(ref)
    return " ; ".join(f"{prefix} {', '.join(refs)}".strip() for prefix, refs in groups.items())


# The presets' notes cite SPEC's rule IDs ("(SPEC CAL-2, CAL-3)", "; SPEC REQ-6b"): they are for
# the people who build livret, not for the booklet's readers (issue 12).
_SPEC_ID = r"(?:OFF|CAL|REQ|AVL|MNT|BKP|RET|ACC|CTR|PCK|LRN|KB|OBL|RPT|MON)-\d+[a-z]?"
_SPEC_IDS = rf"SPEC\s+{_SPEC_ID}(?:\s*,\s*{_SPEC_ID})*"
_SPEC_CITATION = re.compile(rf"\s*\({_SPEC_IDS}\)|\s*[,;]\s*{_SPEC_IDS}|^\s*{_SPEC_IDS}\s*$")


def for_readers(text: str) -> str:
    """``text`` without its citations of SPEC rule IDs."""
    return _SPEC_CITATION.sub("", text)
