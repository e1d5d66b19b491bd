"""SLA recompute and breach scan benchmark (issue 4; SPEC REQ-4, REQ-6, REQ-6b, REQ-7).

Run on demand (not a test):

    .venv/bin/python benchmarks/bench_sla.py                    # both parts, SQLite + PostgreSQL
    .venv/bin/python benchmarks/bench_sla.py --requests 20000 --scan-rows 100000 --no-postgres
    .venv/bin/python benchmarks/bench_sla.py --write-docs       # append the results section
                                                                # to docs/performance.md

1. **Recompute.** A fresh SQLite file database (migrated, in a temporary ``LIVRET_DATA_DIR``)
   receives 100,000 open requests with realistic, hash-chained event histories (registered,
   taken in charge, qualified, some waiting for the client and answered, some delivered) on six
   contracts (Q metropole and Alsace-Moselle, E Open and Private, C, S in Martinique), written
   with ``bulk_create``. ``livret.support.recompute.recompute_all`` then recomputes every stored
   deadline (median of ``--repeat`` runs), and a sample is checked against the scalar path
   (``services.recompute``, one request at a time): they must be equal.
2. **Breach scan.** 1,000,000 open requests (minimal columns, one ``INSERT … SELECT``), then the
   worker's scan query with ``EXPLAIN QUERY PLAN`` on SQLite and ``EXPLAIN ANALYZE`` on
   PostgreSQL (database ``livret_bench``, created and dropped here; ``--postgres`` to change the
   server). Both plans must use the partial index ``request_next_alert``.

Each part runs in a child process (Django reads its database from the environment).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/livret_bench"
SCAN_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
RECOMPUTE_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


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
    from importlib.metadata import version

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "django": version("django"),
        "numpy": version("numpy"),
        "sqlite": __import__("sqlite3").sqlite_version,
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


# --------------------------------------------------------------------------- children


def setup_django(migrate: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def fixtures() -> dict[str, Any]:
    """Presets, one client with six contracts, a filer and a technician."""
    from django.contrib.auth import get_user_model

    from livret.offers.services import import_builtin_presets
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
    client = Client.objects.create(name="Bench", slug="bench")
    contracts = [
        create_contract(
            client=client,
            reference=f"B-{i}",
            offer_version=versions[offer],
            formula=formula,
            territory=territory,
            start_date=date(2026, 1, 5),
        )
        for i, (offer, formula, territory) in enumerate(
            [
                ("quadra-entreprise", None, "metropole"),
                ("quadra-entreprise", None, "6AE"),
                ("expert-on-demand", "open", "metropole"),
                ("expert-on-demand", "private", "metropole"),
                ("eksae-contact", None, "metropole"),
                ("carrus-saas", None, "972"),
            ]
        )
    ]
    users = get_user_model()
    filer = users.objects.create_user("bench-filer", email="filer@bench.test")
    tech = users.objects.create_user("bench-tech", email="tech@bench.test")
    Membership.objects.create(user=filer, client=client, role=Role.CLIENT_USER)
    Membership.objects.create(user=tech, client=None, role=Role.TECHNICIAN)
    return {"client": client, "contracts": contracts, "filer": filer, "tech": tech}


def history(rng: random.Random, start: datetime) -> tuple[str, list[tuple[str, datetime, dict]]]:
    """A realistic open request: its state and its events (kind, instant, data)."""
    priority = rng.choice(["critical", "high", "moderate", "moderate"])
    events: list[tuple[str, datetime, dict]] = [
        ("registered", start, {"priority": priority, "kind": "anomaly", "channel": "portal"})
    ]
    t = start
    stage = rng.random()
    if stage < 0.15:
        return "registered", events
    t += timedelta(minutes=rng.randrange(10, 600))
    events.append(("taken-in-charge", t, {"assignee": "Technicien (éditeur)"}))
    if stage < 0.30:
        return "taken-in-charge", events
    t += timedelta(minutes=rng.randrange(10, 300))
    criticity = rng.choice([1, 2, 2, 3])
    events.append(("qualified", t, {"criticity": criticity}))
    if rng.random() < 0.3:
        events.append(("comment", t + timedelta(minutes=5), {"comment": 0, "internal": False}))
    if stage < 0.55:
        return "qualified", events
    t += timedelta(minutes=rng.randrange(10, 600))
    events.append(("waiting-for-client", t, {"question": "Quelle version ?"}))
    if stage < 0.65:
        return "waiting-for-client", events
    t += timedelta(minutes=rng.randrange(30, 3000))
    events.append(("client-answered", t, {"text": "V8"}))
    if stage < 0.80:
        return "qualified", events
    t += timedelta(minutes=rng.randrange(30, 3000))
    if criticity == 1:
        events.append(("action-plan-delivered", t, {"text": "Plan"}))
        return "action-plan-delivered", events
    events.append(("fix-delivered", t, {"text": "Correctif", "workaround": False}))
    return "awaiting-validation", events


def chained_events(request: Any, story: list[tuple[str, datetime, dict]]) -> list[Any]:
    """The request's events (kind, instant, data) as hash-chained rows, not saved; the
    request's head of chain is set (REQ-11)."""
    from livret.core.audit import GENESIS, event_hash
    from livret.support import services
    from livret.support.models import RequestEvent

    events, prev = [], GENESIS
    for seq, (kind, at, data) in enumerate(story, start=1):
        event = RequestEvent(
            request=request,
            seq=seq,
            at=at,
            kind=kind,
            actor_label="Technicien (éditeur)" if seq > 1 else "Client",
            data=data,
            prev_hash=prev,
        )
        event.hash = prev = event_hash(prev, services.event_payload(event))
        events.append(event)
    request.last_event_hash = prev
    return events


