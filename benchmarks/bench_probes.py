"""Probe rounds and bulk monthly availability (issue 6, SPEC AVL-3, AVL-4).

Run on demand (it is not a test; about a minute on SQLite):

    .venv/bin/python benchmarks/bench_probes.py
    .venv/bin/python benchmarks/bench_probes.py --probes 500 --hung 20 --repeats 5
    .venv/bin/python benchmarks/bench_probes.py --postgres-url postgres://postgres@127.0.0.1:5432/livret_bench_status

The script builds a fresh database (a temporary SQLite data directory, or the PostgreSQL
database given, whose name must start with ``livret_bench`` and which is created and dropped),
imports the presets, and creates ``--probes`` Quadra services, each with one HTTP probe
against a local ``ThreadingHTTPServer`` on an ephemeral 127.0.0.1 port, plus ``--hung``
probes against a server that accepts and never answers (timeout 1 s, one retry).

It measures, ``--repeats`` times (median and fastest printed):

* **round** — :func:`livret.status.probes.run_due_probes` for every probe: claim, check
  concurrently, record; with the hung probes the round lasts their budget (2.2 s), so the
  number to read is **fast recorded**: when the last healthy probe's result was stored;
* **tick** — one worker tick of :class:`ProbeRunner` (claims and submits, never waits);
* **bulk TD** — :func:`livret.status.reports.availability_by_service` for all the services
  over a month with three incidents each, against the one-by-one
  :func:`service_month_report`.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARIS = ZoneInfo("Europe/Paris")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 drops SYNs under a burst of probes


def _mute_server() -> tuple[socket.socket, list[socket.socket]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(sock.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return sock, held


def _timed(run: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        begin = time.perf_counter()
        run()
        out.append(time.perf_counter() - begin)
    return out


def _line(name: str, seconds: list[float], unit: str = "ms") -> None:
    factor = 1000 if unit == "ms" else 1
    print(
        f"{name:<34} median {statistics.median(seconds) * factor:9.1f} {unit}   "
        f"fastest {min(seconds) * factor:9.1f} {unit}   ({len(seconds)} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--hung", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="livret-bench-probes-")
    os.environ["LIVRET_DATA_DIR"] = data
    os.environ["DATABASE_URL"] = args.postgres_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    if args.postgres_url and not args.postgres_url.rsplit("/", 1)[-1].startswith("livret_bench"):
        print("refusing: the PostgreSQL database name must start with livret_bench")
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.postgres_url:
        from django.test.utils import setup_databases, teardown_databases

        # a throwaway database named test_<name>, created and dropped here
        old = setup_databases(verbosity=0, interactive=False)
    else:
        call_command("migrate", interactive=False, verbosity=0)
        old = None
    print(f"database: {connection.vendor}; load average at start: {os.getloadavg()}")
    try:
        _run(args)
    finally:
        print(f"load average at end: {os.getloadavg()}")
        if old is not None:
            teardown_databases(old, verbosity=0)
    return 0


def _run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from livret.offers.services import import_builtin_presets
    from livret.status import reports, services
    from livret.status.models import Incident, Probe
    from livret.status.probes import ProbeRunner, run_due_probes
    from livret.tenants.models import Client, Membership
    from livret.tenants.services import create_contract

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mute, held = _mute_server()
    port, mute_port = server.server_address[1], mute.getsockname()[1]

    versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
    tech = get_user_model().objects.create_user("bench-tech", password="x")
    Membership.objects.create(user=tech, role="technician")
    made = []
    for n in range(args.probes + args.hung):
        client = Client.objects.create(name=f"Client {n}", slug=f"client-{n}")
        contract = create_contract(
            client=client,
            reference=f"B-{n}",
            offer_version=versions["quadra-entreprise"],
            start_date=date(2026, 1, 5),
        )
        service = services.create_service(tech, contract, name=f"Service {n}")
        hung = n >= args.probes
        services.add_probe(
            tech,
            service,
            kind="http",
            target=f"http://127.0.0.1:{mute_port if hung else port}/healthz",
            timeout_seconds=1.0,
            retries=1,
        )
        made.append(service)

    def due_now() -> None:
        Probe.objects.update(next_run_at=timezone.now(), claimed_until=None)

    fast_recorded: list[float] = []

    def round_() -> None:
        due_now()
        begin = time.perf_counter()
        results = run_due_probes()
        assert len(results) == args.probes + args.hung
        failed = [r.error for r in results if not r.up][: args.hung + 3]
        assert sum(r.up for r in results) == args.probes, f"a healthy probe failed: {failed}"
        last_fast = Probe.objects.filter(last_state="up").order_by("-last_checked_at").first()
        assert last_fast is not None
        fast_recorded.append(time.perf_counter() - begin)

    round_()  # the first round records every state change (unknown → up or down)
    rounds = _timed(round_, args.repeats)
    print(f"{args.probes} healthy HTTP probes + {args.hung} hung ones (timeout 1 s, 1 retry)")
    _line("round (all recorded)", rounds)

    # when were the healthy ones recorded? the worker's non-blocking runner, steady state
    fast_times = []
    tick_times = []
    for _ in range(args.repeats):
        due_now()
        runner = ProbeRunner()
        since = timezone.now()
        begin = time.perf_counter()
        runner.tick(since)
        tick_times.append(time.perf_counter() - begin)
        fresh = Probe.objects.filter(last_state="up", last_checked_at__gte=since)
        while fresh.count() < args.probes:
            runner.wait(0.05)
            runner.collect()
        fast_times.append(time.perf_counter() - begin)
        while runner.in_flight:
            runner.wait(0.05)
            runner.collect()
        runner.close()
    _line("worker tick (claim + submit)", tick_times)
    _line("healthy probes all recorded", fast_times)

    start = datetime(2026, 11, 2, 10, 0, tzinfo=PARIS)
    for service in made:
        for day in range(3):
            found = Incident.objects.create(
                title="x",
                cause="service",
                status="resolved",
                started_at=start + timedelta(days=day * 7),
                ended_at=start + timedelta(days=day * 7, minutes=30),
                created_at=start,
                updated_at=start,
            )
            found.services.set([service])
    reports.availability_by_service(made, 2026, 11)  # warm the offer and calendar caches
    bulk = _timed(lambda: reports.availability_by_service(made, 2026, 11), args.repeats)
    single = _timed(
        lambda: [reports.service_month_report(s.pk, 2026, 11) for s in made], args.repeats
    )
    _line(f"bulk TD, {len(made)} services", bulk)
    _line(f"one by one TD, {len(made)} services", single)
    server.shutdown()
    mute.close()
    for sock in held:
        sock.close()


if __name__ == "__main__":
    raise SystemExit(main())
