"""The request page with a 200-item thread (issue 12): latency under a real HTTP load tool.

Run on demand (it is not a test; about 3 minutes per database with the defaults):

    apt-get install -y wrk
    .venv/bin/python benchmarks/bench_request_page.py                       # SQLite only
    .venv/bin/python benchmarks/bench_request_page.py --backends sqlite,postgres \\
        --postgres-url postgres://postgres@127.0.0.1:5432/EMPTY_DATABASE

For each database the script builds a fresh platform (``livret demo`` in a temporary data
directory), then one request of the demo client Boulangerie Martin whose thread holds 200 items
for the technician through ``livret.support.services`` (filed with a screenshot, taken in
charge, qualified criticity 1, then rounds of: a question, the client's answer with a log file
sent with it, a reply and an internal note; the client reads the 150 that are not internal).
It signs in the technician and the client (a session each), starts ``livret serve`` (gunicorn,
its defaults: 2 sync workers x 1 thread) on 127.0.0.1, checks each persona's page holds the
expected number of thread items, warms up, then runs ``--repeat`` rounds, each round both
personas one after the other:

    wrk -t1 -c2 -d15s --latency -s get.lua http://127.0.0.1:PORT/demandes/DEM-…/

and prints each run and, per persona, the median of p50, p95 and p99 over the rounds, the
server's CPU per page and the load average. Every answer must be 200.

Before the server starts, the same page is also timed in process (Django's test client,
``--pages`` pages one after the other per persona, after 5 warm-up pages): wall-clock and CPU
percentiles of the view alone, which a busy shared machine disturbs less than wrk's latency.

PostgreSQL: ``--postgres-url`` names an *empty* database (no table): the script fills it and
leaves it filled; it refuses a database that already has tables, so it never touches real data.

Target (issue 12): p95 under 150 ms on SQLite and PostgreSQL, on the 2-core machine, load
generator included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from bench_api_filing import (
    LUA,
    django_eval,
    environment,
    free_port,
    livret,
    machine,
    server,
    server_cpu_seconds,
    wrk,
)

GET_LUA = (
    'wrk.method = "GET"\nwrk.headers["Cookie"] = "sessionid=__SESSION__"\n\n'
    + LUA[LUA.index("function done") :]
)

BUILD = r"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from livret.support import composer, services
from livret.support.services import NewRequest
from livret.tenants.models import Contract

users = get_user_model().objects
tech, martin = users.get(username="technicien"), users.get(username="martin")
start = timezone.now() - timedelta(days=20)
step = timedelta(minutes=7)
item = services.file_request(
    filer=martin,
    contract=Contract.objects.get(reference="Q-2026-001"),
    new=NewRequest(
        kind="anomaly",
        title="Export FEC bloqué à la clôture",
        description="L'export s'arrête à 40 %.",
        error_messages="Erreur 0x80004005",
        priority="critical",
    ),
    attachments=[("capture.png", b"\x89PNG\r\n\x1a\n" + b"0" * 2000)],
    at=start,
)
services.take_in_charge(item, tech, at=start + step)
services.qualify(item, tech, 1, at=start + 2 * step)
items, n = 3, 3
while items < __ITEMS__:
    n += 4
    item.refresh_from_db()
    services.ask_client(item, tech, f"Question {n} : quelle version ?", at=start + n * step)
    item.refresh_from_db()
    composer.submit(
        item, martin, f"Réponse {n} : la 4.12", [(f"journal-{n}.txt", b"ERR " * 50)],
        at=start + (n + 1) * step,
    )
    services.comment(item, tech, f"Merci, nous regardons ({n}).", at=start + (n + 2) * step)
    services.comment(item, tech, f"Note interne {n}", internal=True, at=start + (n + 3) * step)
    items += 4
print(item.number)
"""

SESSION = r"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

for name in ("technicien", "martin"):
    user = get_user_model().objects.get(username=name)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(name, session.session_key)
"""

IN_PROCESS = r"""
import json, time
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

settings.ALLOWED_HOSTS = ["*"]
out = {}
for name in ("technicien", "martin"):
    client = Client()
    client.force_login(get_user_model().objects.get(username=name))
    url = "/demandes/__NUMBER__/"
    for _ in range(5):
        assert client.get(url).status_code == 200
    wall, cpu = [], []
    for _ in range(__PAGES__):
        w, c = time.perf_counter(), time.process_time()
        client.get(url)
        wall.append(1000 * (time.perf_counter() - w))
        cpu.append(1000 * (time.process_time() - c))
    out[name] = {"wall": sorted(wall), "cpu": sorted(cpu)}