def populate(n: int, seed: int = 2026) -> dict[str, float]:
    """n open requests with hash-chained events, written with bulk_create."""
    from livret.support.models import Request, RequestEvent, SlaAlert

    rng = random.Random(seed)
    base = fixtures()
    contracts, filer, tech = base["contracts"], base["filer"], base["tech"]
    began = time.perf_counter()
    requests: list[Request] = []
    events: list[RequestEvent] = []
    alerts: list[SlaAlert] = []
    t0 = datetime(2026, 1, 5, 8, 0, tzinfo=PARIS)
    for pk in range(1, n + 1):
        start = (t0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 320))).astimezone(UTC)
        state, story = history(rng, start)
        contract = contracts[pk % len(contracts)]
        criticity = next((d["criticity"] for k, _, d in story if k == "qualified"), None)
        request = Request(
            pk=pk,
            number=f"DEM-{start.year}-{pk:06d}",
            client_id=contract.client_id,
            contract=contract,
            kind="anomaly" if pk % 10 else "usage-question",
            channel="portal",
            state=state,
            title=f"Demande {pk}",
            description="Banc d'essai",
            priority=story[0][2]["priority"],
            criticity=criticity,
            filer=filer,
            filer_email=filer.email,
            assignee=tech if len(story) > 1 else None,
            registered_at=start,
            picked_up_at=story[1][1] if len(story) > 1 else None,
            event_count=len(story),
        )
        events += chained_events(request, story)
        requests.append(request)
        if pk % 7 == 0:
            alerts.append(
                SlaAlert(
                    request_id=pk,
                    clock="pickup",
                    level="warning",
                    crossed_at=start,
                    created_at=start,
                )
            )
    built = time.perf_counter()
    Request.objects.bulk_create(requests, batch_size=2000)
    RequestEvent.objects.bulk_create(events, batch_size=5000)
    SlaAlert.objects.bulk_create(alerts, batch_size=5000)
    return {
        "requests": n,
        "events": len(events),
        "alerts": len(alerts),
        "build_s": round(built - began, 1),
        "write_s": round(time.perf_counter() - built, 1),
    }


def child_recompute(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    from django.db import connection

    from livret.support import recompute, services
    from livret.support.models import Request

    filled = populate(args.requests)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    runs: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for batch in (1000, 5000):
        times, cpu_times = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            count = recompute.recompute_all(RECOMPUTE_NOW, batch=batch)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - started_cpu)
            assert count == args.requests, count
        runs[str(batch)] = times
        cpu[str(batch)] = cpu_times
    # the bulk path gives what the scalar path (one request at a time) gives
    rng = random.Random(7)
    sample = rng.sample(range(1, args.requests + 1), min(2000, args.requests))
    mismatches = 0
    started = time.perf_counter()
    for request in Request.objects.filter(pk__in=sample).select_related("contract"):
        stored = recompute.deadlines_of(request)
        services.recompute(request, RECOMPUTE_NOW)
        mismatches += stored != recompute.deadlines_of(request)
    scalar_per_request = (time.perf_counter() - started) / len(sample)
    filled_with_deadlines = Request.objects.filter(next_deadline_at__isnull=False).count()
    from livret.support.audit import chain_breaks

    started = time.perf_counter()
    verified = list(chain_breaks())
    verify_s = time.perf_counter() - started
    assert all(found is None for *_, found in verified), "the generated chains must hold"
    return {
        "part": "recompute",
        "vendor": connection.vendor,
        **filled,
        "runs_s": {k: [round(t, 2) for t in v] for k, v in runs.items()},
        "median_s": {k: round(statistics.median(v), 2) for k, v in runs.items()},
        "cpu_s": {k: [round(t, 2) for t in v] for k, v in cpu.items()},
        "median_cpu_s": {k: round(statistics.median(v), 2) for k, v in cpu.items()},
        "checked": len(sample),
        "mismatches": mismatches,
        "scalar_ms_per_request": round(scalar_per_request * 1000, 3),
        "with_a_running_deadline": filled_with_deadlines,
        "verify_s": round(verify_s, 1),
    }


