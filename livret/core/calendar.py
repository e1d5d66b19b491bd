"""Business time: the clock behind every deadline of livret (SPEC CAL-1..7).

A :class:`BusinessCalendar` is a set of opening intervals per weekday (several per day,
different per weekday, CAL-1), a set of public holidays (CAL-2, from the ``holidays`` package
for the contract's territory, with the offer's own additions and removals) and a time zone
(CAL-3). Build one from an offer with :func:`calendar_for` or from a ``CalendarSpec`` with
:meth:`BusinessCalendar.from_spec`.

Conventions
-----------
* **Aware instants only.** Every input is a timezone-aware ``datetime`` (any zone); a naive
  one raises :class:`CalendarError`. Results are aware datetimes in the calendar's zone.
* **Opening hours are local wall-clock times** (CAL-3). An interval ``09:00-12:30`` is the set
  of real instants at which the calendar's clock shows a time in ``[09:00, 12:30)``; the
  conversion is exact across DST changes: on a spring-forward day the missing hour holds no
  time, on a fall-back day a ``00:00-07:00`` window lasts eight real hours.
* **Intervals are half-open** ``[open, close)``: the calendar is open at 09:00 and closed
  at 12:30.
* **CAL-4, N business hours:** a clock started outside opening hours starts at the next
  opening; the deadline is the earliest instant at which N hours have elapsed inside opening
  intervals, so a deadline landing exactly on a closing time is that closing instant (due 12:30,
  not 14:00). Adding zero gives the instant the clock starts (``t`` when open, else the next
  opening).
* **CAL-5, N business days:** the day of ``t`` (its local date) does not count; the deadline
  is the end (24:00 local, i.e. the next local midnight) of the N-th business day after it
  (Code de procédure civile art. 641-642, restricted to business days). A business day is a
  Monday to Friday that is not a public holiday of the calendar (a holiday the offer works is a
  business day; an extra closed day is not), whatever the calendar's opening hours.
  ``n = 0`` gives the end of the day of ``t``.
* **CAL-6, N calendar days:** the same reading counting every day: the end (24:00 local) of
  the N-th day after the day of ``t``.
* **Any date range works.** Years are built lazily, as a contiguous block that grows in either
  direction when an instant or a deadline leaves it; there is no fixed horizon. Holidays come
  from the ``holidays`` package, which knows French holidays for 1803-2100; outside those years
  only the weekly hours apply.

Speed
-----
Per built block the calendar holds the sorted UTC boundaries of its opening intervals and the
cumulative business time at each boundary (integer microseconds). A scalar call is a couple
of :func:`bisect.bisect_right` calls on Python lists; the bulk twins (``*_many``) do the same
with NumPy over arrays, using a fixed-width bucket index in place of binary search. Both paths
use the same integer arithmetic, so their results are identical.

Bulk inputs are NumPy arrays of ``datetime64`` (any unit, read as UTC) or ``int64`` epoch
microseconds (UTC). Results keep the kind of the input: ``datetime64[us]`` for datetime64
input, ``int64`` epoch microseconds for integer input. Durations in bulk calls are a
``timedelta`` or an array of ``timedelta64`` / ``int64`` microseconds.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import holidays as holidays_lib
import numpy as np
import numpy.typing as npt

from livret.core.territory import OVERSEAS, Territory, UnknownTerritoryError, get_territory

if TYPE_CHECKING:
    from livret.core.offer.schema import CalendarSpec, Offer

__all__ = [
    "WEEKDAY_KEYS",
    "BusinessCalendar",
    "CalendarError",
    "HolidayInfo",
    "calendar_for",
    "to_us",
]

I64 = npt.NDArray[np.int64]

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_DAY = 86_400 * US_PER_SECOND
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT64_MIN = int(np.iinfo(np.int64).min)
_INT64_MAX = int(np.iinfo(np.int64).max)
_MIN_YEAR = 2  # datetime covers years 1..9999; keep a margin for the DST scan
_MAX_YEAR = 9998
# Holidays are listed by the ``holidays`` package for these years only (France).
HOLIDAY_YEARS = (1803, 2100)
# A calendar whose hours never open is refused after this many empty years.
_MAX_EMPTY_YEARS = 20

WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOLIDAY_OPEN = 7  # day kinds beyond the weekdays 0..6
_CLOSED = 8


class CalendarError(ValueError):
    """A calendar cannot be built or a call is refused (naive instant, negative duration …)."""


@dataclass(frozen=True)
class HolidayInfo:
    """A public holiday (or extra closed day) of one calendar, with what it does."""

    day: date
    name: str
    status: Literal["closed", "open-all-day", "worked"]


# --------------------------------------------------------------------------- conversions


def _naive_error(t: object) -> CalendarError:
    if isinstance(t, datetime):
        return CalendarError(
            f"naive datetime {t.isoformat()} refused: give a timezone-aware instant "
            "(for example 2026-03-10T10:15:00+01:00 or …Z)"
        )
    return CalendarError(f"expected a timezone-aware datetime, got {type(t).__name__}")


def to_us(t: datetime) -> int:
    """Epoch microseconds (UTC) of an aware datetime; :class:`CalendarError` if naive."""
    try:
        delta = t - _UTC_EPOCH
    except TypeError:
        raise _naive_error(t) from None
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise CalendarError(f"expected a timedelta, got {type(duration).__name__}")
    us = (duration.days * 86_400 + duration.seconds) * US_PER_SECOND + duration.microseconds
    if us < 0:
        raise CalendarError(f"negative duration {duration} refused")
    return us


def _check_count(n: int, what: str) -> int:
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


def _normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(text.casefold().split())
    return _NAME_ALIASES.get(text, text)


def _day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _year_start_day(year: int) -> int:
    return date(year, 1, 1).toordinal() - _EPOCH_ORDINAL


def _year_of_us(x: int) -> int:
    """The UTC year of an epoch-microsecond instant (clamped to the supported range)."""
    days = x // US_PER_DAY
    ordinal = days + _EPOCH_ORDINAL
    if ordinal < date(_MIN_YEAR, 1, 1).toordinal():
        return _MIN_YEAR - 1
    if ordinal > date(_MAX_YEAR, 12, 31).toordinal():
        return _MAX_YEAR + 1
    return date.fromordinal(ordinal).year


# --------------------------------------------------------------------------- built tables


@dataclass(frozen=True)
class _Block:
    """Raw arrays of a contiguous range of years (local years of the calendar's zone)."""

    y0: int
    y1: int
    d0: int  # day number (days since 1970-01-01) of 1 January y0
    dstart: I64  # real start (µs) of each local day d0 .. d_last + 1 (one more than days)
    starts: I64  # opening pieces, sorted, disjoint, positive length (µs UTC)
    ends: I64
    bdays: I64  # day numbers of business days (CAL-5), sorted
    seg_t: I64  # instants (µs) from which seg_o applies; seg_t[0] is the block's horizon
    seg_o: I64  # UTC offsets (µs)


@dataclass
class _Grid:
    """A fixed-width bucket index over a sorted array: searchsorted without binary search."""

    base: int
    shift: int
    first: npt.NDArray[np.int64]
    steps: int
    padded: I64  # the sorted values followed by a +inf sentinel


def _make_grid(values: I64, side: Literal["left", "right"]) -> _Grid | None:
    """Index ``values`` by buckets of ``2**shift``; None when a binary search is cheaper."""
    if len(values) < 2:
        return None
    lo = int(values[0])
    span = int(values[-1]) - lo + 1
    best: _Grid | None = None
    padded = np.append(values, np.int64(_INT64_MAX))
    for shift in range(40, 19, -1):
        size = (span >> shift) + 2
        if size > (1 << 20):
            break
        edges = lo + (np.arange(size + 1, dtype=np.int64) << shift)
        first = np.searchsorted(values, edges, side=side).astype(np.int64)
        steps = int(np.max(np.diff(first)))
        grid = _Grid(lo, shift, first, steps, padded)
        if best is None or steps < best.steps:
            best = grid
        if steps <= 1 or size > 4 * len(values):
            break
    if best is not None and best.steps > 4:
        return None
    return best


def _grid_search(grid: _Grid | None, values: I64, x: I64, side: Literal["left", "right"]) -> I64:
    """``np.searchsorted(values, x, side)`` for ``x`` within the indexed span (or beyond)."""
    if grid is None:
        return np.searchsorted(values, x, side=side).astype(np.int64)
    rel = x - grid.base
    bucket = np.clip(rel >> grid.shift, 0, len(grid.first) - 2)
    k = grid.first[bucket]
    padded = grid.padded
    below = x < grid.base
    above = x > padded[-2]
    for _ in range(grid.steps):
        k = k + (padded[k] <= x) if side == "right" else k + (padded[k] < x)
    if below.any() or above.any():
        k = np.where(below | above, np.searchsorted(values, x, side=side), k)
    result: I64 = k
    return result


class _Tables:
    """Everything a query needs, for one contiguous block, as lists (scalar) and arrays (bulk).

    ``bounds`` is ``[-inf, open_0, close_0, open_1, close_1, …]`` and ``cum`` the business time
    elapsed (µs) from the first opening up to each bound: for ``m = bisect_right(bounds, x) - 1``
    the calendar is open at ``x`` iff ``m`` is odd, and the business time before ``x`` is
    ``cum[m] + (x - bounds[m])`` when open, ``cum[m]`` when closed.
    """

    __slots__ = (
        "_grids",
        "a_bdays",
        "a_bounds",
        "a_cum",
        "a_dstart",
        "a_seg_o",
        "a_seg_t",
        "bdays",
        "block",
        "bounds",
        "cum",
        "d0",
        "dstart",
        "hi",
        "lo",
        "n_bounds",
        "total",
    )

    def __init__(self, block: _Block) -> None:
        self.block = block
        self.d0 = block.d0
        lengths = block.ends - block.starts
        n = len(lengths)
        bounds = np.empty(2 * n + 1, dtype=np.int64)
        bounds[0] = _INT64_MIN
        bounds[1::2] = block.starts
        bounds[2::2] = block.ends
        cum = np.zeros(2 * n + 1, dtype=np.int64)
        ends_cum = np.cumsum(lengths, dtype=np.int64)
        cum[2::2] = ends_cum
        cum[3::2] = ends_cum[:-1]
        self.a_bounds: I64 = bounds
        self.a_cum: I64 = cum
        self.a_dstart: I64 = block.dstart
        self.a_bdays: I64 = block.bdays
        self.a_seg_t: I64 = block.seg_t
        self.a_seg_o: I64 = block.seg_o
        self.bounds: list[int] = bounds.tolist()
        self.cum: list[int] = cum.tolist()
        self.dstart: list[int] = block.dstart.tolist()
        self.bdays: list[int] = block.bdays.tolist()
        self.n_bounds = len(self.bounds)
        self.total: int = int(cum[-1]) if n else 0
        self.lo: int = self.dstart[0]
        self.hi: int = self.dstart[-1]
        self._grids: tuple[_Grid | None, _Grid | None] | None = None

    def grids(self) -> tuple[_Grid | None, _Grid | None]:
        """Bucket indexes over ``bounds`` (side right) and ``cum`` (side left), built once."""
        if self._grids is None:
            inner = self.a_bounds[1:]
            bounds_grid = _make_grid(inner, "right")
            cum_grid = _make_grid(self.a_cum, "left")
            self._grids = (bounds_grid, cum_grid)
        return self._grids

    def search_bounds(self, x: I64) -> I64:
        """``searchsorted(bounds, x, 'right')`` (the -inf sentinel counts as one)."""
        grid = self.grids()[0]
        return _grid_search(grid, self.a_bounds[1:], x, "right") + 1

    def search_cum(self, target: I64) -> I64:
        """``searchsorted(cum, target, 'left')``."""
        return _grid_search(self.grids()[1], self.a_cum, target, "left")


def _offset_us(zone: zoneinfo.ZoneInfo, seconds: int) -> int:
    """UTC offset (µs) of ``zone`` at an epoch second."""
    local = (_UTC_EPOCH + timedelta(seconds=seconds)).astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * US_PER_SECOND + offset.microseconds


def _segments(zone: zoneinfo.ZoneInfo, first: int, last: int) -> tuple[I64, I64]:
    """Constant-offset segments of ``zone`` over epoch seconds ``[first, last]``.

    Offsets are sampled once per day and every change is located to the second by bisection
    (zone transitions fall on whole seconds). Assumes at most one transition per day.
    """
    times = [first]
    offsets = [_offset_us(zone, first)]
    previous_s, previous_o = first, offsets[0]
    sample = first
    while sample < last:
        sample = min(sample + 86_400, last)
        offset = _offset_us(zone, sample)
        if offset != previous_o:
            lo, hi = previous_s, sample  # offset(lo) = previous_o, offset(hi) = offset
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_us(zone, mid) == previous_o:
                    lo = mid
                else:
                    hi = mid
            times.append(hi)
            offsets.append(offset)
        previous_s, previous_o = sample, offset
    return (
        np.array(times, dtype=np.int64) * US_PER_SECOND,
        np.array(offsets, dtype=np.int64),
    )


def _earliest_real(walls: I64, seg_t: I64, seg_o: I64, horizon: int) -> I64:
    """For each wall-clock instant (µs, as if UTC), the earliest real instant showing it or later.

    Exact across DST: a wall time skipped by a spring-forward change maps to the change itself,
    a repeated one to its first occurrence.
    """
    result = np.full(len(walls), _INT64_MAX, dtype=np.int64)
    n = len(seg_t)
    for k in range(n):
        t_k = int(seg_t[k])
        t_next = int(seg_t[k + 1]) if k + 1 < n else horizon
        candidate = np.maximum(walls - seg_o[k], t_k)
        valid = candidate < t_next
        np.minimum(result, np.where(valid, candidate, _INT64_MAX), out=result)
    return result


# --------------------------------------------------------------------------- the calendar


WeeklyHours = Mapping[int, Sequence[tuple[int, int]]] | Mapping[str, Sequence[tuple[int, int]]]


class BusinessCalendar:
    """Opening intervals per weekday, holidays and a zone; business-time arithmetic (CAL-7).

    ``weekly`` maps a weekday (``0`` = Monday … ``6``, or ``"mon"`` … ``"sun"``) to its opening
    intervals in minutes after local midnight (``1440`` = 24:00). ``timezone`` defaults to the
    territory's zone. ``holidays`` says what a public holiday is: ``"closed"`` (a business
    calendar) or ``"open-all-day"`` (a maintenance window). ``worked_holidays`` holds dates or
    holiday names (French or English, accents and case ignored) that are worked as normal days;
    ``extra_closed_days`` are closed all day and are not business days.
    """

    def __init__(
        self,
        weekly: WeeklyHours,
        *,
        timezone: str | None = None,
        territory: str = "metropole",
        holidays: Literal["closed", "open-all-day"] = "closed",
        extra_closed_days: Iterable[date] = (),
        worked_holidays: Iterable[str | date] = (),
        name: str = "",
    ) -> None:
        try:
            self.territory: Territory = get_territory(territory)
        except UnknownTerritoryError as error:
            raise CalendarError(str(error)) from None
        zone_name = timezone or self.territory.timezone
        try:
            self.zone = zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"unknown time zone {zone_name!r}") from None
        self.timezone = zone_name
        self.name = name
        if holidays not in ("closed", "open-all-day"):
            raise CalendarError(f"holidays must be 'closed' or 'open-all-day', not {holidays!r}")
        self.holidays_mode: Literal["closed", "open-all-day"] = holidays
        self.weekly: tuple[tuple[tuple[int, int], ...], ...] = _check_weekly(weekly)
        self.extra_closed_days: frozenset[date] = frozenset(extra_closed_days)
        worked_dates: set[date] = set()
        worked_names: dict[str, str] = {}  # normalised name -> as written
        for item in worked_holidays:
            if isinstance(item, date):
                worked_dates.add(item)
                continue
            try:
                worked_dates.add(date.fromisoformat(item))
            except ValueError:
                worked_names[_normalise_name(item)] = item
        self.worked_dates: frozenset[date] = frozenset(worked_dates)
        self.worked_names: frozenset[str] = frozenset(worked_names)
        if worked_names:
            self._check_holiday_names(worked_names)
        self._opens = any(self.weekly) or holidays == "open-all-day"
        self._lock = threading.Lock()
        self._tables: _Tables | None = None

    # ---------------------------------------------------------------- construction

    @classmethod
    def from_spec(
        cls, spec: CalendarSpec, territory: str = "metropole", *, name: str = ""
    ) -> BusinessCalendar:
        """The calendar of an offer's ``CalendarSpec`` for a contract's territory (CAL-1..3).

        The zone is the territory's when the spec follows the territory zone and the territory
        is overseas (S §5, §6), else the spec's own zone.
        """
        try:
            place = get_territory(territory)
        except UnknownTerritoryError as error:
            raise CalendarError(str(error)) from None
        zone = (
            place.timezone
            if spec.follows_territory_zone and place.group == OVERSEAS
            else spec.timezone
        )
        from livret.core.offer.schema import WEEKDAYS

        weekly = {i: spec.minutes(key) for i, key in enumerate(WEEKDAYS)}
        return cls(
            weekly,
            timezone=zone,
            territory=place.code,
            holidays=spec.holidays,
            extra_closed_days=spec.extra_closed_days,
            worked_holidays=spec.worked_holidays,
            name=name or spec.label,
        )

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(name={self.name!r}, territory={self.territory.code!r}, "
            f"timezone={self.timezone!r})"
        )

    def _holiday_table(self, y0: int, y1: int, language: str = "fr") -> dict[date, str]:
        lo, hi = max(y0, HOLIDAY_YEARS[0]), min(y1, HOLIDAY_YEARS[1])
        if lo > hi:
            return {}
        table = holidays_lib.country_holidays(
            "FR",
            subdiv=self.territory.holiday_subdivision,
            years=range(lo, hi + 1),
            language=language,
        )
        return {day: str(label) for day, label in table.items()}

    def _check_holiday_names(self, names: dict[str, str]) -> None:
        known: set[str] = set()
        for language in ("fr", "en_US"):
            for label in self._holiday_table(2020, 2030, language).values():
                known.update(part for part in label.split("; "))
        known_keys = {_normalise_name(name) for name in known}
        unknown = sorted(written for key, written in names.items() if key not in known_keys)
        if unknown:
            raise CalendarError(
                f"worked holiday {unknown[0]!r} is not a holiday name of territory "
                f"{self.territory.code} (known: {', '.join(sorted(known))})"
            )

    def _is_worked(self, day: date, labels: Iterable[str]) -> bool:
        if day in self.worked_dates:
            return True
        return any(label in self.worked_names for label in labels)

    def _holiday_days(self, y0: int, y1: int) -> dict[date, str]:
        """Holidays (not worked) between y0 and y1, name in French."""
        table = self._holiday_table(y0, y1)
        if not (self.worked_dates or self.worked_names):
            return table
        english = self._holiday_table(y0, y1, "en_US") if self.worked_names else {}
        result: dict[date, str] = {}
        for day, label in table.items():
            labels = [_normalise_name(p) for p in label.split("; ")]
            labels += [_normalise_name(p) for p in english.get(day, "").split("; ") if p]
            if not self._is_worked(day, labels):
                result[day] = label
        return result

    def _build_block(self, y0: int, y1: int) -> _Block:
        """Build years ``y0..y1``: opening pieces in UTC, day starts, business days (CAL-1..3)."""
        d0 = _year_start_day(y0)
        d_end = _year_start_day(y1 + 1)  # first day after the block
        days = np.arange(d0, d_end, dtype=np.int64)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        kind = weekday.copy()
        holiday_kind = _HOLIDAY_OPEN if self.holidays_mode == "open-all-day" else _CLOSED
        not_business = np.zeros(len(days), dtype=bool)
        for day in self._holiday_days(y0, y1):
            index = _day_number(day) - d0
            kind[index] = holiday_kind
            not_business[index] = True
        for day in self.extra_closed_days:
            index = _day_number(day) - d0
            if 0 <= index < len(days):
                kind[index] = _CLOSED
                not_business[index] = True
        bdays = days[(weekday < 5) & ~not_business]

        # Wall-clock opening intervals (µs since 1970-01-01 local), sorted.
        templates: list[tuple[tuple[int, int], ...]] = [*self.weekly, ((0, 1440),), ()]
        wall_starts: list[I64] = []
        wall_ends: list[I64] = []
        for k, template in enumerate(templates):
            if not template:
                continue
            chosen = days[kind == k] * US_PER_DAY
            if not len(chosen):
                continue
            a = np.array([s for s, _ in template], dtype=np.int64) * US_PER_MINUTE
            b = np.array([e for _, e in template], dtype=np.int64) * US_PER_MINUTE
            wall_starts.append((chosen[:, None] + a[None, :]).ravel())
            wall_ends.append((chosen[:, None] + b[None, :]).ravel())
        if wall_starts:
            ws = np.concatenate(wall_starts)
            we = np.concatenate(wall_ends)
            order = np.argsort(ws, kind="stable")
            ws, we = ws[order], we[order]
        else:
            ws = we = np.empty(0, dtype=np.int64)

        # Real (UTC) constant-offset segments covering the block with a two-day margin.
        first_s = (d0 - 2) * 86_400
        last_s = (d_end + 2) * 86_400
        seg_t, seg_o = _segments(self.zone, first_s, last_s)
        horizon = last_s * US_PER_SECOND
        starts_parts: list[I64] = []
        ends_parts: list[I64] = []
        for k in range(len(seg_t)):
            t_k = int(seg_t[k])
            t_next = int(seg_t[k + 1]) if k + 1 < len(seg_t) else horizon
            o_k = int(seg_o[k])
            wall_lo, wall_hi = t_k + o_k, t_next + o_k
            lo = int(np.searchsorted(we, wall_lo, side="right"))
            hi = int(np.searchsorted(ws, wall_hi, side="left"))
            if hi <= lo:
                continue
            rs = np.maximum(ws[lo:hi] - o_k, t_k)
            re = np.minimum(we[lo:hi] - o_k, t_next)
            keep = rs < re
            starts_parts.append(rs[keep])
            ends_parts.append(re[keep])
        starts = np.concatenate(starts_parts) if starts_parts else np.empty(0, dtype=np.int64)
        ends = np.concatenate(ends_parts) if ends_parts else np.empty(0, dtype=np.int64)
        walls = np.arange(d0, d_end + 1, dtype=np.int64) * US_PER_DAY
        dstart = _earliest_real(walls, seg_t, seg_o, horizon)
        return _Block(y0, y1, d0, dstart, starts, ends, bdays, seg_t, seg_o)

    def _tables_for(self, y_lo: int, y_hi: int) -> _Tables:
        """Tables covering at least years ``y_lo..y_hi`` (grown lazily, contiguous)."""
        if y_lo < _MIN_YEAR or y_hi > _MAX_YEAR:
            raise CalendarError(
                f"instant out of the supported range (years {_MIN_YEAR}-{_MAX_YEAR})"
            )
        with self._lock:
            tables = self._tables
            if tables is not None and tables.block.y0 <= y_lo and y_hi <= tables.block.y1:
                return tables
            if tables is None:
                block = self._build_block(y_lo, y_hi)
            else:
                block = tables.block
                if y_lo < block.y0:
                    block = _join(self._build_block(y_lo, block.y0 - 1), block)
                if y_hi > block.y1:
                    block = _join(block, self._build_block(block.y1 + 1, y_hi))
            tables = _Tables(block)
            self._tables = tables
            return tables

    def build_years(self, first: int, last: int) -> None:
        """Build years ``first..last`` now (they are otherwise built on first use)."""
        self._tables_for(first, last)

    def _cover(self, x: int) -> _Tables:
        """Tables whose safe range ``[lo, hi)`` holds ``x`` (its local day is built)."""
        tables = self._tables
        if tables is not None and tables.lo <= x < tables.hi:
            return tables
        y_lo = _year_of_us(x - US_PER_DAY)
        y_hi = _year_of_us(x + US_PER_DAY)
        if tables is not None:
            y_lo, y_hi = min(y_lo, tables.block.y0), max(y_hi, tables.block.y1)
        return self._tables_for(y_lo, y_hi)

    def _grow(self, tables: _Tables, missing_us: int = 0) -> _Tables:
        """Extend forward by enough years to hold ``missing_us`` more business time."""
        label = self.name or self.timezone
        if not self._opens:
            raise CalendarError(f"calendar {label!r} never opens")
        block = tables.block
        last_close = tables.bounds[-1] if tables.n_bounds > 1 else tables.lo
        if tables.hi - last_close > _MAX_EMPTY_YEARS * 366 * US_PER_DAY or block.y1 >= _MAX_YEAR:
            raise CalendarError(
                f"calendar {label!r} has no opening after {self._from_us(last_close).date()}"
            )
        years = block.y1 - block.y0 + 1
        per_year = tables.total // years
        extra = max(1, -(-missing_us // per_year) + 1) if per_year else years
        return self._tables_for(block.y0, min(_MAX_YEAR, block.y1 + extra))

    # ---------------------------------------------------------------- scalar core (µs)

    def _add_us(self, x: int, d: int) -> int:
        tables = self._tables
        if tables is None or not tables.lo <= x < tables.hi:
            tables = self._cover(x)
        while True:
            bounds = tables.bounds
            m = bisect_right(bounds, x) - 1
            if m & 1:  # open: the clock runs from x
                if d == 0:
                    return x
                target = tables.cum[m] + (x - bounds[m]) + d
            else:  # closed: the clock starts at the next opening (CAL-4)
                if m + 1 >= tables.n_bounds:
                    tables = self._grow(tables)
                    continue
                if d == 0:
                    return bounds[m + 1]
                target = tables.cum[m] + d
            if target > tables.total:
                tables = self._grow(tables, target - tables.total)
                continue
            q = bisect_left(tables.cum, target)  # first bound whose cum reaches the target
            return bounds[q] - (tables.cum[q] - target)

    def _elapsed_us(self, tables: _Tables, x: int) -> int:
        m = bisect_right(tables.bounds, x) - 1
        if m & 1:
            return tables.cum[m] + (x - tables.bounds[m])
        return tables.cum[m]

    def _next_opening_us(self, x: int) -> int:
        tables = self._cover(x)
        while True:
            m = bisect_right(tables.bounds, x) - 1
            if m & 1:
                return x
            if m + 1 < tables.n_bounds:
                return tables.bounds[m + 1]
            tables = self._grow(tables)

    def _end_of_day_us(self, x: int, n: int, business: bool) -> int:
        tables = self._cover(x)
        while True:
            day = tables.d0 + bisect_right(tables.dstart, x) - 1
            if business and n > 0:
                k = bisect_right(tables.bdays, day) + n - 1
                if k >= len(tables.bdays):
                    tables = self._grow_days(tables, n)
                    continue
                last = tables.bdays[k]
            else:
                last = day + n
            index = last + 1 - tables.d0
            if index >= len(tables.dstart):
                tables = self._grow_days(tables, n)
                continue
            return tables.dstart[index]

    def _grow_days(self, tables: _Tables, n: int) -> _Tables:
        block = tables.block
        if block.y1 >= _MAX_YEAR:
            raise CalendarError(f"deadline beyond the supported range (year {_MAX_YEAR})")
        extra = max(1, n // 200 + 1)
        if n > 0 and len(tables.bdays) == 0 and block.y1 - block.y0 > _MAX_EMPTY_YEARS:
            raise CalendarError("no business day in the calendar's range")
        return self._tables_for(block.y0, min(_MAX_YEAR, block.y1 + extra))

    def _from_us(self, y: int) -> datetime:
        return (_UTC_EPOCH + timedelta(microseconds=y)).astimezone(self.zone)

    # ---------------------------------------------------------------- scalar API

    def add_business_time(self, t: datetime, duration: timedelta) -> datetime:
        """Deadline of ``duration`` business time from ``t`` (CAL-4), in the calendar's zone."""
        try:
            delta = t - _UTC_EPOCH
        except TypeError:
            raise _naive_error(t) from None
        x = (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
        y = self._add_us(x, _duration_us(duration))
        return (_UTC_EPOCH + timedelta(microseconds=y)).astimezone(self.zone)

    def add_business_hours(self, t: datetime, hours: float) -> datetime:
        """``add_business_time(t, timedelta(hours=hours))`` (CAL-4)."""
        return self.add_business_time(t, timedelta(hours=hours))

    def add_business_days(self, t: datetime, n: int) -> datetime:
        """End (24:00 local) of the n-th business day after the day of ``t`` (CAL-5)."""
        return self._from_us(self._end_of_day_us(to_us(t), _check_count(n, "business days"), True))

    def add_calendar_days(self, t: datetime, n: int) -> datetime:
        """End (24:00 local) of the n-th day after the day of ``t`` (CAL-6)."""
        return self._from_us(self._end_of_day_us(to_us(t), _check_count(n, "calendar days"), False))

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time inside opening intervals between ``a`` and ``b`` (negative if b < a)."""
        return timedelta(microseconds=self.business_us_between(to_us(a), to_us(b)))

    def business_us_between(self, a_us: int, b_us: int) -> int:
        """Business time (µs) between two epoch-microsecond instants."""
        lo, hi = (a_us, b_us) if a_us <= b_us else (b_us, a_us)
        tables = self._tables
        if tables is None or not (tables.lo <= lo and hi < tables.hi):
            self._cover(lo)
            tables = self._cover(hi)  # grows the contiguous block, which still holds lo
        elapsed = self._elapsed_us(tables, hi) - self._elapsed_us(tables, lo)
        return elapsed if b_us >= a_us else -elapsed

    def next_opening(self, t: datetime) -> datetime:
        """``t`` itself when open, else the next opening instant (CAL-7)."""
        return self._from_us(self._next_opening_us(to_us(t)))

    def is_open(self, t: datetime) -> bool:
        """Whether ``t`` falls inside an opening interval (half-open ``[open, close)``)."""
        x = to_us(t)
        tables = self._cover(x)
        return bool((bisect_right(tables.bounds, x) - 1) & 1)

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a (non-worked) holiday nor an extra closed day (CAL-2)."""
        number = _day_number(day)
        tables = self._tables_for(day.year, day.year)
        k = bisect_left(tables.bdays, number)
        return k < len(tables.bdays) and tables.bdays[k] == number

    # ---------------------------------------------------------------- bulk (NumPy)

    def _cover_many(self, x: I64) -> _Tables:
        if not len(x):
            return self._cover(0) if self._tables is None else self._tables
        lo, hi = int(x.min()), int(x.max())
        self._cover(lo)
        tables = self._cover(hi)
        if not tables.lo <= lo:
            tables = self._cover(lo)
        return tables

    def _add_many_us(self, x: I64, d: I64) -> I64:
        tables = self._cover_many(x)
        while True:
            k = tables.search_bounds(x)  # bounds[k-1] <= x < bounds[k]
            m = k - 1
            is_open = (m & 1).astype(bool)
            cum = tables.a_cum
            elapsed = cum[m] + np.where(is_open, x - tables.a_bounds[m], 0)
            target = elapsed + d
            if len(target) and int(target.max()) > tables.total:
                tables = self._grow(tables, int(target.max()) - tables.total)
                continue
            zero = d == 0
            if zero.any() and (~is_open & zero & (k >= tables.n_bounds)).any():
                tables = self._grow(tables)
                continue
            q = tables.search_cum(target)
            q_safe = np.minimum(q, tables.n_bounds - 1)
            result = tables.a_bounds[q_safe] - (cum[q_safe] - target)
            if zero.any():
                k_safe = np.minimum(k, tables.n_bounds - 1)
                at_zero = np.where(is_open, x, tables.a_bounds[k_safe])
                result = np.where(zero, at_zero, result)
            return result

    def add_business_time_many(
        self, instants: npt.ArrayLike, duration: timedelta | npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`add_business_time` (CAL-7): same results, element by element."""
        x, as_datetime = _instants(instants)
        d = _durations(duration, x.shape)
        return _output(self._add_many_us(x, d), as_datetime)

    def add_business_days_many(
        self, instants: npt.ArrayLike, n: int | npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`add_business_days` (CAL-5)."""
        x, as_datetime = _instants(instants)
        return _output(self._end_of_day_many(x, _counts(n, x.shape), True), as_datetime)

    def add_calendar_days_many(
        self, instants: npt.ArrayLike, n: int | npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`add_calendar_days` (CAL-6)."""
        x, as_datetime = _instants(instants)
        return _output(self._end_of_day_many(x, _counts(n, x.shape), False), as_datetime)

    def _end_of_day_many(self, x: I64, n: I64, business: bool) -> I64:
        tables = self._cover_many(x)
        while True:
            day = tables.d0 + np.searchsorted(tables.a_dstart, x, side="right") - 1
            if business:
                k = np.searchsorted(tables.a_bdays, day, side="right") + n - 1
                if len(k) and int(k.max()) >= len(tables.a_bdays):
                    tables = self._grow_days(tables, int(n.max()))
                    continue
                last = np.where(n > 0, tables.a_bdays[np.maximum(k, 0)], day)
            else:
                last = day + n
            index = last + 1 - tables.d0
            if len(index) and int(index.max()) >= len(tables.a_dstart):
                tables = self._grow_days(tables, int(n.max()))
                continue
            result: I64 = tables.a_dstart[index]
            return result

    def business_time_between_many(self, a: npt.ArrayLike, b: npt.ArrayLike) -> I64:
        """Bulk :meth:`business_time_between`, in integer microseconds."""
        xa, _ = _instants(a)
        xb, _ = _instants(b)
        xa, xb = np.broadcast_arrays(xa, xb)
        tables = self._cover_many(np.concatenate([xa.ravel(), xb.ravel()]))
        return self._elapsed_many(tables, xb) - self._elapsed_many(tables, xa)

    def _elapsed_many(self, tables: _Tables, x: I64) -> I64:
        m = tables.search_bounds(x) - 1
        open_ = (m & 1).astype(bool)
        return tables.a_cum[m] + np.where(open_, x - tables.a_bounds[m], 0)

    def next_opening_many(
        self, instants: npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`next_opening`."""
        x, as_datetime = _instants(instants)
        return _output(self._add_many_us(x, np.zeros_like(x)), as_datetime)

    def is_open_many(self, instants: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Bulk :meth:`is_open`."""
        x, _ = _instants(instants)
        tables = self._cover_many(x)
        return ((tables.search_bounds(x) - 1) & 1).astype(bool)

    def utc_offsets_many(self, instants: npt.ArrayLike) -> I64:
        """UTC offset (µs) of the calendar's zone at each instant (to print local times)."""
        x, _ = _instants(instants)
        tables = self._cover_many(x)
        index = np.searchsorted(tables.a_seg_t, x, side="right") - 1
        return tables.a_seg_o[np.maximum(index, 0)]

    # ---------------------------------------------------------------- description

    def opening_hours(self) -> dict[str, list[tuple[str, str]]]:
        """The weekly opening intervals as ``HH:MM`` pairs, by weekday key."""
        return {
            key: [(_clock(a), _clock(b)) for a, b in self.weekly[i]]
            for i, key in enumerate(WEEKDAY_KEYS)
        }

    def holidays_in(self, year: int) -> list[HolidayInfo]:
        """Holidays and extra closed days of a year, with what each does to this calendar."""
        table = self._holiday_table(year, year)
        english = self._holiday_table(year, year, "en_US") if self.worked_names else {}
        found: list[HolidayInfo] = []
        for day, label in sorted(table.items()):
            labels = [_normalise_name(p) for p in label.split("; ")]
            labels += [_normalise_name(p) for p in english.get(day, "").split("; ") if p]
            status: Literal["closed", "open-all-day", "worked"]
            if self._is_worked(day, labels) and day not in self.extra_closed_days:
                status = "worked"
            elif day in self.extra_closed_days:
                status = "closed"
            else:
                status = self.holidays_mode
            found.append(HolidayInfo(day, label, status))
        for day in sorted(self.extra_closed_days):
            if day.year == year and day not in table:
                found.append(HolidayInfo(day, "fermeture exceptionnelle", "closed"))
        return sorted(found, key=lambda h: h.day)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _check_weekly(weekly: WeeklyHours) -> tuple[tuple[tuple[int, int], ...], ...]:
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


def _join(first: _Block, second: _Block) -> _Block:
    """Two adjacent blocks as one (``first`` ends the day before ``second`` starts)."""
    boundary = int(second.dstart[0])
    keep_first = first.seg_t < boundary
    # The segment of ``second`` in force at the boundary starts there; later ones follow.
    k = int(np.searchsorted(second.seg_t, boundary, side="right")) - 1
    seg_t = np.concatenate([first.seg_t[keep_first], [boundary], second.seg_t[k + 1 :]])
    seg_o = np.concatenate([first.seg_o[keep_first], second.seg_o[k:]])
    return _Block(
        first.y0,
        second.y1,
        first.d0,
        np.concatenate([first.dstart[:-1], second.dstart]),
        np.concatenate([first.starts, second.starts]),
        np.concatenate([first.ends, second.ends]),
        np.concatenate([first.bdays, second.bdays]),
        seg_t.astype(np.int64),
        seg_o.astype(np.int64),
    )


def _instants(values: npt.ArrayLike) -> tuple[I64, bool]:
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


def _durations(duration: timedelta | npt.ArrayLike, shape: tuple[int, ...]) -> I64:
    if isinstance(duration, timedelta):
        return np.full(shape, _duration_us(duration), dtype=np.int64)
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


def _counts(n: int | npt.ArrayLike, shape: tuple[int, ...]) -> I64:
    array = np.asarray(n)
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise CalendarError(f"day counts must be integers, not {array.dtype}")
    if (array < 0).any():
        raise CalendarError("negative number of days refused")
    return np.broadcast_to(array.astype(np.int64), shape)


def _output(us: I64, as_datetime: bool) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
    if as_datetime:
        return us.astype("datetime64[us]")
    return us


# --------------------------------------------------------------------------- from offers

_CACHE: dict[tuple[str, str, str], BusinessCalendar] = {}
_CACHE_LOCK = threading.Lock()


def calendar_for(
    offer: Offer, name: str, formula: str | None = None, territory: str = "metropole"
) -> BusinessCalendar:
    """The calendar an offer names for a role and formula, in a territory (CAL-1..3).

    ``name`` is a calendar role or name (``support``, ``phone``, ``maintenance`` …); a formula
    may read a role from another calendar (E Private: ``support`` → ``support-extended``).
    Calendars are cached: the same spec in the same territory gives the same object.
    """
    try:
        place = get_territory(territory)
    except UnknownTerritoryError as error:
        raise CalendarError(str(error)) from None
    try:
        resolved = offer.calendar_name(name, formula)
        spec = offer.calendar(name, formula)
    except KeyError as error:
        raise CalendarError(str(error.args[0]) if error.args else str(error)) from None
    key = (spec.model_dump_json(), place.code, f"{offer.id}:{resolved}")
    with _CACHE_LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    calendar = BusinessCalendar.from_spec(spec, place.code, name=resolved)
    with _CACHE_LOCK:
        if len(_CACHE) > 256:
            _CACHE.clear()
        return _CACHE.setdefault(key, calendar)
