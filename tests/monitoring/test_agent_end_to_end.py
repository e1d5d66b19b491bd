"""The agent and the server, for real, end to end (issue 7, MON-1, MON-2).

A data directory gets a migrated SQLite database, a PreventCare contract, a site, a server and
its token (``livret server token create``); ``livret serve`` runs on 127.0.0.1 on a free port;
the REAL agent (``python -m livret agent --once``) reads this machine's counters and sends them.
What arrived is read from the SQLite file itself. Then the server is stopped: the agent keeps
its batch on disk (exit 75); the server comes back: the backlog and the new batch are stored,
each exactly once, and a batch sent again is answered ``duplicate``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from livret.agent.buffer import FILE_NAME
from tests.helpers.cli import run_livret
from tests.helpers.net import free_port

HOSTNAME = "srv-e2e-01"
PLAIN_METRICS = {
    "cpu_percent",
    "memory_committed_percent",
    "pagefile_percent",
    "disk_busy_percent",
    "disk_queue_percent",
    "heartbeat",
}
NAMED_METRICS = ("disk_free_percent:", "service_running:", "latency_ms:", "vpn_up:")
ALWAYS_SENT = {"cpu_percent", "memory_committed_percent", "pagefile_percent"}

SETUP = f"""
from datetime import date
from livret.offers.services import import_builtin_presets
from livret.tenants.models import Client
from livret.tenants.services import create_contract
from livret.monitoring.models import Server, Site
versions = {{r.version.offer_id: r.version for r in import_builtin_presets()}}
client = Client.objects.create(name="Boulangerie E2E", slug="boulangerie-e2e")
contract = create_contract(client=client, reference="P-E2E", offer_version=versions["preventcare"],
                           start_date=date(2026, 1, 5))
