"""Monthly availability benchmark (issue 6; SPEC AVL-1..3, AVL-3b): TD of 1,000 services.

Run on demand (not a test; a few seconds):

    .venv/bin/python benchmarks/bench_availability.py
    .venv/bin/python benchmarks/bench_availability.py --services 10000 --repeat 5

Every service gets 0 to 20 random downtime intervals in and around November 2026 (a few
cross the month's edges): mostly short probe outages of the ``service`` cause, some
maintenance, urgent maintenance, force majeure, client equipment and out-of-perimeter
intervals, some long, many overlapping. Two offers and territories are measured: Q
(metropolitan France) and S in Martinique (its own zone and holidays).

Timed, median of ``--repeat`` runs (and the fastest):

* **bulk**: ``offer_monthly_availability_many`` (NumPy event sweep) for all services;
* **scalar**: ``offer_monthly_availability`` called once per service;
* **cold**: the first bulk call on a calendar built for the occasion (its year tables too).

The two paths must give identical results for every service; the script checks it. Target:
TD for 1,000 services over one month in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from livret.core.availability import (
    CAUSES,
    Downtime,
    monthly_availability_many,
    offer_monthly_availability,
    offer_monthly_availability_many,
)
from livret.core.calendar import BusinessCalendar
from livret.core.offer import Offer, load_preset

YEAR, MONTH = 2026, 11
TARGET_SECONDS = 2.0
CAUSE_WEIGHTS = (60, 15, 5, 5, 10, 5)  # service, maintenance, urgent, force majeure, …


def downtimes_for(
    rng: random.Random, services: int, max_intervals: int
) -> dict[int, list[Downtime]]:
    """Random downtime intervals per service, in and around the month."""
    origin = datetime(YEAR, MONTH, 1, tzinfo=UTC) - timedelta(days=1)
    found: dict[int, list[Downtime]] = {}
    for service in range(services):
        items = []
        for _ in range(rng.randint(0, max_intervals)):
            start = origin + timedelta(seconds=rng.randrange(32 * 86_400))
            if rng.random() < 0.8:
                length = timedelta(seconds=rng.randint(60, 3_600))  # a probe outage
            else:
                length = timedelta(seconds=rng.randint(3_600, 2 * 86_400))
            cause = rng.choices(CAUSES, weights=CAUSE_WEIGHTS)[0]
            items.append(Downtime(start, start + length, cause))
        found[service] = items
    return found


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and fastest wall time of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        runs.append(time.perf_counter() - began)
    return statistics.median(runs), min(runs)


def measure(offer: Offer, territory: str, downtimes: dict[int, list[Downtime]], repeat: int):
    """Bulk, scalar and cold timings for one offer and territory; both paths must agree."""
    assert offer.availability is not None
    bulk = offer_monthly_availability_many(offer, YEAR, MONTH, downtimes, territory)
    for key, items in downtimes.items():
        one = offer_monthly_availability(offer, YEAR, MONTH, items, territory)
        if bulk[key] != one:
            raise SystemExit(f"bulk and scalar differ for service {key}: {bulk[key]} != {one}")
    missed = sum(1 for result in bulk.values() if result.met is False)

    def run_bulk() -> object:
        return offer_monthly_availability_many(offer, YEAR, MONTH, downtimes, territory)

    def run_scalar() -> object:
        return [
            offer_monthly_availability(offer, YEAR, MONTH, items, territory)
            for items in downtimes.values()
        ]

    fresh = BusinessCalendar.from_spec(offer.calendar(offer.availability.calendar), territory)
    began = time.perf_counter()
    monthly_availability_many(
        fresh,
        YEAR,
        MONTH,
        downtimes,
        target=offer.availability.target_percent,
        excluded_causes=offer.availability.excluded_causes,
    )
    cold = time.perf_counter() - began
    bulk_median, bulk_best = timed(run_bulk, repeat)
    scalar_median, scalar_best = timed(run_scalar, repeat)
    return {
        "offer": offer.id,
        "territory": territory,
        "missed_target": missed,
        "bulk_median_s": round(bulk_median, 4),
        "bulk_best_s": round(bulk_best, 4),
        "scalar_median_s": round(scalar_median, 4),
        "scalar_best_s": round(scalar_best, 4),
        "cold_bulk_s": round(cold, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--max-intervals", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", metavar="PATH", help="also write the results here")
    args = parser.parse_args()
    if args.repeat < 5:
        parser.error("--repeat must be at least 5 (medians over several runs)")

    print(f"load average at start: {os.getloadavg()}")
    print(
        f"python {platform.python_version()}, numpy {version('numpy')}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs"
    )
    downtimes = downtimes_for(random.Random(args.seed), args.services, args.max_intervals)
    intervals = sum(len(items) for items in downtimes.values())
    print(f"{args.services} services, {intervals} downtime intervals, {YEAR}-{MONTH:02d}")
    rows = [
        measure(load_preset("quadra-entreprise").offer, "metropole", downtimes, args.repeat),
        measure(load_preset("carrus-saas").offer, "972", downtimes, args.repeat),
    ]
    for row in rows:
        verdict = "OK" if row["bulk_median_s"] < TARGET_SECONDS else "OVER TARGET"
        print(
            f"{row['offer']:<18} {row['territory']:<9} "
            f"bulk {row['bulk_median_s'] * 1000:8.1f} ms (best {row['bulk_best_s'] * 1000:.1f})  "
            f"scalar {row['scalar_median_s'] * 1000:8.1f} ms "
            f"(best {row['scalar_best_s'] * 1000:.1f})  "
            f"cold bulk {row['cold_bulk_s'] * 1000:.1f} ms  "
            f"[{row['missed_target']} missed the target]  {verdict} (< {TARGET_SECONDS:g} s)"
        )
    print(f"load average at end: {os.getloadavg()}")
    if args.json:
        document = {
            "services": args.services,
            "intervals": intervals,
            "repeat": args.repeat,
            "load_average_end": os.getloadavg(),
            "results": rows,
        }
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
