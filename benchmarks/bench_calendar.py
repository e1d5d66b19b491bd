"""Business-time engine benchmark (issue 3, SPEC CAL-7): livret, pandas and businesstimedelta.

Run on demand (it is not a test; the full run takes about fifteen minutes on an idle machine,
mostly in the competitors):

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/bench_calendar.py            # 1,000,000 instants
    .venv/bin/python benchmarks/bench_calendar.py --n 20000  # a quick look

Same 1,000,000 random instants (2025-2027, UTC, microseconds) plus 8 business hours:

* livret bulk and scalar against pandas ``CustomBusinessHour`` on the calendar pandas can
  express: Mon-Fri 09:00-12:30 and 14:00-17:30, metropolitan holidays, Europe/Paris. Pandas
  rolls a result that lands exactly on a closing time to the next opening (documented
  ``BusinessHour`` convention); livret keeps the closing instant (CAL-4). Such answers are
  counted apart, every other difference is reported. A second pass adds 7 hours, which from a
  closed instant always ends on a closing time, to show that convention at work.
* livret against ``businesstimedelta`` on the per-weekday Q support calendar (Friday closes at
  17:00), which pandas cannot express.
* building one calendar covering ten years: time (warm process, and a fresh process) and
  memory (tracemalloc).

Side by side: the competitors run over the instants in chunks, and before each chunk livret's
bulk call (on all the instants) and scalar call (on a fixed sample) are timed again. Ratios are
the median over chunks of competitor time / livret time measured at the same moment, so a
machine that other work slows down for a while slows both sides alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("numpy", "pandas", "businesstimedelta", "holidays"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def repeat_times(func: Callable[[], object], repeat: int) -> list[float]:
    return [timed(func) for _ in range(repeat)]


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


class Livret:
    """livret's bulk call on all the instants and scalar call on a sample, timed on demand."""

    def __init__(self, calendar: BusinessCalendar, xs: np.ndarray, scalar_n: int) -> None:
        self.calendar = calendar
        self.xs = xs
        self.instants = [to_dt(int(x)) for x in xs[:scalar_n]]
        calendar.add_business_time_many(xs, EIGHT_HOURS)  # build the years and the bulk index

    def bulk_per_element(self) -> float:
        return timed(lambda: self.calendar.add_business_time_many(self.xs, EIGHT_HOURS)) / len(
            self.xs
        )

    def scalar_per_call(self) -> float:
        add = self.calendar.add_business_time

        def run() -> None:
            for instant in self.instants:
                add(instant, EIGHT_HOURS)

        return timed(run) / len(self.instants)


def chunks(n: int, size: int) -> list[slice]:
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    """Medians over chunks of each timing and of each competitor / livret ratio."""
    keys = rows[0].keys()
    return {key: statistics.median(row[key] for row in rows) for key in keys}


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


def bench_pandas(livret: Livret, args: argparse.Namespace) -> dict[str, Any]:
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

    xs = livret.xs
    ours = livret.calendar
    eight = offset(8)
    index = pd.DatetimeIndex(xs.astype("datetime64[us]"), tz="UTC").tz_convert("Europe/Paris")
    stamps = [index[i] for i in range(min(args.pandas_scalar_n, len(index)))]

    def pandas_scalar() -> None:
        for stamp in stamps:
            stamp + eight

    theirs = np.empty(len(xs), dtype=np.int64)
    rows: list[dict[str, float]] = []
    total = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PerformanceWarning: BusinessHour is not vectorized
        for part in chunks(len(xs), args.pandas_chunk):
            livret_bulk = livret.bulk_per_element()
            livret_scalar = livret.scalar_per_call()
            scalar = timed(pandas_scalar) / len(stamps)
            start = time.perf_counter()
            result = index[part] + eight
            seconds = time.perf_counter() - start
            total += seconds
            theirs[part] = result.tz_convert("UTC").tz_localize(None).as_unit("us").asi8
            bulk = seconds / len(result)
            rows.append(
                {
                    "pandas_bulk_us": bulk * 1e6,
                    "pandas_scalar_us": scalar * 1e6,
                    "livret_bulk_us": livret_bulk * 1e6,
                    "livret_scalar_us": livret_scalar * 1e6,
                    "bulk_ratio": bulk / livret_bulk,
                    "scalar_ratio": scalar / livret_scalar,
                }
            )
        # + 7 hours from a closed instant (night, lunch, weekend) ends on a closing time:
        # this is where pandas' roll-at-close shows.
        few = xs[: args.roll_n]
        theirs7 = (index[: args.roll_n] + offset(7)).tz_convert("UTC").tz_localize(None)
    mine = np.asarray(ours.add_business_time_many(xs, EIGHT_HOURS))
    mine7 = np.asarray(ours.add_business_time_many(few, dt.timedelta(hours=7)))
    return {
        "seconds": total,
        "chunks": len(rows),
        **summary(rows),
        **_compare_pandas(ours, xs, mine, theirs),
        "plus_7h": {"n": len(few), **_compare_pandas(ours, few, mine7, theirs7.as_unit("us").asi8)},
    }


