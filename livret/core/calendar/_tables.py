"""The built tables of a calendar: opening pieces in UTC, cumulated business time, zones."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from livret.core.calendar._base import I64, INT64_MAX, INT64_MIN, US_PER_SECOND, UTC_EPOCH


@dataclass(frozen=True)
class Block:
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
class Grid:
    """A fixed-width bucket index over a sorted array: searchsorted without binary search."""

    base: int
    shift: int
    first: npt.NDArray[np.int64]
    steps: int
    padded: I64  # the sorted values followed by a +inf sentinel


def make_grid(values: I64, side: Literal["left", "right"]) -> Grid | None:
    """Index ``values`` by buckets of ``2**shift``; None when a binary search is cheaper."""
    if len(values) < 2:
        return None
    lo = int(values[0])
    span = int(values[-1]) - lo + 1
    best: Grid | None = None
    padded = np.append(values, np.int64(INT64_MAX))
    for shift in range(40, 19, -1):
        size = (span >> shift) + 2
        if size > (1 << 20):
            break
        edges = lo + (np.arange(size + 1, dtype=np.int64) << shift)
        first = np.searchsorted(values, edges, side=side).astype(np.int64)
        steps = int(np.max(np.diff(first)))
        grid = Grid(lo, shift, first, steps, padded)
        if best is None or steps < best.steps:
            best = grid
        if steps <= 1 or size > 4 * len(values):
            break
    if best is not None and best.steps > 4:
        return None
    return best


def grid_search(grid: Grid | None, values: I64, x: I64, side: Literal["left", "right"]) -> I64:
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


class Tables:
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

    def __init__(self, block: Block) -> None:
        self.block = block
        self.d0 = block.d0
        lengths = block.ends - block.starts
        n = len(lengths)
        bounds = np.empty(2 * n + 1, dtype=np.int64)
        bounds[0] = INT64_MIN
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
        self._grids: tuple[Grid | None, Grid | None] | None = None

    def grids(self) -> tuple[Grid | None, Grid | None]:
        """Bucket indexes over ``bounds`` (side right) and ``cum`` (side left), built once."""
        if self._grids is None:
            inner = self.a_bounds[1:]
            bounds_grid = make_grid(inner, "right")
            cum_grid = make_grid(self.a_cum, "left")
            self._grids = (bounds_grid, cum_grid)
        return self._grids

    def search_bounds(self, x: I64) -> I64:
        """``searchsorted(bounds, x, 'right')`` (the -inf sentinel counts as one)."""
        grid = self.grids()[0]
        return grid_search(grid, self.a_bounds[1:], x, "right") + 1

    def search_cum(self, target: I64) -> I64:
        """``searchsorted(cum, target, 'left')``."""
        return grid_search(self.grids()[1], self.a_cum, target, "left")


def offset_us(zone: zoneinfo.ZoneInfo, seconds: int) -> int:
    """UTC offset (µs) of ``zone`` at an epoch second."""
    local = (UTC_EPOCH + timedelta(seconds=seconds)).astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * US_PER_SECOND + offset.microseconds


def segments(zone: zoneinfo.ZoneInfo, first: int, last: int) -> tuple[I64, I64]:
    """Constant-offset segments of ``zone`` over epoch seconds ``[first, last]``.

    Offsets are sampled once per day and every change is located to the second by bisection
    (zone transitions fall on whole seconds). Assumes at most one transition per day.
    """
    times = [first]
    offsets = [offset_us(zone, first)]
    previous_s, previous_o = first, offsets[0]
    sample = first
    while sample < last:
        sample = min(sample + 86_400, last)
        offset = offset_us(zone, sample)
        if offset != previous_o:
            lo, hi = previous_s, sample  # offset(lo) = previous_o, offset(hi) = offset
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_us(zone, mid) == previous_o:
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


def earliest_real(walls: I64, seg_t: I64, seg_o: I64, horizon: int) -> I64:
    """For each wall-clock instant (µs, as if UTC), the earliest real instant showing it or later.

    Exact across DST: a wall time skipped by a spring-forward change maps to the change itself,
    a repeated one to its first occurrence.
    """
    result = np.full(len(walls), INT64_MAX, dtype=np.int64)
    n = len(seg_t)
    for k in range(n):
        t_k = int(seg_t[k])
        t_next = int(seg_t[k + 1]) if k + 1 < n else horizon
        candidate = np.maximum(walls - seg_o[k], t_k)
        valid = candidate < t_next
        np.minimum(result, np.where(valid, candidate, INT64_MAX), out=result)
    return result


def join_blocks(first: Block, second: Block) -> Block:
    """Two adjacent blocks as one (``first`` ends the day before ``second`` starts)."""
    boundary = int(second.dstart[0])
    keep_first = first.seg_t < boundary
    # The segment of ``second`` in force at the boundary starts there; later ones follow.
    k = int(np.searchsorted(second.seg_t, boundary, side="right")) - 1
    seg_t = np.concatenate([first.seg_t[keep_first], [boundary], second.seg_t[k + 1 :]])
    seg_o = np.concatenate([first.seg_o[keep_first], second.seg_o[k:]])
    return Block(
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