site = Site.objects.create(client=client, contract=contract, name="Fournil", users_count=4)
Server.objects.create(site=site, hostname="{HOSTNAME}")
"""


class LiveLivret:
    """``livret serve`` in a subprocess on 127.0.0.1:port, on the SQLite file of data_dir."""

    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        self.data_dir, self.port, self.log = data_dir, port, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "LIVRET_DATA_DIR": str(self.data_dir), "DATABASE_URL": ""}
        command = [sys.executable, "-m", "livret", "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--workers", "1", "--threads", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"livret serve did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(f"{self.url}/api/monitoring/samples", timeout=2)
        except urllib.error.HTTPError:
            return True  # any HTTP answer (405 to a GET): the worker is up
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@dataclass
class World:
    data_dir: Path
    state_dir: Path
    server: LiveLivret
    token: str


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data directory migrated, with the server and its token (made once: each test runs
    on its own copy)."""
    data_dir = tmp_path_factory.mktemp("e2e-template")
    migrated = run_livret("manage", "migrate", "-v", "0", data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    setup = run_livret("manage", "shell", "-c", SETUP, data_dir=data_dir)
    assert setup.returncode == 0, setup.stderr
    created = run_livret("server", "token", "create", HOSTNAME, data_dir=data_dir)
    assert created.returncode == 0, created.stderr
    return data_dir, created.stdout.strip()


@pytest.fixture
def world(prepared: tuple[Path, str], tmp_path: Path) -> Iterator[World]:
    template, token = prepared
    data_dir = tmp_path / "data"
    shutil.copytree(template, data_dir)
    server = LiveLivret(data_dir, free_port(), tmp_path / "serve.log")
    server.start()
    try:
        yield World(data_dir, tmp_path / "agent-state", server, token)
    finally:
        server.stop()


def run_agent(world: World) -> subprocess.CompletedProcess[str]:
    """The real agent, once, as an administrator would run it on the server."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "livret",
            "agent",
            "--url",
            world.server.url,
            "--token",
            world.token,
            "--once",
            "--state-dir",
            str(world.state_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def query(world: World, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of the server's SQLite database (what livret stored)."""
    db = sqlite3.connect(world.data_dir / "livret.sqlite3", timeout=10)
    try:
        return list(db.execute(sql, args))
    finally:
        db.close()


def samples(world: World) -> list[tuple[str, datetime, float]]:
    """(metric, time, value) of every stored sample of the server, oldest first."""
    rows = query(
        world,
        "SELECT metric, time, value FROM monitoring_sample s"
        " JOIN monitoring_server v ON v.id = s.server_id WHERE v.hostname = ?"
        " ORDER BY s.time, s.id",
        HOSTNAME,
    )
    return [(m, datetime.fromisoformat(t).replace(tzinfo=UTC), v) for m, t, v in rows]


def batches(world: World) -> list[tuple[str, int]]:
    """(batch_id, count) of every batch livret recorded for the server."""
    return [
        (row[0], row[1])
        for row in query(
            world,
            "SELECT batch_id, count FROM monitoring_ingestedbatch b"
            " JOIN monitoring_server v ON v.id = b.server_id WHERE v.hostname = ? ORDER BY b.id",
            HOSTNAME,
        )
    ]


def waiting(world: World) -> list[tuple[str, list[dict[str, Any]]]]:
    """(batch_id, samples) of the batches the agent keeps on disk."""
    db = sqlite3.connect(world.state_dir / FILE_NAME, timeout=10)
    try:
        rows = db.execute("SELECT batch_id, samples FROM batches ORDER BY seq").fetchall()
    finally:
        db.close()
    return [(row[0], json.loads(row[1])) for row in rows]


def post_samples(world: World, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{world.server.url}/api/monitoring/samples",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def in_contract(metric: str) -> bool:
    return metric in PLAIN_METRICS or any(
        metric.startswith(prefix) and len(metric) > len(prefix) for prefix in NAMED_METRICS
    )


def test_it_stores_what_the_real_agent_sends_to_the_real_server(world: World) -> None:
    """MON-1, MON-2: the agent's counters arrive as Sample rows with the contract's names,
    at the times the agent measured them (milliseconds kept), with the first heartbeat."""
    before = datetime.now(UTC)
    result = run_agent(world)
    after = datetime.now(UTC)
    assert result.returncode == 0, result.stderr + world.server.log.read_text()

    stored = samples(world)
    metrics = {metric for metric, _, _ in stored}
    assert ALWAYS_SENT | {"heartbeat"} <= metrics
    assert any(metric.startswith("disk_free_percent:") for metric in metrics)
    assert all(in_contract(metric) for metric in metrics), metrics
    times = {when for _, when, _ in stored}
    assert len(times) == 1  # one collection, one instant
    [when] = times
    assert before - timedelta(seconds=1) <= when <= after
    assert when.microsecond % 1000 == 0  # the agent's milliseconds, stored as sent
    assert all(0 <= value <= 100 for metric, _, value in stored if metric.endswith("percent"))
    [(_, count)] = batches(world)
    assert count == len(stored)
    [(seen, beat, flagged)] = query(
        world,
        "SELECT last_seen_at, last_heartbeat_at, clock_flagged FROM monitoring_server"
        " WHERE hostname = ?",
        HOSTNAME,
    )
    assert seen is not None and beat is not None and not flagged


def test_it_keeps_the_batch_while_the_server_is_down_and_stores_each_batch_once(
    world: World,
) -> None:
    """Issue 7: server stopped → the batch waits on disk (exit 75); server back → the backlog
    then the new batch are stored, each exactly once; a batch sent again is a duplicate."""
    assert run_agent(world).returncode == 0
    [(first_id, first_count)] = batches(world)

    world.server.stop()
    offline = run_agent(world)
    assert offline.returncode == 75, offline.stderr
    assert "stays on disk" in offline.stderr
    [(backlog_id, backlog_samples)] = waiting(world)
    assert batches(world) == [(first_id, first_count)]  # nothing arrived meanwhile

    world.server.start()  # the same port
    back = run_agent(world)
    assert back.returncode == 0, back.stderr + world.server.log.read_text()
    assert waiting(world) == []

    stored = batches(world)
    ids = [batch_id for batch_id, _ in stored]
    assert ids[:2] == [first_id, backlog_id]  # the backlog first, then the new batch
    assert len(ids) == 3 and len(set(ids)) == 3
    assert dict(stored)[backlog_id] == len(backlog_samples)
    rows = samples(world)
    assert len(rows) == sum(count for _, count in stored)
    cpu = [when for metric, when, _ in rows if metric == "cpu_percent"]
    assert len(cpu) == len(set(cpu)) == 3  # one reading per collection, none twice
    assert [metric for metric, _, _ in rows].count("heartbeat") == 1  # hourly: the first run

    sent_at = datetime.now(UTC).isoformat()
    status, answer = post_samples(
        world, {"batch_id": backlog_id, "sent_at": sent_at, "samples": backlog_samples}
    )
    assert (status, answer["duplicate"], answer["accepted"]) == (200, True, 0)
    assert len(samples(world)) == len(rows)


def test_it_accepts_millisecond_times_and_a_disk_queue_above_100(world: World) -> None:
    """What the agent sends: ``…T08:20:00.000+00:00`` times, and ``disk_queue_percent`` as the
    queue length × 100, so 350 for an average queue of 3.5 (MON-2 reads it as > 95 %)."""
    now = datetime.now(UTC).replace(microsecond=0)
    when = (now - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    assert when.endswith(".000+00:00")
    body = {
        "batch_id": str(uuid.uuid4()),
        "sent_at": now.isoformat(timespec="milliseconds"),
        "samples": [
            {"time": when, "metric": "disk_queue_percent", "value": 350.0},
            {"time": when, "metric": "disk_busy_percent", "value": 100},
        ],
    }
    status, answer = post_samples(world, body)
    assert (status, answer["accepted"], answer["clock_flagged"]) == (200, 2, False), answer
    stored = {metric: (at, value) for metric, at, value in samples(world)}
    assert stored["disk_queue_percent"] == (now - timedelta(minutes=1), 350.0)
    assert stored["disk_busy_percent"][1] == 100.0
