"""The public status page and its JSON (issue 6, MNT-3): requests/s under a real HTTP load tool.

Run on demand (it is not a test; about 4 minutes with the defaults):

    .venv/bin/python benchmarks/bench_status_page.py
    .venv/bin/python benchmarks/bench_status_page.py --duration 10 --repeat 3 --no-uncached

The script builds a fresh platform in a temporary data directory on SQLite (``livret demo``),
then adds a realistic Cegid page through ``livret.status.services``: 24 production services on
Quadra and Expert contracts of 24 clients (16 public), six months of resolved incidents with
their timelines, an ongoing incident and three planned maintenances. It starts ``livret
serve`` (gunicorn, its defaults: 2 sync workers x 1 thread, access log on) on 127.0.0.1 port
18091 (``--port``), checks that both URLs answer 200, warms each up, then runs ``--repeat``
rounds (default 3), each round both URLs one after the other (interleaved, so that a busy
spell of the shared machine does not fall on one URL only):

    wrk -t2 -c16 -d20s --latency -s report.lua http://127.0.0.1:18091/statut/cegid/
    wrk -t2 -c16 -d20s --latency -s report.lua http://127.0.0.1:18091/statut/cegid/statut.json

It prints each run and the medians (requests/s, p50, p99), the errors (any non-2xx answer,
socket error or timeout), the server's CPU per request and the load average at each run.

For comparison (``--no-uncached`` to skip), the same runs against a server whose cache is
Django's ``DummyCache`` (a settings module in the data directory: nothing is ever kept), so
every request builds the page from the database.

Target (issue 6): at least 1,000 requests/s for each URL on the 2-core machine, load
generator included.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
URLS = ("/statut/cegid/", "/statut/cegid/statut.json")

LUA = r"""
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p99_ms": %.2f, '
    .. '"max_ms": %.2f, "non_2xx": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""

# Run inside the platform (``python -c`` after django.setup()): a realistic vendor page.
SEED = r"""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from livret.offers.services import latest_version
from livret.status import services
from livret.tenants.models import Client
from livret.tenants.services import create_contract

PARIS = ZoneInfo("Europe/Paris")
tech = get_user_model().objects.get(username="technicien")
now = timezone.now()
made = []
for n in range(1, 25):
    offer = "quadra-entreprise" if n % 2 else "expert-on-demand"
    client = Client.objects.create(name=f"Cabinet Banc d'essai {n}", slug=f"banc-{n}")
    contract = create_contract(
        client=client,
        reference=f"BENCH-{n}",
        offer_version=latest_version(offer),
        start_date=date(2025, 1, 6),
        formula=None if offer == "quadra-entreprise" else "open",
    )
    public = n <= 16
    made.append(
        services.create_service(
            tech,
            contract,
            name=f"{offer} — {client.name}",
            public=public,
            public_label=f"{'Quadra' if n % 2 else 'Expert'} On Demand — plateforme {n}"
            if public
            else "",
            at=now - timedelta(days=200),
        )
    )
# Six months of resolved incidents, each with a timeline of three messages.
for k in range(30):
    start = (now - timedelta(days=6 * k + 2)).astimezone(PARIS).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    incident = services.declare_incident(
        tech,
        [made[k % 16], made[(k + 5) % 24]],
        f"Lenteurs à l'ouverture des dossiers ({k})",
        "service",
        start,
        "Nous analysons des lenteurs à l'ouverture des dossiers.",
        at=start + timedelta(minutes=5),
    )
    services.post_incident_update(
        tech, incident, "identified", "Un index de la base était dégradé.",
        at=start + timedelta(minutes=20),
    )
    services.resolve_incident(
        tech, incident, start + timedelta(minutes=45), "Service rétabli.",
        at=start + timedelta(minutes=50),
    )
services.declare_incident(
    tech, [made[0], made[3]], "Connexions lentes", "service",
    now - timedelta(minutes=30), "Des connexions prennent plus de 10 secondes.",
)
# Planned maintenances: the next three week nights at 22:00 (MNT-1, 48 h notice, MNT-2).
day = (now + timedelta(days=3)).astimezone(PARIS)
planned = 0
while planned < 3:
    if day.weekday() < 4:
        start = day.replace(hour=22, minute=0, second=0, microsecond=0)
        services.plan_maintenance(
            tech, made[planned * 4:planned * 4 + 6], f"Mise à jour de la plateforme ({planned})",
            start, start + timedelta(hours=3), blocking=True,
            description="Interruption complète pendant la fenêtre.",
        )
        planned += 1
    day += timedelta(days=1)
print(len(made))
"""


