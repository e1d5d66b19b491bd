"""Filing requests through the API (issue 4): requests/s and p95 under a real HTTP load tool.

Run on demand (it is not a test; about 90 s per database):

    apt-get install -y wrk                      # Debian package, wrk 4.1
    .venv/bin/python benchmarks/bench_api_filing.py                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_api_filing.py --backends sqlite --duration 10

For each database the script builds a fresh platform (``livret demo`` in a temporary data
directory: migrations, the five presets, the demo clients), creates an API token for the demo
client user ``martin`` with ``livret token create``, starts ``livret serve`` (gunicorn, its
default 2 workers x 4 threads, access log on) on 127.0.0.1, warms it up for 5 s, then runs

    wrk -t2 -c8 -d30s --latency -s <script.lua> http://127.0.0.1:PORT/api/requests

where the Lua script POSTs a JSON anomaly with ``Authorization: Bearer <token>`` and its
``done`` function prints requests/s and the latency percentiles (p50, p95, p99) as one JSON
line. Every answer must be 201: any other status, socket error or timeout is reported.

PostgreSQL: ``--postgres-url`` (default ``postgres://postgres@127.0.0.1:5432/livret_bench``);
the script creates that database and drops it afterwards. It refuses any other database name
than one starting with ``livret_bench`` so that it can never touch a real or test database.

Target (docs/performance.md): at least 200 requests/s and p95 under 50 ms on the 2-core
machine, load generator included.

``--profile`` adds, after the measured run, a second run of the same load with py-spy
(``.venv/bin/pip install py-spy``) sampling every gunicorn worker, and prints where the
workers' CPU time goes (offer parsing, SQL, ORM, SLA replay, ninja/pydantic, logging, …).
The profiled run is slower (py-spy pauses the workers to sample them); its numbers are not
the benchmark's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/livret_bench"

LUA = r"""
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer __TOKEN__"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[__BODY__]]

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, '
    .. '"p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f, "non_2xx": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "timeouts": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""

BODY = {
    "kind": "anomaly",
    "title": "Impossible de valider les écritures de caisse",
    "description": "Le bouton Valider reste grisé depuis la mise à jour de ce matin.",
    "context": "Saisie des ventes du jour",
    "error_messages": "Erreur 5003 : journal verrouillé",
    "menu_path": "Saisie > Journaux > Caisse",
    "priority": "high",
}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
    }


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_database(url: str) -> Iterator[None]:
    """Create the benchmark database, drop it afterwards (never any other one)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("livret_bench"):
        raise SystemExit(f"refusing database {name!r}: its name must start with livret_bench")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                        break
                except OSError:  # refused, reset or timed out while it starts
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
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, script: Path, *, seconds: int, connections: int, threads: int, timeout: int = 2
) -> dict[str, Any]:
    """One wrk run; an answer slower than ``timeout`` seconds counts as a timeout, not a
    latency (wrk's default: 2 s)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout}s",
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
    data["command"] = " ".join([*command[:-3], "-s", "post.lua", url])
    data["wrk_output"] = result.stdout
    return data


# py-spy also samples threads blocked in a few waits it does not see as idle; a sample whose
# innermost frame is one of these is waiting, not computing.
WAIT_LEAVES = (
    "Connection.wait (psycopg/",
    "EpollSelector.select (selectors.py",
    "_worker (concurrent/futures/thread.py",
    "wait (threading.py",
)
WAITING = "(waiting: PostgreSQL round trips, idle sockets and threads; not CPU)"
# Where a sample's time goes: the first rule matching any frame of the stack, rules in order.
PROFILE_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("offer parsed from its TOML text (OfferVersion.offer)", ("offer (livret/offers/models.py",)),
    (
        "SLA replay and business calendar (livret.core)",
        ("livret/core/sla.py", "livret/core/calendar/"),
    ),
    ("audit hash chain", ("livret/core/audit.py",)),
    (
        "opening a database connection (a new one per request on SQLite: CONN_MAX_AGE=0)",
        ("get_new_connection", "init_connection_state"),
    ),
    (
        "SQL execution in the driver (incl. commit; on SQLite also the write-lock waits)",
        ("django/db/backends/",),
    ),
    ("ORM: building queries and model instances", ("django/db/",)),
    ("logging (gunicorn access log, warnings)", ("logging/",)),
    ("ninja and pydantic (parse, validate, render JSON)", ("ninja/", "pydantic")),
    ("gunicorn (HTTP parsing, sockets)", ("gunicorn/",)),
    ("Django request handling and middleware", ("django/",)),
]


