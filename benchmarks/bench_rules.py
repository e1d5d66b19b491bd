"""Rule engine throughput (issue 7; SPEC MON-2): target ≥ 200,000 samples/s on one core.

Run on demand (not a test):

    .venv/bin/python benchmarks/bench_rules.py                     # 100 servers × 1 day
    .venv/bin/python benchmarks/bench_rules.py --servers 20 --repeat 3   # a quick look

The PreventCare rules are built from the offer (``rules_from_offer``). The samples are
100 servers × the 5 performance counters (cpu, committed memory, page file, disk busy, disk
queue) every minute for one day (720,000 samples), plus a heartbeat per server per hour and
the free space of two volumes per server every hour. Values follow a seeded random walk with
episodes above the thresholds, so alerts go pending, fire, reset and resolve along the way.
The samples are built before the clock starts; each repeat times ``RuleEngine.observe_many``
on a fresh engine followed by ``advance`` to the end of the day, in this process (one core).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livret.core.monitoring import RuleEngine, Sample, engine_settings, rules_from_offer
from livret.core.offer import load_preset

COUNTERS = (
    ("cpu_percent", 95),
    ("memory_committed_percent", 90),
    ("pagefile_percent", 85),
    ("disk_busy_percent", 95),
    ("disk_queue_percent", 95),
)
START = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)


def build_samples(servers: int, minutes: int, seed: int) -> list[Sample]:
    """Samples in time order: counters each minute, heartbeats and free space each hour."""
    rng = random.Random(seed)
    levels = {(s, m): rng.uniform(20, 80) for s in range(servers) for m, _ in COUNTERS}
    names = [f"srv-{s:03d}" for s in range(servers)]
    out: list[Sample] = []
    for minute in range(minutes):
        t = START + timedelta(minutes=minute)
        for s, name in enumerate(names):
            for metric, threshold in COUNTERS:
                level = levels[(s, metric)]
                if rng.random() < 0.002:  # an episode: jump above the threshold
                    level = threshold + rng.uniform(1, 4)
                level = min(100.0, max(0.0, level + rng.gauss(0, 0.8)))
                if level > threshold and rng.random() < 0.03:
                    level = rng.uniform(20, 80)  # the episode ends
                levels[(s, metric)] = level
                out.append(Sample(t, name, metric, level))
            if minute % 60 == s % 60 and rng.random() > 0.01:  # a heartbeat is sometimes lost
                out.append(Sample(t, name, "heartbeat", 1.0))
            if minute % 60 == 30:
                out.append(Sample(t, name, "disk_free_percent:C:", rng.uniform(5, 40)))
                out.append(Sample(t, name, "disk_free_percent:D:", rng.uniform(5, 40)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--minutes", type=int, default=1440)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    offer = load_preset("preventcare").offer
    rules = rules_from_offer(offer)
    settings = engine_settings(offer)
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    samples = build_samples(args.servers, args.minutes, args.seed)
    end = samples[-1].time
    print(f"{len(samples):,} samples ({args.servers} servers, {args.minutes} minutes)")

    rates: list[float] = []
    counts: dict[str, int] = {}
    for _ in range(args.repeat):
        engine = RuleEngine(rules, **settings)
        began = time.perf_counter()
        transitions = engine.observe_many(samples)
        transitions += engine.advance(end)
        elapsed = time.perf_counter() - began
        rates.append(len(samples) / elapsed)
        counts = {}
        for transition in transitions:
            counts[transition.state] = counts.get(transition.state, 0) + 1
    print(f"transitions per run: {counts}")
    print(f"alerts fired per run: {len(engine.history())}")
    median = statistics.median(rates)
    print(
        f"observe_many: median {median:,.0f} samples/s over {args.repeat} repeats "
        f"(best {max(rates):,.0f}, worst {min(rates):,.0f}); target 200,000: "
        + ("met" if median >= 200_000 else "NOT met")
    )
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
