"""Business-time engine benchmark (issue 3, SPEC CAL-7): livret, pandas and businesstimedelta.

Run on demand (it is not a test; the full run takes about twenty minutes, mostly in the
competitors):

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_calendar.py            # 1,000,000 instants
    .venv/bin/python benchmarks/bench_calendar.py --n 20000  # a quick look

Same 1,000,000 random instants (2025-2027, UTC, microseconds) plus 8 business hours:

* livret bulk and scalar against pandas ``CustomBusinessHour`` on the calendar pandas can
  express: Mon-Fri 09:00-12:30 and 14:00-17:30, metropolitan holidays, Europe/Paris. Pandas
  rolls a result that lands exactly on a closing time to the next opening (documented
  ``BusinessHour`` convention); livret keeps the closing instant (CAL-4). Such answers are
  counted apart, every other difference is reported.
* livret against ``businesstimedelta`` on the per-weekday Q support calendar (Friday closes at
  17:00), which pandas cannot express.
* building one calendar covering ten years: time (warm process) and memory (tracemalloc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from livret.core.calendar import BusinessCalendar, calendar_for
from livret.core.offer import load_preset

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
EIGHT_HOURS = dt.timedelta(hours=8)
LO = int(dt.datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * US
HI = int(dt.datetime(2028, 1, 1, tzinfo=UTC).timestamp()) * US


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "pandas", "businesstimedelta", "holidays"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = "absent"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


BEST: dict[str, float] = {}  # fastest repeat of each livret timing (the machine may be shared)


def median_time(func: Callable[[], object], repeat: int, label: str = "") -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    if label:
        BEST[label] = min(times)
    return statistics.median(times)


def to_dt(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def to_us(value: dt.datetime) -> int:
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def pandas_calendar() -> BusinessCalendar:
    """The calendar CustomBusinessHour can express (same hours every weekday)."""
    day = [(9 * 60, 12 * 60 + 30), (14 * 60, 17 * 60 + 30)]
    return BusinessCalendar(
        dict.fromkeys(range(5), day), timezone="Europe/Paris", territory="metropole"
    )


def holiday_dates() -> list[dt.date]:
    import holidays

    return sorted(holidays.country_holidays("FR", years=range(2024, 2031)))


def scalar_livret(calendar: BusinessCalendar, xs: np.ndarray, repeat: int, label: str) -> float:
    instants = [to_dt(int(x)) for x in xs]
    add = calendar.add_business_time

    def run() -> None:
        for instant in instants:
            add(instant, EIGHT_HOURS)

    return median_time(run, repeat, label) / len(instants)


def _compare_pandas(
    ours: BusinessCalendar, xs: np.ndarray, mine: np.ndarray, theirs: np.ndarray
) -> dict[str, Any]:
    """Equal answers, answers that differ only by pandas' roll-at-close, other differences."""
    equal = theirs == mine
    differing = np.flatnonzero(~equal)
    # Pandas' roll-at-close: our due is a closing instant (CAL-4), theirs the next opening.
    closing = ~ours.is_open_many(mine[differing])
    rolled = ours.next_opening_many(mine[differing]) == theirs[differing]
    roll = differing[closing & rolled]
    other = differing[~(closing & rolled)]
    return {
        "agree": int(equal.sum()),
        "roll_at_close": len(roll),
        "other_differences": len(other),
        "examples": [
            {
                "from": str(to_dt(int(xs[i]))),
                "livret": str(to_dt(int(mine[i]))),
                "pandas": str(to_dt(int(theirs[i]))),
            }
            for i in other[:5]
        ],
    }


