"""The technicians' queue page with 20,000 open requests (issue 12): p95 under a real HTTP load.

Run on demand (it is not a test; a few minutes per database):

    .venv/bin/python benchmarks/bench_queue_page.py                     # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_queue_page.py --backends sqlite --duration 10
    .venv/bin/python benchmarks/bench_queue_page.py --postgres-url postgres://…/db --postgres-reuse

For each database the script builds a fresh platform (``livret demo`` in a temporary data
directory: migrations, presets, the demo's clients, logins and support teams), then adds
``--requests`` (20,000) open requests with ``bulk_create``: 40 clients on Quadra and Expert
contracts, realistic hash-chained histories (``bench_sla.history``: registered, taken in
charge by one of eight technicians, qualified, waiting for the client and answered, delivered),
filed over the last 60 days, each routed to its offer's team, one in twenty a customer-service
request; ``recompute_all`` (what ``livret sla recompute`` runs) then stores their deadlines (on
PostgreSQL, then ``VACUUM ANALYZE``, as autovacuum would soon after such a load). It opens a
session for the demo technician, starts ``livret serve`` (gunicorn, its defaults: 2 sync
workers, access log on) on 127.0.0.1, and for each page below warms up 5 s then runs

    wrk -t1 -c{N} -d{--duration}s --timeout=30s --latency -s page.lua URL

for each N of ``--connections`` (2: as many as the server's workers, each request served at
once; 8: four times more, requests wait for a worker), where ``page.lua`` sends the session
cookie (and ``HX-Request`` for the live refresh) and prints the latency percentiles as one JSON
line. Every answer must be 200.

Pages: the queue's first page (all 20,000 requests, 50 a page); the live refresh of that page
(htmx: the list without the layout); "my team" and "at risk" combined; a deep page of the
unassigned ones; the customer-service queue. Then one download of the CSV export of the whole
queue (every row, streamed), timed.

Target (issue 12): p95 under 300 ms on the 2-core machine, load generator included.

PostgreSQL: by default the script creates ``livret_bench_queue`` and drops it afterwards (a
name starting with ``livret_bench``: ``bench_api_filing.postgres_database``). Where you may not
create databases, ``--postgres-reuse`` empties the database of ``--postgres-url`` instead
(``DROP SCHEMA public CASCADE``): give it only a database of your own for benchmarks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench_api_filing import (
    LUA,
    django_eval,
    free_port,
    livret,
    machine,
    postgres_database,
    server,
    server_cpu_seconds,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/livret_bench_queue"
PAGES = (
    ("queue, page 1", "/support/file/", False),
    ("live refresh (htmx)", "/support/file/", True),
    ("my team + at risk", "/support/file/?vue=equipe&delai=a-risque", False),
    ("unassigned, page 40", "/support/file/?vue=non-attribuees&page=40", False),
    ("customer service", "/support/service-client/", False),
)
HEADERS = """wrk.headers["Cookie"] = "sessionid=__SESSION__"
__HX__
"""


def seed(count: int, rng_seed: int = 2026) -> dict[str, Any]:
    """In the child process: ``count`` open requests with their events, then their deadlines."""
    from livret.boot import setup_django

    setup_django()
    from bench_sla import chained_events, history
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from livret.offers.services import latest_version
    from livret.support import services
    from livret.support.models import Request, RequestEvent, Team
    from livret.support.recompute import recompute_all
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    rng = random.Random(rng_seed)
    users = get_user_model()
    technicians = []
    for n in range(8):
        tech = users.objects.create_user(
            f"tech-{n}", email=f"tech-{n}@bench.test", first_name="Technicien", last_name=f"{n}"
        )
        Membership.objects.create(user=tech, client=None, role=Role.TECHNICIAN)
        technicians.append(tech)
    for team in Team.objects.all():
        team.members.add(*technicians)
    contracts, filers = [], {}
    for n in range(40):
        offer, formula = [("quadra-entreprise", None), ("expert-on-demand", "private"),
                          ("expert-on-demand", "open")][n % 3]  # fmt: skip
        client = Client.objects.create(name=f"Cabinet Banc d'essai {n}", slug=f"banc-{n}")
        version = latest_version(offer)
        assert version is not None
        contracts.append(
            create_contract(
                client=client,
                reference=f"BENCH-{n}",
                offer_version=version,
                formula=formula,
                start_date=date(2025, 1, 6),
            )
        )
        filer = users.objects.create_user(f"client-{n}", email=f"client-{n}@bench.test")
        Membership.objects.create(user=filer, client=client, role=Role.CLIENT_USER)
        filers[client.pk] = filer
    teams = {c.pk: services.team_for(c.offer_version.offer_id) for c in contracts}
    now = timezone.now()
    began = time.perf_counter()
    requests, events = [], []
    first = (Request.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for pk in range(first, first + count):
        if pk % 10:  # filed 6 to 60 days ago: its whole story (at most ~5.2 days) is past
            start = now - timedelta(minutes=rng.randrange(6 * 24 * 60, 60 * 24 * 60))
            state, story = history(rng, start.astimezone(UTC))
        else:  # filed in the last day, not yet taken in charge: its clocks run
            start = now - timedelta(minutes=rng.randrange(1, 24 * 60))
            state, story = "registered", history(rng, start.astimezone(UTC))[1][:1]
        contract = contracts[pk % len(contracts)]
        kind = "customer-service" if pk % 20 == 0 else "anomaly"
        criticity = next((d["criticity"] for k, _, d in story if k == "qualified"), None)
        taken = len(story) > 1
        request = Request(
            pk=pk,
            number=f"DEM-{start.year}-{pk:06d}",
            client_id=contract.client_id,
            contract=contract,
            kind=kind,
            channel="portal",
            state=state if kind == "anomaly" else ("taken-in-charge" if taken else "registered"),
            title=f"Écran figé à la saisie du journal {pk}",
            description="Banc d'essai de la file d'attente",
            priority=story[0][2]["priority"],
            criticity=criticity if kind == "anomaly" else None,
            filer=filers[contract.client_id],
            assignee=rng.choice(technicians) if taken else None,
            team=teams[contract.pk],
            registered_at=start,
            picked_up_at=story[1][1] if taken else None,
            event_count=len(story),
        )
        story[0] = (story[0][0], story[0][1], {**story[0][2], "kind": kind})
        events += chained_events(request, story)
        requests.append(request)
    Request.objects.bulk_create(requests, batch_size=2000)
    RequestEvent.objects.bulk_create(events, batch_size=5000)
    written = time.perf_counter()
    recomputed = recompute_all(now)
    if connection.vendor == "postgresql":  # what autovacuum does soon after a bulk load
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE support_request")
            cursor.execute("VACUUM ANALYZE support_requestevent")
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    tech = users.objects.get(username="technicien")
    session = SessionStore()
    session[SESSION_KEY] = str(tech.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = tech.get_session_auth_hash()
    session.create()
    return {
        "requests": len(requests),
        "events": len(events),
        "write_s": round(written - began, 1),
        "recompute_s": round(time.perf_counter() - written, 1),
        "recomputed": recomputed,
        "session": session.session_key,
    }


@contextlib.contextmanager
def emptied_database(url: str) -> Iterator[None]:
    """``--postgres-reuse``: an existing database of your own, emptied before the run."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    yield