print(json.dumps(out))
"""

EMPTY = r"""
from django.db import connection
print(len(connection.introspection.table_names()))
"""


def thread_items(url: str, session: str) -> int:
    """The number of thread items the page shows to this session's person (and a 200)."""
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200, answer.status
        page = answer.read().decode()
    return page.count('<li class="msg ')


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"livret-bench-page-{backend}-"))
    env = environment(backend, data_dir, args.postgres_url)
    try:
        if backend == "postgres" and django_eval(EMPTY, env) != "0":
            raise SystemExit("refusing a PostgreSQL database that has tables: give an empty one")
        livret("demo", env=env)
        number = django_eval(BUILD.replace("__ITEMS__", str(args.items)), env)
        sessions = dict(line.split() for line in django_eval(SESSION, env).splitlines())
        script = IN_PROCESS.replace("__NUMBER__", number).replace("__PAGES__", str(args.pages))
        in_process = json.loads(django_eval(script, env))
        port = free_port()
        url = f"http://127.0.0.1:{port}/demandes/{number}/"
        runs: dict[str, list[dict[str, Any]]] = {"technicien": [], "martin": []}
        shown: dict[str, int] = {}
        with server(env, port, data_dir / "serve.log") as process:
            scripts = {}
            for persona, key in sessions.items():
                shown[persona] = thread_items(url, key)
                scripts[persona] = data_dir / f"get-{persona}.lua"
                scripts[persona].write_text(GET_LUA.replace("__SESSION__", key))
                wrk(url, scripts[persona], seconds=3, connections=args.connections, threads=1)
            for _ in range(args.repeat):
                for persona, script in scripts.items():
                    cpu_before = server_cpu_seconds(process.pid)
                    result = wrk(
                        url, script, seconds=args.duration, connections=args.connections, threads=1
                    )
                    served = max(result["requests"], 1)
                    cpu = server_cpu_seconds(process.pid) - cpu_before
                    result["server_cpu_ms"] = 1000 * cpu / served
                    result["load"] = os.getloadavg()[0]
                    result.pop("wrk_output")
                    runs[persona].append(result)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "backend": backend,
        "number": number,
        "items": shown,
        "runs": runs,
        "in_process": in_process,
    }


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the sorted ``values`` fall (nearest rank)."""
    return values[max(0, round(share * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--items", type=int, default=200, help="thread items for the vendor")
    parser.add_argument("--duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--pages", type=int, default=100, help="in-process pages per reader")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgres" in backends and not args.postgres_url:
        raise SystemExit("--postgres-url: an empty PostgreSQL database for the benchmark")
    results = [run_backend(b, args) for b in backends]
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['wrk']}")
    print(f"# wrk -t1 -c{args.connections} -d{args.duration}s, {args.repeat} rounds")
    print(
        "| database | reader | thread items | run | pages/s | p50 ms | p95 ms | p99 ms "
        "| non-200 | server CPU ms/page | load (1 min) |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for persona, runs in r["runs"].items():
            for i, run in enumerate(runs, 1):
                print(
                    f"| {r['backend']} | {persona} | {r['items'][persona]} | {i} "
                    f"| {run['rps']:.0f} | {run['p50_ms']:.1f} | {run['p95_ms']:.1f} "
                    f"| {run['p99_ms']:.1f} | {run['non_2xx']} | {run['server_cpu_ms']:.1f} "
                    f"| {run['load']:.1f} |"
                )
            print(
                f"| {r['backend']} | {persona} | {r['items'][persona]} | **median** "
                f"| {median(runs, 'rps'):.0f} | {median(runs, 'p50_ms'):.1f} "
                f"| **{median(runs, 'p95_ms'):.1f}** | {median(runs, 'p99_ms'):.1f} "
                f"| {sum(x['non_2xx'] for x in runs)} | {median(runs, 'server_cpu_ms'):.1f} "
                f"| {median(runs, 'load'):.1f} |"
            )

    print(f"\n# in process (Django test client, {args.pages} pages one after the other)")
    print("| database | reader | wall p50 ms | wall p95 ms | CPU p50 ms | CPU p95 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        for persona, t in r["in_process"].items():
            print(
                f"| {r['backend']} | {persona} | {percentile(t['wall'], 0.5):.1f} "
                f"| {percentile(t['wall'], 0.95):.1f} | {percentile(t['cpu'], 0.5):.1f} "
                f"| {percentile(t['cpu'], 0.95):.1f} |"
            )
    print(f"# load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