def livret(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [PYTHON, "-m", "livret", *args], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"livret {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def django_eval(code: str, env: dict[str, str]) -> str:
    script = "from livret.boot import setup_django\nsetup_django()\n" + code
    result = subprocess.run(
        [PYTHON, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"python -c failed:\n{result.stderr}")
    return result.stdout.strip()


@contextlib.contextmanager
def server(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PYTHON, "-m", "livret", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"livret serve did not start; see {log}") from None
                    time.sleep(0.2)
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_cpu_seconds(master: int) -> float:
    """User + system CPU time of the gunicorn master and its workers so far."""
    pids = [master]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        pids += [int(p) for p in children]
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: Path, args: argparse.Namespace, seconds: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"wrk failed:\n{result.stderr}")
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    data: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    data["command"] = " ".join([*command[:-3], "-s", "report.lua", url])
    return data


def check(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        if response.status != 200 or b"Cegid" not in body:
            raise SystemExit(f"{url} answered {response.status}")
        return len(body)


def measure(env: dict[str, str], data_dir: Path, label: str, args: argparse.Namespace) -> list:
    """``--repeat`` rounds; each round runs every URL once (interleaved, so that a busy spell
    on the machine does not fall on one URL only)."""
    script = data_dir / "report.lua"
    script.write_text(LUA)
    runs: dict[str, list[dict[str, Any]]] = {path: [] for path in URLS}
    sizes = {}
    with server(env, args.port, data_dir / f"serve-{label}.log") as process:
        base = f"http://127.0.0.1:{args.port}"
        for path in URLS:
            sizes[path] = check(base + path)
            wrk(base + path, script, args, args.warmup)
        for _ in range(args.repeat):
            for path in URLS:
                cpu = server_cpu_seconds(process.pid)
                result = wrk(base + path, script, args, args.duration)
                served = max(result["requests"], 1)
                result["server_cpu_ms"] = 1000 * (server_cpu_seconds(process.pid) - cpu) / served
                result["load"] = os.getloadavg()
                runs[path].append(result)
                errors = sum(result[k] for k in ("non_2xx", "connect_errors", "read_errors"))
                errors += result["write_errors"] + result["timeouts"]
                result["errors"] = errors
                print(
                    f"{label:8} {path:28} {result['rps']:8.1f} req/s"
                    f"  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:7.2f} ms"
                    f"  errors {errors}  server CPU {result['server_cpu_ms']:.2f} ms/req"
                    f"  load {result['load'][0]:.2f}",
                    flush=True,
                )
    return [(label, path, sizes[path], runs[path]) for path in URLS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--no-uncached", action="store_true", help="skip the DummyCache runs")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="livret-bench-status-"))
    env = {
        **os.environ,
        "LIVRET_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "LIVRET_DEBUG": "False",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{data_dir}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    print(f"# load average before: {os.getloadavg()}", flush=True)
    try:
        livret("demo", env=env)
        services = django_eval(SEED, env)
        print(f"# {services} services seeded on the Cegid page; data in {data_dir}", flush=True)
        rows = measure(env, data_dir, "cached", args)
        if not args.no_uncached:
            (data_dir / "uncached_settings.py").write_text(
                "from livret.settings import *  # noqa: F403\n"
                "CACHES = {'default': {'BACKEND': "
                "'django.core.cache.backends.dummy.DummyCache'}}\n"
            )
            uncached = {**env, "DJANGO_SETTINGS_MODULE": "uncached_settings"}
            rows += measure(uncached, data_dir, "uncached", args)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    print(
        "\n| cache | URL | bytes | runs (req/s) | median req/s | median p50 ms | median p99 ms "
        "| errors | server CPU ms/req | load average (1 min) |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---|")
    for label, path, size, runs in rows:
        rates = ", ".join(f"{r['rps']:.0f}" for r in runs)
        loads = ", ".join(f"{r['load'][0]:.2f}" for r in runs)
        print(
            f"| {label} | `{path}` | {size} | {rates} "
            f"| **{statistics.median(r['rps'] for r in runs):.0f}** "
            f"| {statistics.median(r['p50_ms'] for r in runs):.2f} "
            f"| {statistics.median(r['p99_ms'] for r in runs):.2f} "
            f"| {sum(r['errors'] for r in runs)} "
            f"| {statistics.median(r['server_cpu_ms'] for r in runs):.2f} "
            f"| {loads} |"
        )
    print(f"\n# wrk command: {rows[0][3][0]['command']}")
    print(f"# load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
