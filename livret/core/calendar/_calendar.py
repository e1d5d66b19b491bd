"""The business calendar: opening hours, holidays and a zone; business-time arithmetic."""

from __future__ import annotations

import threading
import zoneinfo
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import holidays as holidays_lib
import numpy as np
import numpy.typing as npt

from livret.core.calendar._base import (
    CLOSED,
    HOLIDAY_OPEN,
    HOLIDAY_YEARS,
    I64,
    MAX_EMPTY_YEARS,
    MAX_YEAR,
    MIN_YEAR,
    US_PER_DAY,
    US_PER_MINUTE,
    US_PER_SECOND,
    UTC_EPOCH,
    WEEKDAY_KEYS,
    CalendarError,
    HolidayInfo,
    WeeklyHours,
    check_count,
    check_weekly,
    clock_text,
    day_counts,
    day_number,
    duration_us,
    durations_us,
    instants_us,
    naive_error,
    normalise_name,
    output_as,
    to_us,
    year_of_us,
    year_start_day,
)
from livret.core.calendar._tables import Block, Tables, earliest_real, join_blocks, segments
from livret.core.territory import OVERSEAS, Territory, UnknownTerritoryError, get_territory

if TYPE_CHECKING:
    from livret.core.offer.schema import CalendarSpec


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
        self.weekly: tuple[tuple[tuple[int, int], ...], ...] = check_weekly(weekly)
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
                worked_names[normalise_name(item)] = item
        self.worked_dates: frozenset[date] = frozenset(worked_dates)
        self.worked_names: frozenset[str] = frozenset(worked_names)
        if worked_names:
            self._check_holiday_names(worked_names)
        self._opens = any(self.weekly) or holidays == "open-all-day"
        self._lock = threading.Lock()
        self._tables: Tables | None = None

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
        known_keys = {normalise_name(name) for name in known}
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
            labels = [normalise_name(p) for p in label.split("; ")]
            labels += [normalise_name(p) for p in english.get(day, "").split("; ") if p]
            if not self._is_worked(day, labels):
                result[day] = label
        return result

    def _build_block(self, y0: int, y1: int) -> Block:
        """Build years ``y0..y1``: opening pieces in UTC, day starts, business days (CAL-1..3)."""
        d0 = year_start_day(y0)
        d_end = year_start_day(y1 + 1)  # first day after the block
        days = np.arange(d0, d_end, dtype=np.int64)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        kind = weekday.copy()
        holiday_kind = HOLIDAY_OPEN if self.holidays_mode == "open-all-day" else CLOSED
        not_business = np.zeros(len(days), dtype=bool)
        for day in self._holiday_days(y0, y1):
            index = day_number(day) - d0
            kind[index] = holiday_kind
            not_business[index] = True
        for day in self.extra_closed_days:
            index = day_number(day) - d0
            if 0 <= index < len(days):
                kind[index] = CLOSED
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
        seg_t, seg_o = segments(self.zone, first_s, last_s)
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
        dstart = earliest_real(walls, seg_t, seg_o, horizon)
        return Block(y0, y1, d0, dstart, starts, ends, bdays, seg_t, seg_o)

    def _tables_for(self, y_lo: int, y_hi: int) -> Tables:
        """Tables covering at least years ``y_lo..y_hi`` (grown lazily, contiguous)."""
        if y_lo < MIN_YEAR or y_hi > MAX_YEAR:
            raise CalendarError(f"instant out of the supported range (years {MIN_YEAR}-{MAX_YEAR})")
        with self._lock:
            tables = self._tables
            if tables is not None and tables.block.y0 <= y_lo and y_hi <= tables.block.y1:
                return tables
            if tables is None:
                block = self._build_block(y_lo, y_hi)
            else:
                block = tables.block
                if y_lo < block.y0:
                    block = join_blocks(self._build_block(y_lo, block.y0 - 1), block)
                if y_hi > block.y1:
                    block = join_blocks(block, self._build_block(block.y1 + 1, y_hi))
            tables = Tables(block)
            self._tables = tables
            return tables

    def build_years(self, first: int, last: int) -> None:
        """Build years ``first..last`` now (they are otherwise built on first use)."""
        self._tables_for(first, last)

    def _cover(self, x: int) -> Tables:
        """Tables whose safe range ``[lo, hi)`` holds ``x`` (its local day is built)."""
        tables = self._tables
        if tables is not None and tables.lo <= x < tables.hi:
            return tables
        y_lo = year_of_us(x - US_PER_DAY)
        y_hi = year_of_us(x + US_PER_DAY)
        if tables is not None:
            y_lo, y_hi = min(y_lo, tables.block.y0), max(y_hi, tables.block.y1)
        return self._tables_for(y_lo, y_hi)

    def _grow(self, tables: Tables, missing_us: int = 0) -> Tables:
        """Extend forward by enough years to hold ``missing_us`` more business time."""
        label = self.name or self.timezone
        if not self._opens:
            raise CalendarError(f"calendar {label!r} never opens")
        block = tables.block
        last_close = tables.bounds[-1] if tables.n_bounds > 1 else tables.lo
        if tables.hi - last_close > MAX_EMPTY_YEARS * 366 * US_PER_DAY or block.y1 >= MAX_YEAR:
            raise CalendarError(
                f"calendar {label!r} has no opening after {self._from_us(last_close).date()}"
            )
        years = block.y1 - block.y0 + 1
        per_year = tables.total // years
        extra = max(1, -(-missing_us // per_year) + 1) if per_year else years
        return self._tables_for(block.y0, min(MAX_YEAR, block.y1 + extra))

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

    def _elapsed_us(self, tables: Tables, x: int) -> int:
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

    def _grow_days(self, tables: Tables, n: int) -> Tables:
        block = tables.block
        if block.y1 >= MAX_YEAR:
            raise CalendarError(f"deadline beyond the supported range (year {MAX_YEAR})")
        extra = max(1, n // 200 + 1)
        if n > 0 and len(tables.bdays) == 0 and block.y1 - block.y0 > MAX_EMPTY_YEARS:
            raise CalendarError("no business day in the calendar's range")
        return self._tables_for(block.y0, min(MAX_YEAR, block.y1 + extra))

    def _from_us(self, y: int) -> datetime:
        return (UTC_EPOCH + timedelta(microseconds=y)).astimezone(self.zone)

    # ---------------------------------------------------------------- scalar API

    def add_business_time(self, t: datetime, duration: timedelta) -> datetime:
        """Deadline of ``duration`` business time from ``t`` (CAL-4), in the calendar's zone."""
        try:
            delta = t - UTC_EPOCH
        except TypeError:
            raise naive_error(t) from None
        x = (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds
        y = self._add_us(x, duration_us(duration))
        return (UTC_EPOCH + timedelta(microseconds=y)).astimezone(self.zone)

    def add_business_hours(self, t: datetime, hours: float) -> datetime:
        """``add_business_time(t, timedelta(hours=hours))`` (CAL-4)."""
        return self.add_business_time(t, timedelta(hours=hours))

    def add_business_days(self, t: datetime, n: int) -> datetime:
        """End (24:00 local) of the n-th business day after the day of ``t`` (CAL-5)."""
        return self._from_us(self._end_of_day_us(to_us(t), check_count(n, "business days"), True))

    def add_calendar_days(self, t: datetime, n: int) -> datetime:
        """End (24:00 local) of the n-th day after the day of ``t`` (CAL-6)."""
        return self._from_us(self._end_of_day_us(to_us(t), check_count(n, "calendar days"), False))

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
        number = day_number(day)
        tables = self._tables_for(day.year, day.year)
        k = bisect_left(tables.bdays, number)
        return k < len(tables.bdays) and tables.bdays[k] == number

    # ---------------------------------------------------------------- bulk (NumPy)

    def _cover_many(self, x: I64) -> Tables:
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
        x, as_datetime = instants_us(instants)
        d = durations_us(duration, x.shape)
        return output_as(self._add_many_us(x, d), as_datetime)

    def add_business_days_many(
        self, instants: npt.ArrayLike, n: int | npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`add_business_days` (CAL-5)."""
        x, as_datetime = instants_us(instants)
        return output_as(self._end_of_day_many(x, day_counts(n, x.shape), True), as_datetime)

    def add_calendar_days_many(
        self, instants: npt.ArrayLike, n: int | npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`add_calendar_days` (CAL-6)."""
        x, as_datetime = instants_us(instants)
        return output_as(self._end_of_day_many(x, day_counts(n, x.shape), False), as_datetime)

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
        xa, _ = instants_us(a)
        xb, _ = instants_us(b)
        xa, xb = np.broadcast_arrays(xa, xb)
        tables = self._cover_many(np.concatenate([xa.ravel(), xb.ravel()]))
        return self._elapsed_many(tables, xb) - self._elapsed_many(tables, xa)

    def _elapsed_many(self, tables: Tables, x: I64) -> I64:
        m = tables.search_bounds(x) - 1
        open_ = (m & 1).astype(bool)
        return tables.a_cum[m] + np.where(open_, x - tables.a_bounds[m], 0)

    def next_opening_many(
        self, instants: npt.ArrayLike
    ) -> npt.NDArray[np.int64] | npt.NDArray[np.datetime64]:
        """Bulk :meth:`next_opening`."""
        x, as_datetime = instants_us(instants)
        return output_as(self._add_many_us(x, np.zeros_like(x)), as_datetime)

    def is_open_many(self, instants: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Bulk :meth:`is_open`."""
        x, _ = instants_us(instants)
        tables = self._cover_many(x)
        return ((tables.search_bounds(x) - 1) & 1).astype(bool)

    def utc_offsets_many(self, instants: npt.ArrayLike) -> I64:
        """UTC offset (µs) of the calendar's zone at each instant (to print local times)."""
        x, _ = instants_us(instants)
        tables = self._cover_many(x)
        index = np.searchsorted(tables.a_seg_t, x, side="right") - 1
        return tables.a_seg_o[np.maximum(index, 0)]

    # ---------------------------------------------------------------- description

    def opening_hours(self) -> dict[str, list[tuple[str, str]]]:
        """The weekly opening intervals as ``HH:MM`` pairs, by weekday key."""
        return {
            key: [(clock_text(a), clock_text(b)) for a, b in self.weekly[i]]
            for i, key in enumerate(WEEKDAY_KEYS)
        }

    def holidays_in(self, year: int) -> list[HolidayInfo]:
        """Holidays and extra closed days of a year, with what each does to this calendar."""
        table = self._holiday_table(year, year)
        english = self._holiday_table(year, year, "en_US") if self.worked_names else {}
        found: list[HolidayInfo] = []
        for day, label in sorted(table.items()):
            labels = [normalise_name(p) for p in label.split("; ")]
            labels += [normalise_name(p) for p in english.get(day, "").split("; ") if p]
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
