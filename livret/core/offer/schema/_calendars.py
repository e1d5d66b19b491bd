"""Calendars of an offer: opening intervals per weekday in local wall-clock time (CAL-1..3)."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from livret.core.offer.schema._base import Sourced

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS_FR: dict[str, str] = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def parse_clock(value: str) -> int:
    """Minutes after local midnight of an ``HH:MM`` wall-clock time; ``24:00`` is 1440."""
    if not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM (00:00 to 24:00)")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _check_clock(value: str) -> str:
    parse_clock(value)
    return value


Clock = Annotated[str, AfterValidator(_check_clock)]


def _check_interval(value: tuple[str, str]) -> tuple[str, str]:
    start, end = value
    if parse_clock(end) <= parse_clock(start):
        raise ValueError(f"interval closes at {end} before it opens at {start}")
    return value


Interval = Annotated[tuple[Clock, Clock], AfterValidator(_check_interval)]


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class CalendarSpec(Sourced):
    """Opening intervals per weekday, read in local wall-clock time (SPEC CAL-1..3).

    ``timezone`` is the zone of a metropolitan client; an overseas contract's territory gives
    its own zone where ``follows_territory_zone`` is true (S §5, §6). ``holidays`` says what a
    public holiday of the contract's territory is: ``closed`` (a business calendar) or
    ``open-all-day`` (a maintenance window, open at any time on holidays).
    """

    label: str
    timezone: TimeZoneName = "Europe/Paris"
    follows_territory_zone: bool = True
    weekdays: dict[Weekday, list[Interval]]
    holidays: Literal["closed", "open-all-day"] = "closed"
    extra_closed_days: list[date] = []
    worked_holidays: list[str] = Field(
        default=[], description="holidays worked anyway: an ISO date or a holiday's name"
    )
    placeholder: bool = Field(
        default=False, description="hours the seed does not give; an operator must confirm them"
    )

    @field_validator("weekdays")
    @classmethod
    def _intervals_do_not_overlap(
        cls, value: dict[Weekday, list[tuple[str, str]]]
    ) -> dict[Weekday, list[tuple[str, str]]]:
        for day, intervals in value.items():
            ordered = sorted((parse_clock(a), parse_clock(b)) for a, b in intervals)
            for (_, end), (start, _) in itertools.pairwise(ordered):
                if start < end:
                    raise ValueError(f"{day}: opening intervals overlap")
        return value

    def minutes(self, day: Weekday) -> list[tuple[int, int]]:
        """The opening intervals of a weekday as minutes after local midnight, in order."""
        return sorted((parse_clock(a), parse_clock(b)) for a, b in self.weekdays.get(day, []))