def insert_open_requests(rows: int) -> float:
    """rows open requests in one INSERT … SELECT; minimal content, next alerts over a year."""
    from django.db import connection

    from livret.support.models import Request

    base = fixtures()
    contract, filer = base["contracts"][0], base["filer"]
    template = Request(
        client_id=contract.client_id,
        contract=contract,
        kind="anomaly",
        channel="portal",
        state="registered",
        title="Banc d'essai",
        description="Banc d'essai",
        filer=filer,
        registered_at=datetime(2025, 12, 1, tzinfo=UTC),
    )
    postgres = connection.vendor == "postgresql"
    if postgres:
        series = "generate_series(1::bigint, %s::bigint) AS s(x)"
        alert = (
            "CASE WHEN x %% 10 = 0 THEN NULL ELSE TIMESTAMPTZ '2026-01-01 00:00:00+00' "
            "+ ((x * 7919) %% 525600) * INTERVAL '1 minute' END"
        )
    else:
        series = "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %s) "
        series += "SELECT x FROM c) AS s"
        alert = (
            "CASE WHEN x %% 10 = 0 THEN NULL ELSE "
            "datetime('2026-01-01', '+' || ((x * 7919) %% 525600) || ' minutes') END"
        )
    overrides = {"number": "NULL", "next_alert_at": alert, "next_deadline_at": alert}
    columns, values, params = [], [], []
    for field in Request._meta.concrete_fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.primary_key:
            values.append("x")
        elif field.name in overrides:
            values.append(overrides[field.name])
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(getattr(template, field.attname), connection))
    table = connection.ops.quote_name(Request._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {series}"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, rows])
        cursor.execute(f"ANALYZE {table}" if postgres else "ANALYZE")
    return time.perf_counter() - started


def _pg_version(connection: Any) -> str:
    number = connection.cursor().connection.info.server_version
    return f"{number // 10000}.{number % 10000}"


def child_scan(args: argparse.Namespace) -> dict[str, Any]:
    setup_django()
    from django.db import connection

    from livret.support import jobs
    from livret.support.models import Request

    inserted_s = insert_open_requests(args.scan_rows)
    query = (
        Request.objects.filter(next_alert_at__lte=SCAN_NOW)
        .order_by("next_alert_at")
        .values_list("pk", flat=True)[:500]
    )
    postgres = connection.vendor == "postgresql"
    plan = query.explain(analyze=True, buffers=True) if postgres else query.explain()
    times = []
    for _ in range(25):
        started = time.perf_counter()
        found = jobs.due_requests(SCAN_NOW, 500)
        times.append(time.perf_counter() - started)
    due_total = Request.objects.filter(next_alert_at__lte=SCAN_NOW).count()
    return {
        "part": "scan",
        "vendor": connection.vendor,
        "version": _pg_version(connection) if postgres else __import__("sqlite3").sqlite_version,
        "rows": Request.objects.count(),
        "insert_s": round(inserted_s, 1),
        "due_at_now": due_total,
        "returned": len(found),
        "sql": str(query.query),
        "plan": plan,
        "uses_index": "request_next_alert" in plan,
        "median_ms": round(statistics.median(times) * 1000, 2),
    }


# --------------------------------------------------------------------------- parent


def run_child(part: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        part,
        "--requests",
        str(args.requests),
        "--scan-rows",
        str(args.scan_rows),
        "--repeat",
        str(args.repeat),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"child {part} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def with_postgres_database(url: str) -> tuple[str, str]:
    """(server URL of the maintenance database, name) for the bench database."""
    head, name = url.rsplit("/", 1)
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use the database {name!r}: give a bench database")
    return f"{head}/postgres", name


def pg_admin(maintenance: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(statement)


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    box = results["machine"]
    rec = results["recompute"]
    lines = [
        "",
        "## SLA recompute and breach scan (issue 4)",
        "",
        "Command:",
        "",
        "```",
        f".venv/bin/python benchmarks/bench_sla.py --requests {args.requests} "
        f"--scan-rows {args.scan_rows} --repeat {args.repeat}",
        "```",
        "",
        f"Machine: {box['nproc']} CPU ({box['cpu']}), Python {box['python']}, "
        f"Django {box['django']}, NumPy {box['numpy']}, SQLite {box['sqlite']}, "
        f"{box['platform']}. Measured on {results['date']}; load average before the run "
        f"{box['load']} (other jobs shared the machine: timings are upper bounds).",
        "",
        "### Recompute the stored deadlines of every open request (SQLite)",
        "",
        f"{rec['requests']:,} open requests with {rec['events']:,} hash-chained events "
        f"({rec['alerts']:,} alerts already sent) on six contracts (Q metropole and "
        "Alsace-Moselle, E Open and Private, C, S in Martinique), written with `bulk_create` "
        f"into a fresh SQLite file ({rec['write_s']} s). "
        "`livret.support.recompute.recompute_all(now)` reads the events batch by batch, walks them "
        "in Python, does the calendar arithmetic for the whole batch with the calendar's "
        "NumPy `*_many` methods, and writes the seven columns with one parameterised "
        "`UPDATE … WHERE id = %s AND event_count = %s` per request (`executemany`).",
        "",
        "SQLite runs inside the process, so the CPU time (`time.process_time`) covers the "
        "database work too; on a shared machine it is the steadier figure, the wall-clock "
        "time is what a user waits.",
        "",
        "| batch | wall runs (s) | median wall (s) | CPU runs (s) | median CPU (s) | target |",
        "|---|---|---|---|---|---|",
    ]
    for batch, runs in rec["runs_s"].items():
        wall = ", ".join(str(r) for r in runs)
        cpu = ", ".join(str(r) for r in rec["cpu_s"][batch])
        lines.append(
            f"| {batch} | {wall} | **{rec['median_s'][batch]}** | {cpu} | "
            f"**{rec['median_cpu_s'][batch]}** | < 10 s |"
        )
    lines += [
        "",
        f"Equality with the scalar path: {rec['checked']:,} random requests recomputed again "
        f"with `services.recompute` (one request at a time): {rec['mismatches']} difference(s). "
        f"That scalar path costs {rec['scalar_ms_per_request']} ms per request here "
        f"(≈ {rec['scalar_ms_per_request'] * rec['requests'] / 1000:.0f} s for "
        f"{rec['requests']:,} requests), hence the bulk path.",
        "",
        f"`livret audit verify` over the same {rec['requests']:,} requests and "
        f"{rec['events']:,} events: {rec['verify_s']} s (one run).",
        "",
    ]
    for scan in results["scan"]:
        title = "SQLite" if scan["vendor"] == "sqlite" else "PostgreSQL"
        kind = "EXPLAIN QUERY PLAN" if scan["vendor"] == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS)"
        lines += [
            f"### Breach scan over {scan['rows']:,} open requests ({title} {scan['version']})",
            "",
            f"Rows inserted with one `INSERT … SELECT` ({scan['insert_s']} s); "
            f"{scan['due_at_now']:,} have an alert due at the scan instant; the scan takes the "
            f"first {scan['returned']} by `next_alert_at`. Median of 25 scans: "
            f"**{scan['median_ms']} ms**. Uses `request_next_alert`: "
            f"**{'yes' if scan['uses_index'] else 'NO'}**.",
            "",
            "The query (Django's rendering, parameters inline):",
            "",
            "```sql",
            scan["sql"],
            "```",
            "",
            f"{kind}:",
            "",
            "```",
            scan["plan"],
            "```",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--scan-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="bench database URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="append to docs/performance.md")
    parser.add_argument("--recompute-only", action="store_true", help="skip the breach scan")
    parser.add_argument("--child", choices=["recompute", "scan"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        found = child_recompute(args) if args.child == "recompute" else child_scan(args)
        print(json.dumps(found, default=str))
        return

    results: dict[str, Any] = {"machine": machine(), "date": date.today().isoformat(), "scan": []}
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "LIVRET_DATA_DIR": data, "DATABASE_URL": ""}
        results["recompute"] = run_child("recompute", env, args)
        print(json.dumps(results["recompute"], indent=1), file=sys.stderr)
    if args.recompute_only:
        return
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "LIVRET_DATA_DIR": data, "DATABASE_URL": ""}
        results["scan"].append(run_child("scan", env, args))
        print(results["scan"][-1]["plan"], file=sys.stderr)
    if not args.no_postgres:
        maintenance, name = with_postgres_database(args.postgres)
        pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}"')
        pg_admin(maintenance, f'CREATE DATABASE "{name}"')
        try:
            with tempfile.TemporaryDirectory() as data:
                env = {**os.environ, "LIVRET_DATA_DIR": data, "DATABASE_URL": args.postgres}
                results["scan"].append(run_child("scan", env, args))
                print(results["scan"][-1]["plan"], file=sys.stderr)
        finally:
            pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}"')
    text = markdown(results, args)
    print(text)
    if args.write_docs:
        path = ROOT / "docs" / "performance.md"
        fresh = not path.exists() or path.stat().st_size == 0
        with path.open("a", encoding="utf-8") as out:
            if fresh:
                out.write("# Performance\n")
            out.write(text)
        print(f"appended to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