def download(url: str, session: str) -> dict[str, Any]:
    """One full download of the CSV export: seconds, bytes, lines."""
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as answer:
        body = answer.read()
    seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 2), "bytes": len(body), "lines": body.count(b"\r\n")}


def measure(
    url: str, script: Path, connections: int, server_pid: int, args: argparse.Namespace
) -> dict[str, Any]:
    """A 5 s warm-up then ``--repeat`` runs of one page at ``connections`` connections."""
    # A slow answer is a latency to see, not a timeout to drop (wrk's default is 2 s).
    options = {"connections": connections, "threads": 1, "timeout": 30}
    wrk(url, script, seconds=5, **options)
    cpu = server_cpu_seconds(server_pid)
    runs = []
    for _ in range(args.repeat):
        run = wrk(url, script, seconds=args.duration, **options)
        run["load"] = os.getloadavg()[0]
        runs.append(run)
    served = max(sum(r["requests"] for r in runs), 1)
    return {
        "connections": connections,
        "runs": runs,
        "errors": sum(
            r[k] for r in runs for k in ("non_2xx", "connect_errors", "read_errors", "timeouts")
        ),
        "server_cpu_ms": 1000 * (server_cpu_seconds(server_pid) - cpu) / served,
    }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"livret-bench-queue-{backend}-"))
    env = {
        **os.environ,
        "LIVRET_DATA_DIR": str(data_dir),
        "DATABASE_URL": args.postgres_url if backend == "postgres" else "",
        "LIVRET_DEBUG": "False",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}",
    }
    if backend != "postgres":
        database: Any = contextlib.nullcontext()
    elif args.postgres_reuse:
        database = emptied_database(args.postgres_url)
    else:
        database = postgres_database(args.postgres_url)
    results: dict[str, Any] = {"backend": backend, "pages": []}
    try:
        with database:
            livret("demo", env=env)
            code = "from bench_queue_page import seed\n"
            code += f"import json; print(json.dumps(seed({args.requests})))"
            seeded = json.loads(django_eval(code, env).splitlines()[-1])
            results["seeded"] = {k: v for k, v in seeded.items() if k != "session"}
            if args.seed_only:  # to profile by hand: the data is kept
                print(f"LIVRET_DATA_DIR={data_dir} sessionid={seeded['session']}")
                args.keep = True
                return results
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            done = "function done" + LUA.split("function done", 1)[1]
            with server(env, port, data_dir / "serve.log") as process:
                for connections in args.connections:
                    for label, path, htmx in PAGES:
                        script = data_dir / f"page-{len(results['pages'])}.lua"
                        headers = HEADERS.replace("__SESSION__", seeded["session"]).replace(
                            "__HX__", 'wrk.headers["HX-Request"] = "true"' if htmx else ""
                        )
                        script.write_text(headers + done)
                        page = measure(base + path, script, connections, process.pid, args)
                        results["pages"].append({"label": label, "path": path, **page})
                        p95 = ", ".join(f"{r['p95_ms']:.0f}" for r in page["runs"])
                        print(
                            f"# {backend:8} c={connections} {label:22} p95 {p95} ms"
                            f"  errors {page['errors']}",
                            flush=True,
                        )
                results["export"] = download(f"{base}/support/file/export.csv", seeded["session"])
            results["command"] = (
                f"wrk -t1 -cN -d{args.duration}s --timeout=30s --latency -s page.lua URL"
            )
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | connections | page | runs p95 ms | median p50 ms | median p95 ms "
        "| median p99 ms | requests/s | errors | server CPU ms/page | load (1 min) |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        for page in result["pages"]:
            runs = page["runs"]
            p95s = ", ".join(f"{r['p95_ms']:.0f}" for r in runs)
            loads = ", ".join(f"{r['load']:.1f}" for r in runs)
            lines.append(
                f"| {result['backend']} | {page['connections']} | {page['label']} | {p95s} "
                f"| {statistics.median(r['p50_ms'] for r in runs):.0f} "
                f"| **{statistics.median(r['p95_ms'] for r in runs):.0f}** "
                f"| {statistics.median(r['p99_ms'] for r in runs):.0f} "
                f"| {statistics.median(r['rps'] for r in runs):.1f} "
                f"| {page['errors']} "
                f"| {page['server_cpu_ms']:.0f} "
                f"| {loads} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per run (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per page (default 3)")
    parser.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[2, 8],
        help="wrk connections, a comma-separated list (default 2,8: as many as the server's "
        "workers, then four times more)",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument(
        "--postgres-reuse", action="store_true", help="empty --postgres-url instead of creating it"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--seed-only", action="store_true", help="seed, keep the data, stop")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if "postgres" in args.backends and not args.postgres_reuse:
        name = urlparse(args.postgres_url).path.lstrip("/")
        if not name.startswith("livret_bench"):
            raise SystemExit("--postgres-url without --postgres-reuse must name livret_bench…")
    print(f"# load average before: {os.getloadavg()}", flush=True)
    results = [run_backend(b.strip(), args) for b in args.backends.split(",") if b.strip()]
    if args.seed_only:
        return
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    info = machine()
    print(f"\n# {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['wrk']}")
    print(f"# {results[0]['command'] if results else ''}")
    for result in results:
        print(f"# {result['backend']}: seeded {result['seeded']}")
    print(table(results))
    for result in results:
        export = result["export"]
        print(
            f"# {result['backend']}: CSV export of the whole queue: {export['lines'] - 1} rows, "
            f"{export['bytes']} bytes in {export['seconds']} s"
        )
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
