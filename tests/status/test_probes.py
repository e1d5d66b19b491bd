"""Probes against real servers started here (AVL-4): an HTTP server in a thread, a TCP listener,
a closed port, a server that accepts and never answers, and a port that blackholes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from livret.errors import ServiceError
from livret.status import services
from livret.status.models import (
    Cause,
    Incident,
    IncidentStatus,
    Probe,
    ProbeStateChange,
    ServiceState,
    StatusEvent,
)
from livret.status.probes import ProbeRunner, claim, due_probes, run_due_probes

pytestmark = pytest.mark.django_db


class Handler(BaseHTTPRequestHandler):
    """/healthz answers 200; /broken answers 503; the server's ``healthy`` flag flips /healthz."""

    def do_GET(self) -> None:
        healthy = getattr(self.server, "healthy", True)
        status = 200 if self.path == "/healthz" and healthy else 503
        body = b"ok" if status == 200 else b"down"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port that accepts connections (the kernel completes the handshake)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def mute_server() -> Iterator[int]:
    """Accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    sock.close()


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A listening port whose accept queue is full: the kernel drops new SYNs, so a connect
    hangs until its timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    port = sock.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    yield port
    for filler in fillers:
        filler.close()
    sock.close()


def probe(world, kind: str, target: str, **options) -> Probe:  # type: ignore[no-untyped-def]
    options = {"timeout_seconds": 0.5, "retries": 1, **options}
    return services.add_probe(world.tech, world.a, kind=kind, target=target, **options)


def url(server: ThreadingHTTPServer, path: str = "/healthz") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_it_records_up_and_down_against_real_servers(world, http_server, listener, closed_port):
    up_http = probe(world, "http", url(http_server))
    bad_http = probe(world, "http", url(http_server, "/broken"))
    up_tcp = probe(world, "tcp", f"127.0.0.1:{listener}")
    refused = probe(world, "tcp", f"127.0.0.1:{closed_port}")
    results = {r.probe_id: r for r in run_due_probes()}
    assert results[up_http.pk].up and results[up_tcp.pk].up
    assert results[up_http.pk].attempts == 1
    assert not results[bad_http.pk].up and "503" in results[bad_http.pk].error
    assert not results[refused.pk].up and "connexion impossible" in results[refused.pk].error
    assert results[refused.pk].attempts == 2  # retried once
    for p, state in ((up_http, "up"), (bad_http, "down"), (up_tcp, "up"), (refused, "down")):
        p.refresh_from_db()
        assert p.last_state == state
        assert p.claimed_until is None
        assert p.next_run_at > timezone.now() + timedelta(seconds=50)  # one interval on


def test_it_stores_a_state_change_only_when_the_state_changes(world, http_server) -> None:
    p = probe(world, "http", url(http_server))
    for _ in range(3):
        Probe.objects.filter(pk=p.pk).update(next_run_at=timezone.now())
        run_due_probes()
    http_server.healthy = False  # type: ignore[attr-defined]
    for _ in range(2):
        Probe.objects.filter(pk=p.pk).update(next_run_at=timezone.now())
        run_due_probes()
    changes = list(ProbeStateChange.objects.filter(probe=p).values_list("state", flat=True))
    assert changes == ["up", "down"]
    down = ProbeStateChange.objects.get(probe=p, state="down")
    assert "503" in down.error and down.latency_ms is None
    assert ProbeStateChange.objects.get(probe=p, state="up").latency_ms is not None


def test_it_opens_a_draft_incident_when_a_probe_goes_down_and_ends_it_when_back(
    world, http_server
) -> None:
    """AVL-4: probe-detected downtime opens a draft incident of cause ``service``."""
    p = probe(world, "http", url(http_server))
    run_due_probes()
    http_server.healthy = False  # type: ignore[attr-defined]
    Probe.objects.filter(pk=p.pk).update(next_run_at=timezone.now())
    run_due_probes()
    incident = Incident.objects.get()
    assert (incident.status, incident.cause, incident.public) == (
        IncidentStatus.DRAFT,
        Cause.SERVICE,
        False,
    )
    assert incident.detected_by == p and incident.ended_at is None
    world.a.refresh_from_db()
    assert world.a.state == ServiceState.DOWN

    http_server.healthy = True  # type: ignore[attr-defined]
    Probe.objects.filter(pk=p.pk).update(next_run_at=timezone.now())
    run_due_probes()
    incident.refresh_from_db()
    back = ProbeStateChange.objects.filter(probe=p).last()
    assert back is not None and back.state == "up"
    assert incident.ended_at == back.at
    assert incident.updates.count() == 2  # detected, then back
    assert "répond de nouveau" in incident.updates.last().message
    world.a.refresh_from_db()
    assert world.a.state == ServiceState.OPERATIONAL
    service_states = StatusEvent.objects.filter(kind="service.state").values_list(
        "data__state", flat=True
    )
    assert list(service_states) == ["down", "operational"]


def test_it_blames_the_maintenance_in_progress_for_a_probe_failure(world, closed_port) -> None:
    """AVL-2: downtime during an urgent maintenance is of cause urgent-maintenance."""
    now = timezone.now()
    services.plan_maintenance(
        world.tech,
        [world.a],
        "Correctif urgent",
        now - timedelta(minutes=5),
        now + timedelta(minutes=30),
        True,
        urgent=True,
    )
    probe(world, "tcp", f"127.0.0.1:{closed_port}", retries=0)
    run_due_probes()
    assert Incident.objects.get().cause == Cause.URGENT_MAINTENANCE
    world.a.refresh_from_db()
    assert world.a.state == ServiceState.MAINTENANCE


def test_it_is_not_delayed_by_a_mute_server_or_a_blackholed_port(
    world, http_server, listener, mute_server, blackhole
) -> None:
    """A hung host delays nothing but itself: the worker's tick returns at once, fast probes
    are recorded while the hung ones still wait, and those end as down within their budget."""
    fast = [probe(world, "http", url(http_server)), probe(world, "tcp", f"127.0.0.1:{listener}")]
    hung = [
        probe(world, "http", f"http://127.0.0.1:{mute_server}/", timeout_seconds=1.0),
        probe(world, "tcp", f"127.0.0.1:{blackhole}", timeout_seconds=1.0),
    ]
    runner = ProbeRunner()
    try:
        begin = time.monotonic()
        runner.tick(timezone.now())
        assert time.monotonic() - begin < 0.5  # the worker never waits for a check
        while time.monotonic() - begin < 0.8:
            runner.collect()
            time.sleep(0.02)
        for p in fast:
            p.refresh_from_db()
            assert p.last_state == "up"
        for p in hung:
            p.refresh_from_db()
            assert p.last_state == "unknown"  # still being checked
        while runner.in_flight and time.monotonic() - begin < 5:
            runner.collect()
            time.sleep(0.05)
        elapsed = time.monotonic() - begin
    finally:
        runner.close()
    budget = 1.0 * 2 + 0.2  # two attempts of 1 s and one pause
    assert elapsed < budget + 1.5
    errors = {}
    for p in hung:
        p.refresh_from_db()
        errors[p.kind] = p.last_error
        assert p.last_state == "down"
    assert "pas de réponse en 1 s" in errors["http"]
    assert "pas de connexion en 1 s" in errors["tcp"]


def test_it_claims_a_probe_once_however_many_workers_ask(world, listener) -> None:
    p = probe(world, "tcp", f"127.0.0.1:{listener}")
    now = timezone.now()
    specs = due_probes(now)
    assert [s.probe_id for s in specs] == [p.pk]
    assert claim(specs[0], now) is True
    assert claim(specs[0], now) is False  # a second worker finds it taken
    assert due_probes(now) == []  # and no longer due


def test_it_finds_due_probes_with_one_query(world, listener, django_assert_num_queries) -> None:
    for _ in range(5):
        probe(world, "tcp", f"127.0.0.1:{listener}")
    with django_assert_num_queries(1):
        assert len(due_probes(timezone.now())) == 5


@pytest.mark.parametrize(
    ("kind", "target", "field"),
    [
        ("http", "ftp://example.org/", "target"),
        ("http", "http://", "target"),
        ("tcp", "example.org", "target"),
        ("tcp", "example.org:99999", "target"),
        ("icmp", "example.org", "kind"),
    ],
)
def test_it_names_the_field_of_a_bad_probe(world, kind, target, field) -> None:
    with pytest.raises(ServiceError) as refused:
        services.add_probe(world.tech, world.a, kind=kind, target=target)
    assert refused.value.field == field


def test_it_refuses_a_timeout_longer_than_the_interval(world) -> None:
    with pytest.raises(ServiceError) as refused:
        services.add_probe(
            world.tech,
            world.a,
            kind="tcp",
            target="127.0.0.1:80",
            interval_seconds=30,
            timeout_seconds=45,
        )
    assert refused.value.field == "timeout_seconds"


def test_it_registers_the_worker_jobs() -> None:
    from livret.ops.worker import JOBS

    names = [job.name for job in JOBS]
    assert names.count("probes") == 1 and names.count("maintenance-clock") == 1