def profile_breakdown(raw: Path) -> list[tuple[str, float]]:
    """Share of the sampled CPU time per PROFILE_RULES category (py-spy raw format)."""
    totals: dict[str, int] = {}
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        leaf = stack.rsplit(";", 1)[-1]
        category = (
            WAITING
            if leaf.startswith(WAIT_LEAVES)
            else next(
                (name for name, patterns in PROFILE_RULES if any(p in stack for p in patterns)),
                "other",
            )
        )
        totals[category] = totals.get(category, 0) + int(count)
    whole = sum(totals.values()) or 1
    return sorted(((k, 100 * v / whole) for k, v in totals.items()), key=lambda kv: -kv[1])


def profiled_run(
    url: str, script: Path, server_pid: int, out: Path, args: argparse.Namespace
) -> list[tuple[str, float]]:
    spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    seconds = args.profile_seconds
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--subprocesses",
            "--format",
            "raw",
            "--rate",
            "200",
            "-d",
            str(seconds + 1),
            "-o",
            str(out),
            "-p",
            str(server_pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    wrk(url, script, seconds=seconds, connections=args.connections, threads=args.threads)
    recorder.wait(timeout=120)
    return profile_breakdown(out)


def environment(backend: str, data_dir: Path, postgres_url: str) -> dict[str, str]:
    """The environment of the ``livret`` processes of a run: its data directory and database."""
    return {
        **os.environ,
        "LIVRET_DATA_DIR": str(data_dir),
        "DATABASE_URL": postgres_url if backend == "postgres" else "",
        "LIVRET_DEBUG": "False",
        "PYTHONPATH": str(ROOT),
    }


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"livret-bench-{backend}-"))
    env = environment(backend, data_dir, args.postgres_url)
    database = postgres_database(args.postgres_url) if backend == "postgres" else None
    try:
        with database or contextlib.nullcontext():
            livret("demo", env=env)
            token = livret("token", "create", "martin", "--name", "bench", env=env).strip()
            contract_id = django_eval(
                "from livret.tenants.models import Contract\n"
                "print(Contract.objects.get(reference='Q-2026-001').pk)",
                env=env,
            )
            body = json.dumps({"contract_id": int(contract_id), **BODY}, ensure_ascii=False)
            script = data_dir / "post.lua"
            script.write_text(LUA.replace("__TOKEN__", token).replace("__BODY__", body))
            port = free_port()
            url = f"http://127.0.0.1:{port}/api/requests"
            with server(env, port, data_dir / "serve.log") as process:
                wrk(url, script, seconds=5, connections=args.connections, threads=args.threads)
                cpu_before = server_cpu_seconds(process.pid)
                wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                result = wrk(
                    url,
                    script,
                    seconds=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                )
                wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                served = max(result["requests"], 1)
                result["server_cpu_ms_per_request"] = (
                    1000 * (server_cpu_seconds(process.pid) - cpu_before) / served
                )
                result["wrk_cpu_ms_per_request"] = (
                    1000
                    * (
                        wrk_after.ru_utime
                        + wrk_after.ru_stime
                        - wrk_before.ru_utime
                        - wrk_before.ru_stime
                    )
                    / served
                )
                result["load_average"] = os.getloadavg()
                if args.profile:
                    raw = data_dir / f"profile-{backend}.txt"
                    result["profile"] = profiled_run(url, script, process.pid, raw, args)
                    if args.keep:
                        print(f"# py-spy samples: {raw}", file=sys.stderr)
            filed = django_eval(
                "from livret.support.models import Request\n"
                "print(Request.objects.filter(channel='api').count())",
                env=env,
            )
            result["filed_in_database"] = int(filed)
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    result["backend"] = backend
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=30, help="seconds per run (default 30)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--profile", action="store_true", help="then profile a run with py-spy")
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    results = [run_backend(b.strip(), args) for b in args.backends.split(",") if b.strip()]
    if args.json:
        print(json.dumps({"machine": machine(), "results": results}, indent=2))
        return
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['wrk']}")
    print(f"# {results[0]['command'] if results else ''}")
    print(
        "| database | requests/s | p50 ms | p95 ms | p99 ms | max ms | non-201 | errors "
        "| server CPU ms/request | wrk CPU ms/request | load average (1 min) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        print(
            f"| {r['backend']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
            f"| {r['p99_ms']:.1f} | {r['max_ms']:.0f} | {r['non_2xx']} | {errors} "
            f"| {r['server_cpu_ms_per_request']:.1f} | {r['wrk_cpu_ms_per_request']:.2f} "
            f"| {r['load_average'][0]:.1f} |"
        )
    for r in results:
        print(
            f"# {r['backend']}: {r['requests']} answers in {r['seconds']:.1f} s; "
            f"{r['filed_in_database']} requests in the database (warm-up and profiled run "
            "included)"
        )
    for r in results:
        if "profile" in r:
            print(f"\n## where the workers' CPU time goes ({r['backend']}, py-spy)")
            for name, share in r["profile"]:
                print(f"- {share:4.1f} %  {name}")


if __name__ == "__main__":
    main()
