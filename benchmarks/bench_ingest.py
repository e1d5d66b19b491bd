"""Monitoring ingestion (issue 7): 100 simulated agents posting sample batches to the real server.

Target (issue 7): the ingestion API takes 500 samples/s batched from 100 simulated agents on
127.0.0.1, with every sample counted and none lost.

Run on demand (it is not a test; about 3 minutes per database):

    .venv/bin/python benchmarks/bench_ingest.py                        # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_ingest.py --backends sqlite --duration 10 --repeats 1
    .venv/bin/python benchmarks/bench_ingest.py --mode flood           # capacity, unpaced

For each database the script builds a fresh platform in a temporary data directory (``livret
manage migrate``, the five presets, one PreventCare client with 100 servers and one server
token each, made by ``livret.monitoring.tokens``), starts ``livret serve`` (gunicorn, its
defaults: 2 workers x 1 thread) on 127.0.0.1:18092, then runs ``--repeats`` times (3):

* ``paced`` (default): 100 agent threads, each with its own keep-alive ``http.client``
  connection, each sending one batch of ``--batch`` samples (25) every ``agents x batch /
  rate`` seconds (5 s for 500 samples/s), their start times spread over that interval, for
  ``--duration`` seconds (30). Every sample has its own metric and time (cpu, memory, page
  file, disks, free space, latency, VPN, a service, the heartbeat), mostly in normal ranges
  with 1 % of cpu samples above 95 % so that the rule engine records pending alerts.
  A 5-second warm-up of the same load comes first and is not reported.
* ``flood``: the same agents send their next batch as soon as the previous one is answered
  (the server's capacity on this machine, load generator included).

Each run counts the ``Sample`` rows in the database before and after: the difference must be
exactly the samples the server acknowledged (``accepted``) and the samples sent (every answer
200, none duplicate) — none lost, none stored twice. It reports the samples/s accepted over
the run (first send to last answer), batch latency p50/p95/p99, how late the paced agents
fell behind their schedule, the server's CPU time and the load average; the medians of the
repeats are printed last.

PostgreSQL: ``--postgres-url`` (default ``postgres://postgres@127.0.0.1:5432/livret_bench_ingest``);
the database is created and dropped by the script, which refuses any name that does not start
with ``livret_bench`` (the helpers of ``bench_api_filing.py`` are reused).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api_filing import (
    ROOT,
    django_eval,
    livret,
    postgres_database,
    server,
    server_cpu_seconds,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/livret_bench_ingest"
PORT = 18092
PATH = "/api/monitoring/samples"
METRICS = (
    ("cpu_percent", 5, 60),
    ("memory_committed_percent", 30, 70),
    ("pagefile_percent", 5, 40),
    ("disk_busy_percent", 1, 50),
    ("disk_queue_percent", 1, 30),
    ("disk_free_percent:C:", 20, 80),
    ("latency_ms:siege", 5, 80),
    ("vpn_up:siege", 1, 1),
    ("service_running:Spooler", 1, 1),
    ("heartbeat", 1, 1),
)

SETUP = """
import json
from datetime import date
from livret.monitoring.models import Server, Site
from livret.monitoring.tokens import create_server_token
from livret.offers.services import import_builtin_presets
from livret.tenants.models import Client
from livret.tenants.services import create_contract

versions = {{r.version.offer_id: r.version for r in import_builtin_presets()}}
client = Client.objects.create(name="Bench", slug="bench")
contract = create_contract(client=client, reference="P-BENCH",
                           offer_version=versions["preventcare"], start_date=date(2026, 1, 5))
site = Site.objects.create(client=client, contract=contract, name="Bench")
tokens = [create_server_token(Server.objects.create(site=site, hostname=f"bench-{{i:03d}}"))
          for i in range({agents})]
