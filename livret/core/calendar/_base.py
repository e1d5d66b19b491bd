"""Units, errors and conversions shared by the business calendar's modules (CAL-1..7)."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INT64_MIN = int(np.iinfo(np.int64).min)
INT64_MAX = int(np.iinfo(np.int64).max)
# The years a calendar builds. Every block is built year by year (about 4 ms a year), so a far
# instant (year 5000, 9999) would tie the caller for a minute: it is refused before any table is
# built. Nothing livret counts lies outside this range.
MIN_YEAR = 1900
MAX_YEAR = 2200
# Holidays are listed by the ``holidays`` package for these years only (France).
HOLIDAY_YEARS = (1803, 2100)
# A calendar whose hours never open is refused after this many empty years.
MAX_EMPTY_YEARS = 20

WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_OPEN = 7  # day kinds beyond the weekdays 0..6
CLOSED = 8


class CalendarError(ValueError):
    """A calendar cannot be built or a call is refused (naive instant, negative duration …)."""


@dataclass(frozen=True)
class HolidayInfo:
    """A public holiday (or extra closed day) of one calendar, with what it does."""

    day: date
    name: str
    status: Literal["closed", "open-all-day", "worked"]


# --------------------------------------------------------------------------- conversions


def naive_error(t: object) -> CalendarError:
    """The error for a naive datetime (or a value that is not a datetime)."""
    if isinstance(t, datetime):
        return CalendarError(
            f"naive datetime {t.isoformat()} refused: give a timezone-aware instant "
            "(for example 2026-03-10T10:15:00+01:00 or …Z)"
        )
    return CalendarError(f"expected a timezone-aware datetime, got {type(t).__name__}")


def to_us(t: datetime) -> int:
    """Epoch microseconds (UTC) of an aware datetime; :class:`CalendarError` if naive."""
    try:
        delta = t - UTC_EPOCH
    except TypeError:
        raise naive_error(t) from None
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def duration_us(duration: timedelta) -> int:
    """Microseconds of a non-negative timedelta; :class:`CalendarError` otherwise."""
    if not isinstance(duration, timedelta):
        raise CalendarError(f"expected a timedelta, got {type(duration).__name__}")
    us = (duration.days * 86_400 + duration.seconds) * US_PER_SECOND + duration.microseconds
    if us < 0:
        raise CalendarError(f"negative duration {duration} refused")
    return us


def check_count(n: int, what: str) -> int:
    """A non-negative integer count of days; :class:`CalendarError` otherwise."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise CalendarError(f"{what} must be an integer, got {n!r}")
    if n < 0:
        raise CalendarError(f"negative number of {what} ({n}) refused")
    return int(n)


# Other names for holidays than the ``holidays`` package's French and English ones.
_NAME_ALIASES = {
    "whit monday": "pentecost monday",
    "pentecote": "lundi de pentecote",
    "good friday": "vendredi saint",
    "st stephen's day": "saint-etienne",
    "boxing day": "saint-etienne",
    "labour day": "labor day",
    "1er mai": "fete du travail",
    "14 juillet": "fete nationale",
}


def normalise_name(name: str) -> str:
    """A holiday name without accents, case or extra spaces, aliases resolved."""
    text = unicodedata.normalize("NFKD", name.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.casefold().split())
    return _NAME_ALIASES.get(text, text)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return day.toordinal() - EPOCH_ORDINAL


def year_start_day(year: int) -> int:
    """The day number of 1 January of ``year``."""
    return date(year, 1, 1).toordinal() - EPOCH_ORDINAL


def year_of_us(x: int) -> int:
    """The UTC year of an epoch-microsecond instant (clamped to the supported range)."""
    days = x // US_PER_DAY
    ordinal = days + EPOCH_ORDINAL
    if ordinal < date(MIN_YEAR, 1, 1).toordinal():
        return MIN_YEAR - 1
    if ordinal > date(MAX_YEAR, 12, 31).toordinal():
        return MAX_YEAR + 1
    return date.fromordinal(ordinal).year


# --------------------------------------------------------------------------- weekly hours

WeeklyHours = Mapping[int, Sequence[tuple[int, int]]] | Mapping[str, Sequence[tuple[int, int]]]


def clock_text(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def check_weekly(weekly: WeeklyHours) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Weekly hours as seven sorted, disjoint interval tuples (Monday first), checked."""
    days: list[tuple[tuple[int, int], ...]] = [() for _ in range(7)]
    for key, intervals in weekly.items():
        if isinstance(key, str):
            if key not in WEEKDAY_KEYS:
                raise CalendarError(f"unknown weekday {key!r} (known: {', '.join(WEEKDAY_KEYS)})")
            index = WEEKDAY_KEYS.index(key)
        else:
            if not 0 <= key <= 6:
                raise CalendarError(f"weekday must be 0 (Monday) to 6, not {key}")
            index = key
        ordered = sorted((int(a), int(b)) for a, b in intervals)
        for a, b in ordered:
            if not 0 <= a < b <= 1440:
                raise CalendarError(f"{WEEKDAY_KEYS[index]}: bad interval {a}-{b} (minutes)")
        for (_, end), (start, _) in itertools.pairwise(ordered):
            if start < end:
                raise CalendarError(f"{WEEKDAY_KEYS[index]}: opening intervals overlap")
        days[index] = tuple(ordered)
    return tuple(days)


# --------------------------------------------------------------------------- bulk inputs


def instants_us(values: npt.ArrayLike) -> tuple[I64, bool]:
    """Epoch microseconds of an array of datetime64 (UTC) or int64 µs; whether it was datetime."""
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        if np.isnat(array).any():
            raise CalendarError("NaT (not a time) refused among the instants")
        return array.astype("datetime64[us]").astype(np.int64), True
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64, copy=False), False
    if array.dtype == object:
        flat = [to_us(v) for v in array.ravel()]
        return np.array(flat, dtype=np.int64).reshape(array.shape), True
    raise CalendarError(
        f"instants must be datetime64 (UTC) or int64 epoch microseconds, not {array.dtype}"
    )


def durations_us(duration: timedelta | npt.ArrayLike, shape: tuple[int, ...]) -> I64:
    """Bulk durations (timedelta, timedelta64 or int64 µs) as int64 µs of ``shape``."""
    if isinstance(duration, timedelta):
        return np.full(shape, duration_us(duration), dtype=np.int64)
    array = np.asarray(duration)
    if np.issubdtype(array.dtype, np.timedelta64):
        if np.isnat(array).any():
            raise CalendarError("NaT refused among the durations")
        us = array.astype("timedelta64[us]").astype(np.int64)
    elif np.issubdtype(array.dtype, np.integer):
        us = array.astype(np.int64)
    else:
        raise CalendarError(
            f"durations must be a timedelta, timedelta64 or int64 microseconds, not {array.dtype}"
        )
    if (us < 0).any():
        raise CalendarError("negative duration refused")
    return np.broadcast_to(us, shape)


def day_counts(n: int | npt.ArrayLike, shape: tuple[int, ...]) -> I64:
    """Bulk non-negative integer day counts, broadcast to ``shape``."""
    array = np.asarray(n)
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise CalendarError(f"day counts must be integers, not {array.dtype}")
    if (array < 0).any():
        raise CalendarError("negative number of days refused")
    return np.broadcast_to(array.astype(np.int64), shape)


def output_as(us: I64, as_datetime: bool) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
    """Bulk results as datetime64[us] when the input was datetime64, else int64 µs."""
    if as_datetime:
        return us.astype("datetime64[us]")
    return us