def bench_btd(livret: Livret, args: argparse.Namespace) -> dict[str, Any]:
    import businesstimedelta as btd
    import pytz

    paris = pytz.timezone("Europe/Paris")
    rules = btd.Rules(
        [
            btd.WorkDayRule(dt.time(9), dt.time(12, 30), [0, 1, 2, 3, 4], tz=paris),
            btd.WorkDayRule(dt.time(14), dt.time(17, 30), [0, 1, 2, 3], tz=paris),
            btd.WorkDayRule(dt.time(14), dt.time(17), [4], tz=paris),
            btd.HolidayRule(frozenset(holiday_dates()), tz=paris),  # a set: its fastest form
        ]
    )
    delta = btd.BusinessTimeDelta(rules, hours=8)
    xs = livret.xs
    theirs = np.empty(len(xs), dtype=np.int64)
    rows: list[dict[str, float]] = []
    total = 0.0
    for part in chunks(len(xs), args.btd_chunk):
        livret_bulk = livret.bulk_per_element()
        livret_scalar = livret.scalar_per_call()
        instants = [to_dt(int(x)) for x in xs[part]]
        start = time.perf_counter()
        answers = [instant + delta for instant in instants]
        seconds = time.perf_counter() - start
        total += seconds
        theirs[part] = [to_us(answer) for answer in answers]
        per = seconds / len(instants)
        rows.append(
            {
                "btd_us": per * 1e6,
                "livret_bulk_us": livret_bulk * 1e6,
                "livret_scalar_us": livret_scalar * 1e6,
                "bulk_ratio": per / livret_bulk,
                "scalar_ratio": per / livret_scalar,
            }
        )
    mine = np.asarray(livret.calendar.add_business_time_many(xs, EIGHT_HOURS))
    other = np.flatnonzero(theirs != mine)
    return {
        "seconds": total,
        "chunks": len(rows),
        **summary(rows),
        "agree": int(len(xs) - len(other)),
        "differences": len(other),
        "examples": [
            {
                "from": str(to_dt(int(xs[i]))),
                "livret": str(to_dt(int(mine[i]))),
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

    seconds = statistics.median(repeat_times(build, repeat))
    seconds_index = statistics.median(repeat_times(build_with_index, repeat))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    kept.add_business_time_many(np.array([LO], dtype=np.int64), EIGHT_HOURS)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    cold = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", _COLD], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    return {
        "build_ms": seconds * 1e3,
        "build_with_bulk_index_ms": seconds_index * 1e3,
        "retained_mb": (current - before) / 1e6,
        "peak_mb": (peak - before) / 1e6,
        **{key: statistics.median(run[key] for run in cold) for key in cold[0]},
    }


# A fresh process: import livret's calendar module, then build the first calendar (which loads
# the ``holidays`` package's country modules), then build a second one.
_COLD = """
import json, time
t0 = time.perf_counter()
from livret.core.calendar import BusinessCalendar
from livret.core.offer import load_preset
spec = load_preset("quadra-entreprise").offer.calendars["support"]
t1 = time.perf_counter()
BusinessCalendar.from_spec(spec).build_years(2025, 2034)
t2 = time.perf_counter()
BusinessCalendar.from_spec(spec).build_years(2025, 2034)
t3 = time.perf_counter()
print(json.dumps({"cold_import_ms": (t1 - t0) * 1e3, "cold_first_build_ms": (t2 - t1) * 1e3,
                  "cold_second_build_ms": (t3 - t2) * 1e3}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="random instants")
    parser.add_argument("--scalar-n", type=int, default=20_000, help="livret scalar calls timed")
    parser.add_argument("--pandas-scalar-n", type=int, default=1_000, help="pandas scalar calls")
    parser.add_argument("--pandas-chunk", type=int, default=50_000)
    parser.add_argument("--btd-chunk", type=int, default=20_000)
    parser.add_argument(
        "--roll-n", type=int, default=100_000, help="instants + 7 h to show pandas' roll-at-close"
    )
    parser.add_argument("--repeat", type=int, default=7, help="repeats of the livret-only timings")
    parser.add_argument("--skip-competitors", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()

    info = machine()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    print("command:", " ".join([os.path.relpath(sys.executable), *sys.argv]))
    print("load average at start (1, 5, 15 min):", os.getloadavg())
    rng = np.random.default_rng(20260310)
    xs = rng.integers(LO, HI, args.n, dtype=np.int64)
    results: dict[str, Any] = {"machine": info, "n": args.n, "load_start": os.getloadavg()}

    simple = Livret(pandas_calendar(), xs, args.scalar_n)
    support = Livret(
        calendar_for(load_preset("quadra-entreprise").offer, "support"), xs, args.scalar_n
    )
    # Scalar and bulk give the same answers (the test suite checks it too).
    bulk = np.asarray(support.calendar.add_business_time_many(xs, EIGHT_HOURS))
    for i in rng.choice(args.n, min(args.n, 20_000), replace=False):
        due = support.calendar.add_business_time(to_dt(int(xs[i])), EIGHT_HOURS)
        assert to_us(due) == bulk[i]

    for label, livret in (("simple", simple), ("support", support)):
        bulk_times = [livret.bulk_per_element() for _ in range(args.repeat)]
        scalar_times = [livret.scalar_per_call() for _ in range(args.repeat)]
        bulk_median, scalar_median = statistics.median(bulk_times), statistics.median(scalar_times)
        results[f"livret_{label}"] = {
            "bulk_per_second": 1 / bulk_median,
            "bulk_per_second_best": 1 / min(bulk_times),
            "scalar_us": scalar_median * 1e6,
            "scalar_us_best": min(scalar_times) * 1e6,
        }
        print(
            f"livret {label:8s} bulk: {bulk_median * args.n * 1e3:7.1f} ms for {args.n:,} = "
            f"{1 / bulk_median / 1e6:6.2f} M additions/s (best {1 / min(bulk_times) / 1e6:.2f}); "
            f"scalar: {scalar_median * 1e6:.2f} µs/call (best {min(scalar_times) * 1e6:.2f})"
        )

    build = bench_build(20)
    results["build"] = build
    print(
        f"build 10 years (2025-2034, Q support): {build['build_ms']:.1f} ms "
        f"({build['build_with_bulk_index_ms']:.1f} ms with the bulk index), "
        f"retained {build['retained_mb']:.2f} MB, peak {build['peak_mb']:.2f} MB; fresh process: "
        f"import {build['cold_import_ms']:.0f} ms, first build {build['cold_first_build_ms']:.1f}"
        f" ms, second build {build['cold_second_build_ms']:.1f} ms"
    )

    if not args.skip_competitors:
        print(f"pandas CustomBusinessHour on {args.n:,} instants …", flush=True)
        pandas = bench_pandas(simple, args)
        results["pandas"] = pandas
        print(
            f"pandas: {pandas['seconds']:.1f} s in {pandas['chunks']} chunks; medians per chunk: "
            f"pandas bulk {pandas['pandas_bulk_us']:.1f} µs/element vs livret bulk "
            f"{pandas['livret_bulk_us'] * 1e3:.1f} ns → ×{pandas['bulk_ratio']:,.0f}; "
            f"pandas scalar {pandas['pandas_scalar_us']:.1f} µs vs livret scalar "
            f"{pandas['livret_scalar_us']:.2f} µs → ×{pandas['scalar_ratio']:,.0f}"
        )
        print(
            f"pandas agreement, + 8 h: {pandas['agree']:,} equal, {pandas['roll_at_close']:,} "
            f"differ only by pandas' roll-at-close, {pandas['other_differences']:,} other "
            f"differences {pandas['examples']}"
        )
        seven = pandas["plus_7h"]
        print(
            f"pandas agreement, + 7 h on {seven['n']:,} instants: {seven['agree']:,} equal, "
            f"{seven['roll_at_close']:,} differ only by pandas' roll-at-close, "
            f"{seven['other_differences']:,} other differences {seven['examples']}"
        )
        print(f"businesstimedelta on {args.n:,} instants …", flush=True)
        btd = bench_btd(support, args)
        results["businesstimedelta"] = btd
        print(
            f"businesstimedelta: {btd['seconds']:.1f} s in {btd['chunks']} chunks; medians per "
            f"chunk: {btd['btd_us']:.1f} µs/element vs livret bulk "
            f"{btd['livret_bulk_us'] * 1e3:.1f} ns → ×{btd['bulk_ratio']:,.0f}, livret scalar "
            f"{btd['livret_scalar_us']:.2f} µs → ×{btd['scalar_ratio']:,.0f}"
        )
        print(
            f"businesstimedelta agreement: {btd['agree']:,} equal, {btd['differences']:,} "
            f"different {btd['examples']}"
        )
    results["load_end"] = os.getloadavg()
    print("load average at end (1, 5, 15 min):", os.getloadavg())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