def bench_pandas(
    ours: BusinessCalendar, xs: np.ndarray, ours_bulk: np.ndarray, scalar_n: int, roll_n: int
) -> dict[str, Any]:
    import pandas as pd
    from pandas.tseries.offsets import CustomBusinessHour

    def offset(hours: int) -> CustomBusinessHour:
        return CustomBusinessHour(
            n=hours,
            start=["09:00", "14:00"],
            end=["12:30", "17:30"],
            holidays=holiday_dates(),
            weekmask="Mon Tue Wed Thu Fri",
        )

    eight = offset(8)
    index = pd.DatetimeIndex(xs.astype("datetime64[us]"), tz="UTC").tz_convert("Europe/Paris")

    def pandas_add(stamps: pd.DatetimeIndex, hours: int) -> tuple[np.ndarray, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PerformanceWarning: not vectorized
            start = time.perf_counter()
            result = stamps + (eight if hours == 8 else offset(hours))
            seconds = time.perf_counter() - start
        return result.tz_convert("UTC").tz_localize(None).as_unit("us").asi8, seconds

    theirs, bulk_seconds = pandas_add(index, 8)
    compared = _compare_pandas(ours, xs, ours_bulk, theirs)
    # + 7 hours from a closed instant (night, lunch, weekend) always ends on a closing time:
    # this is where pandas' roll-at-close shows.
    few = xs[:roll_n]
    theirs7, _ = pandas_add(index[:roll_n], 7)
    mine7 = ours.add_business_time_many(few, dt.timedelta(hours=7))
    compared7 = _compare_pandas(ours, few, np.asarray(mine7), theirs7)
    stamps = [index[i] for i in range(min(scalar_n, len(index)))]

    def run() -> None:
        for stamp in stamps:
            stamp + eight

    scalar = median_time(run, 3) / len(stamps)
    return {
        "bulk_seconds": bulk_seconds,
        "bulk_per_element_us": bulk_seconds / len(xs) * 1e6,
        "scalar_us": scalar * 1e6,
        **compared,
        "plus_7h": {"n": len(few), **compared7},
    }


def bench_btd(xs: np.ndarray, ours_bulk: np.ndarray) -> dict[str, Any]:
    import businesstimedelta as btd
    import pytz

    paris = pytz.timezone("Europe/Paris")
    rules = btd.Rules(
        [
            btd.WorkDayRule(dt.time(9), dt.time(12, 30), [0, 1, 2, 3, 4], tz=paris),
            btd.WorkDayRule(dt.time(14), dt.time(17, 30), [0, 1, 2, 3], tz=paris),
            btd.WorkDayRule(dt.time(14), dt.time(17), [4], tz=paris),
            btd.HolidayRule(frozenset(holiday_dates()), tz=paris),
        ]
    )
    delta = btd.BusinessTimeDelta(rules, hours=8)
    instants = [to_dt(int(x)) for x in xs]
    start = time.perf_counter()
    theirs = np.array([to_us(instant + delta) for instant in instants], dtype=np.int64)
    seconds = time.perf_counter() - start
    other = np.flatnonzero(theirs != ours_bulk)
    return {
        "seconds": seconds,
        "per_element_us": seconds / len(xs) * 1e6,
        "agree": int(len(xs) - len(other)),
        "differences": len(other),
        "examples": [
            {
                "from": str(to_dt(int(xs[i]))),
                "livret": str(to_dt(int(ours_bulk[i]))),
                "businesstimedelta": str(to_dt(int(theirs[i]))),
            }
            for i in other[:5]
        ],
    }


def bench_build(repeat: int) -> dict[str, float]:
    spec = load_preset("quadra-entreprise").offer.calendars["support"]
    BusinessCalendar.from_spec(spec).build_years(2000, 2000)  # warm: holidays' lazy imports

    def build() -> BusinessCalendar:
        calendar = BusinessCalendar.from_spec(spec)
        calendar.build_years(2025, 2034)
        return calendar

    def build_with_index() -> None:
        calendar = build()
        calendar.add_business_time_many(np.array([LO], dtype=np.int64), EIGHT_HOURS)

    seconds = median_time(build, repeat)
    seconds_index = median_time(build_with_index, repeat)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    kept.add_business_time_many(np.array([LO], dtype=np.int64), EIGHT_HOURS)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    cold = subprocess.run(
        [sys.executable, "-c", _COLD],
        capture_output=True,
        text=True,
        check=True,
    )
    cold_times = json.loads(cold.stdout)
    return {
        "build_ms": seconds * 1e3,
        "build_with_bulk_index_ms": seconds_index * 1e3,
        "retained_mb": (current - before) / 1e6,
        "peak_mb": (peak - before) / 1e6,
        **cold_times,
    }


_COLD = """
import json, time
t0 = time.perf_counter()
from livret.core.calendar import BusinessCalendar
from livret.core.offer import load_preset
spec = load_preset("quadra-entreprise").offer.calendars["support"]
t1 = time.perf_counter()
BusinessCalendar.from_spec(spec).build_years(2025, 2034)
t2 = time.perf_counter()
print(json.dumps({"cold_import_ms": (t1 - t0) * 1e3, "cold_first_build_ms": (t2 - t1) * 1e3}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="random instants")
    parser.add_argument("--scalar-n", type=int, default=200_000, help="scalar calls timed")
    parser.add_argument("--pandas-scalar-n", type=int, default=20_000)
    parser.add_argument(
        "--roll-n", type=int, default=100_000, help="instants + 7 h to show pandas' roll-at-close"
    )
    parser.add_argument("--repeat", type=int, default=7, help="repeats of the livret timings")
    parser.add_argument("--skip-competitors", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()

    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    print("command:", " ".join([os.path.relpath(sys.executable), *sys.argv]))
    print("load average at start (1, 5, 15 min):", os.getloadavg())
    rng = np.random.default_rng(20260310)
    xs = rng.integers(LO, HI, args.n, dtype=np.int64)
    results: dict[str, object] = {"machine": info, "n": args.n}

    simple = pandas_calendar()
    support = calendar_for(load_preset("quadra-entreprise").offer, "support")
    for calendar in (simple, support):
        calendar.add_business_time_many(xs, EIGHT_HOURS)  # build years and the bulk index
    ours_simple = simple.add_business_time_many(xs, EIGHT_HOURS)
    ours_support = support.add_business_time_many(xs, EIGHT_HOURS)
    assert isinstance(ours_simple, np.ndarray) and isinstance(ours_support, np.ndarray)

    livret: dict[str, float] = {}
    for label, calendar in (("simple", simple), ("support", support)):
        bulk = median_time(
            functools.partial(calendar.add_business_time_many, xs, EIGHT_HOURS), args.repeat, label
        )
        scalar = scalar_livret(calendar, xs[: args.scalar_n], 5, f"scalar {label}")
        best_scalar = BEST[f"scalar {label}"] / args.scalar_n
        livret[f"{label}_bulk_seconds"] = bulk
        livret[f"{label}_bulk_per_second"] = args.n / bulk
        livret[f"{label}_scalar_us"] = scalar * 1e6
        print(
            f"livret {label:8s} bulk: {bulk * 1e3:8.1f} ms for {args.n:,} "
            f"= {args.n / bulk / 1e6:6.2f} M additions/s (best {args.n / BEST[label] / 1e6:.2f});"
            f" scalar: {scalar * 1e6:5.2f} µs/call (best {best_scalar * 1e6:.2f})"
        )
    # Scalar and bulk give the same answers (the test suite checks it too).
    sample = rng.choice(args.n, min(args.n, 20_000), replace=False)
    for i in sample:
        assert to_us(support.add_business_time(to_dt(int(xs[i])), EIGHT_HOURS)) == ours_support[i]
    results["livret"] = livret

    build = bench_build(20)
    results["build"] = build
    print(
        f"build 10 years (2025-2034, Q support): {build['build_ms']:.1f} ms "
        f"({build['build_with_bulk_index_ms']:.1f} ms with the bulk index), "
        f"retained {build['retained_mb']:.2f} MB, peak {build['peak_mb']:.2f} MB; "
        f"cold process: import {build['cold_import_ms']:.0f} ms, "
        f"first build {build['cold_first_build_ms']:.1f} ms"
    )

    if not args.skip_competitors:
        print(f"pandas CustomBusinessHour on {args.n:,} instants …", flush=True)
        pandas = bench_pandas(simple, xs, ours_simple, args.pandas_scalar_n, args.roll_n)
        results["pandas"] = pandas
        ours_us = livret["simple_bulk_seconds"] / args.n * 1e6
        print(
            f"pandas bulk: {pandas['bulk_seconds']:.1f} s = {pandas['bulk_per_element_us']:.1f} µs"
            f"/element → livret bulk is {pandas['bulk_per_element_us'] / ours_us:,.0f}× faster; "
            f"pandas scalar {pandas['scalar_us']:.1f} µs → livret scalar is "
            f"{pandas['scalar_us'] / livret['simple_scalar_us']:,.0f}× faster"
        )
        print(
            f"pandas agreement: {pandas['agree']:,} equal, {pandas['roll_at_close']:,} differ only "
            f"by pandas' roll-at-close, {pandas['other_differences']:,} other differences "
            f"{pandas['examples']}"
        )
        seven = pandas["plus_7h"]
        print(
            f"pandas agreement, + 7 h on {seven['n']:,} instants: {seven['agree']:,} equal, "
            f"{seven['roll_at_close']:,} differ only by pandas' roll-at-close, "
            f"{seven['other_differences']:,} other differences {seven['examples']}"
        )
        print(f"businesstimedelta on {args.n:,} instants …", flush=True)
        btd = bench_btd(xs, ours_support)
        results["businesstimedelta"] = btd
        ours_support_us = livret["support_bulk_seconds"] / args.n * 1e6
        print(
            f"businesstimedelta: {btd['seconds']:.1f} s = {btd['per_element_us']:.1f} µs/element"
            f" → livret bulk is {btd['per_element_us'] / ours_support_us:,.0f}× faster, livret "
            f"scalar {btd['per_element_us'] / livret['support_scalar_us']:,.0f}× faster"
        )
        print(
            f"businesstimedelta agreement: {btd['agree']:,} equal, {btd['differences']:,} "
            f"different {btd['examples']}"
        )
    results["load_average_end"] = os.getloadavg()
    print("load average at end (1, 5, 15 min):", os.getloadavg())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