print(json.dumps(tokens))
"""

COUNT = """
from livret.monitoring.models import IngestedBatch, Sample
print(Sample.objects.count(), IngestedBatch.objects.count())
"""


@dataclass
class Tally:
    """What one agent saw."""

    sent: int = 0
    accepted: int = 0
    batches: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    late: float = 0.0  # the worst delay behind the agent's schedule, seconds
    first: float = float("inf")
    last: float = 0.0


def make_batch(rng: random.Random, size: int, interval: float) -> bytes:
    """One batch as an agent sends it: ``size`` samples spread over the last interval."""
    now = datetime.now(UTC)
    samples = []
    for i in range(size):
        metric, low, high = METRICS[i % len(METRICS)]
        value = rng.uniform(low, high) if low != high else float(low)
        if metric == "cpu_percent" and rng.random() < 0.01:
            value = 97.0  # an occasional pending cpu alert
        when = now - timedelta(seconds=interval) + timedelta(seconds=interval * (i + 1) / size)
        samples.append({"time": when.isoformat(), "metric": metric, "value": round(value, 2)})
    body = {"batch_id": str(uuid.uuid4()), "sent_at": now.isoformat(), "samples": samples}
    return json.dumps(body).encode()


def agent(
    index: int,
    token: str,
    args: argparse.Namespace,
    start: float,
    stop: float,
    interval: float,
    tally: Tally,
) -> None:
    """Send batches until ``stop`` (paced: one every ``interval`` seconds from a staggered
    start; flood: back to back)."""
    rng = random.Random(index)
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    due = start + (interval * index / args.agents if args.mode == "paced" else 0.0)
    while True:
        now = time.monotonic()
        if args.mode == "paced":
            if due >= stop:
                break
            if due > now:
                time.sleep(due - now)
            else:
                tally.late = max(tally.late, now - due)
        elif now >= stop:
            break
        body = make_batch(rng, args.batch, interval)
        began = time.monotonic()
        tally.first = min(tally.first, began)
        try:
            connection.request("POST", PATH, body, headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.errors.append(f"{type(error).__name__}: {error}")
            connection.close()
            due += interval
            continue
        ended = time.monotonic()
        tally.last = max(tally.last, ended)
        tally.sent += args.batch
        if response.status != 200:
            tally.errors.append(f"HTTP {response.status}: {raw[:200]!r}")
        else:
            answer = json.loads(raw)
            tally.batches += 1
            tally.accepted += answer["accepted"]
            tally.duplicates += bool(answer["duplicate"])
            tally.latencies.append(ended - began)
        due += interval
    connection.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def one_run(
    tokens: list[str], args: argparse.Namespace, env: dict[str, str], pid: int
) -> dict[str, Any]:
    before_samples, before_batches = map(int, django_eval(COUNT, env).split())
    interval = args.agents * args.batch / args.rate
    tallies = [Tally() for _ in tokens]
    cpu_before = server_cpu_seconds(pid)
    start = time.monotonic() + 1.0
    stop = start + args.duration
    threads = [
        threading.Thread(
            target=agent, args=(i, token, args, start, stop, interval, tallies[i]), daemon=True
        )
        for i, token in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = server_cpu_seconds(pid) - cpu_before
    load = os.getloadavg()
    after_samples, after_batches = map(int, django_eval(COUNT, env).split())
    first = min(t.first for t in tallies)
    last = max(t.last for t in tallies)
    latencies = [x for t in tallies for x in t.latencies]
    accepted = sum(t.accepted for t in tallies)
    errors = [e for t in tallies for e in t.errors]
    return {
        "samples_sent": sum(t.sent for t in tallies),
        "samples_accepted": accepted,
        "samples_stored": after_samples - before_samples,
        "batches": sum(t.batches for t in tallies),
        "batches_stored": after_batches - before_batches,
        "duplicates": sum(t.duplicates for t in tallies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "seconds": last - first,
        "samples_per_s": accepted / (last - first) if last > first else 0.0,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies, default=float("nan")),
        "worst_late_s": max(t.late for t in tallies),
        "server_cpu_ms_per_batch": 1000 * cpu / max(1, sum(t.batches for t in tallies)),
        "load_average": load,
    }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"livret-bench-ingest-{backend}-"))
    env = {
        **os.environ,
        "LIVRET_DATA_DIR": str(data_dir),
        "DATABASE_URL": args.postgres_url if backend == "postgres" else "",
        "LIVRET_DEBUG": "False",
        "PYTHONPATH": str(ROOT),
    }
    database = postgres_database(args.postgres_url) if backend == "postgres" else nullcontext()
    runs: list[dict[str, Any]] = []
    try:
        with database:
            livret("manage", "migrate", "--run-syncdb", "-v", "0", env=env)
            tokens = json.loads(django_eval(SETUP.format(agents=args.agents), env))
            with server(env, PORT, data_dir / "serve.log") as process:
                one_run(
                    tokens, argparse.Namespace(**{**vars(args), "duration": 5}), env, process.pid
                )
                for repeat in range(args.repeats):
                    run = one_run(tokens, args, env, process.pid)
                    runs.append(run)
                    print(f"# {backend} run {repeat + 1}: {json.dumps(run)}", file=sys.stderr)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return {"backend": backend, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--mode", choices=["paced", "flood"], default="paced")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--rate", type=float, default=500.0, help="samples/s in all (paced)")
    parser.add_argument("--batch", type=int, default=25, help="samples per batch")
    parser.add_argument("--duration", type=int, default=30, help="seconds per run (default 30)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    load_start = os.getloadavg()
    results = [run_backend(b.strip(), args) for b in args.backends.split(",") if b.strip()]
    if args.json:
        print(json.dumps({"load_at_start": load_start, "results": results}, indent=2))
        return
    print(
        f"# {os.cpu_count()} cores, Python {platform.python_version()}; {args.agents} agents, "
        f"mode {args.mode}, {args.batch} samples a batch"
        + (f", target {args.rate:.0f} samples/s" if args.mode == "paced" else "")
        + f", {args.duration} s x {args.repeats} runs; load average at start "
        f"{load_start[0]:.2f}"
    )
    print(
        "| database | samples/s accepted (median) | batch p50 ms | batch p95 ms | p99 ms "
        "| sent = acknowledged = stored | errors | worst lag s | server CPU ms/batch "
        "| load average (1 min) |"
    )
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for result in results:
        runs = result["runs"]

        def median(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(r[key] for r in runs)

        exact = all(
            r["samples_sent"] == r["samples_accepted"] == r["samples_stored"]
            and r["batches"] == r["batches_stored"]
            and r["duplicates"] == 0
            for r in runs
        )
        counted = " / ".join(
            f"{r['samples_sent']}={r['samples_accepted']}={r['samples_stored']}" for r in runs
        )
        print(
            f"| {result['backend']} | {median('samples_per_s'):.0f} | {median('p50_ms'):.1f} "
            f"| {median('p95_ms'):.1f} | {median('p99_ms'):.1f} "
            f"| {'yes' if exact else 'NO'} ({counted}) | {sum(r['errors'] for r in runs)} "
            f"| {median('worst_late_s'):.2f} | {median('server_cpu_ms_per_batch'):.1f} "
            f"| {statistics.median(r['load_average'][0] for r in runs):.2f} |"
        )


if __name__ == "__main__":
    main()
