"""``livret agent`` run for real (subprocesses) against a real HTTP server speaking the
monitoring ingestion API contract (issue 7, MON-1, MON-2): shape of the samples, outage and
backlog replay in order, kill -9, refused token, malformed batch, command-line errors."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from livret.agent.buffer import FILE_NAME, Buffer
from livret.agent.client import Backoff
from livret.agent.collect import Collector, Sample, systemd_state_value, volume_name

TOKEN = "srv_agent-test-token"
PLAIN_METRICS = {
    "cpu_percent",
    "memory_committed_percent",
    "pagefile_percent",
    "disk_busy_percent",
    "disk_queue_percent",
    "heartbeat",
}
NAMED_METRICS = ("disk_free_percent:", "service_running:", "latency_ms:", "vpn_up:")
SAMPLE_PATH = "/api/monitoring/samples"


# --------------------------------------------------------------------------- the test server


def _aware(text: Any) -> bool:
    try:
        return datetime.fromisoformat(text).utcoffset() is not None
    except (TypeError, ValueError):
        return False


def contract_problem(body: Any) -> tuple[str, str] | None:
    """(field, reason) when the body breaks the contract of POST /api/monitoring/samples."""
    if not isinstance(body, dict):
        return "body", "a JSON object is expected"
    if not isinstance(body.get("batch_id"), str) or not body["batch_id"]:
        return "batch_id", "a non-empty string is expected"
    if not _aware(body.get("sent_at")):
        return "sent_at", "an ISO 8601 instant with its offset is expected"
    samples = body.get("samples")
    if not isinstance(samples, list) or not 1 <= len(samples) <= 5000:
        return "samples", "a list of 1 to 5,000 samples is expected"
    for index, sample in enumerate(samples):
        where = f"samples.{index}"
        if not isinstance(sample, dict) or set(sample) != {"time", "metric", "value"}:
            return where, "time, metric and value are expected"
        if not _aware(sample["time"]):
            return f"{where}.time", "an ISO 8601 instant with its offset is expected"
        metric = sample["metric"]
        named = any(
            isinstance(metric, str) and metric.startswith(p) and len(metric) > len(p)
            for p in NAMED_METRICS
        )
        if metric not in PLAIN_METRICS and not named:
            return f"{where}.metric", f"unknown metric {metric!r}"
        value = sample["value"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{where}.value", "a number is expected"
    return None


class IngestServer:
    """The ingestion API on 127.0.0.1 (ephemeral port): 401 for another token, 400 naming the
    field, a batch_id stored at most once (then 200 duplicate:true); it can be stopped and
    started again on the same port, or made to fail with 503."""

    def __init__(self) -> None:
        self.port = 0
        self.failing = False
        self.stored: list[dict[str, Any]] = []  # accepted batches, in arrival order
        self.duplicates: list[str] = []  # batch_ids answered duplicate:true
        self.refused: list[int] = []  # statuses of the other answers
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.ingest = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None

    def batch_ids(self) -> list[str]:
        with self.lock:
            return [batch["batch_id"] for batch in self.stored]

    def batch_times(self) -> list[datetime]:
        """The collection time of each stored batch (all its samples share it)."""
        with self.lock:
            return [datetime.fromisoformat(b["samples"][0]["time"]) for b in self.stored]

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.failing:
            return 503, {"code": "unavailable", "message": "down for maintenance"}
        problem = contract_problem(body)
        if problem:
            return 400, {"code": "invalid", "message": problem[1], "field": problem[0]}
        with self.lock:
            if body["batch_id"] in {b["batch_id"] for b in self.stored}:
                self.duplicates.append(body["batch_id"])
                duplicate = True
            else:
                self.stored.append(body)
                duplicate = False
        skew = (datetime.now(UTC) - datetime.fromisoformat(body["sent_at"])).total_seconds()
        return 200, {
            "accepted": 0 if duplicate else len(body["samples"]),
            "duplicate": duplicate,
            "clock_skew_seconds": skew,
            "clock_flagged": abs(skew) > 300,
        }


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        ingest: IngestServer = self.server.ingest  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/moved/"):  # the site moved: a POST must not become a GET
            self.send_response(301)
            self.send_header("Location", ingest.url + SAMPLE_PATH)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != SAMPLE_PATH:
            status, data = 404, {"code": "not_found", "message": "no such route"}
        elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
            status, data = 401, {"code": "unauthorized", "message": "unknown or revoked token"}
        else:
            try:
                body = json.loads(raw)
            except ValueError:
                status, data = 400, {"code": "invalid", "message": "not JSON", "field": "body"}
            else:
                status, data = ingest.answer(body)
        if status != 200:
            with ingest.lock:
                ingest.refused.append(status)
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server() -> Iterator[IngestServer]:
    ingest = IngestServer()
    ingest.start()
    yield ingest
    if ingest._httpd is not None:
        ingest.stop()


# --------------------------------------------------------------------------- helpers


def agent_command(url: str, state_dir: Path, *args: str, token: str = TOKEN) -> list[str]:
    return [
        sys.executable,
        "-m",
        "livret",
        "agent",
        "--url",
        url,
        "--token",
        token,
        "--state-dir",
        str(state_dir),
        *args,
    ]


def run_once(url: str, state_dir: Path, *args: str, token: str = TOKEN) -> Any:
    return subprocess.run(
        agent_command(url, state_dir, "--once", *args, token=token),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def start_agent(url: str, state_dir: Path, log: Path, *args: str) -> subprocess.Popen[str]:
    """The agent in the background, collecting every 0.2 s, a heartbeat every second."""
    with log.open("a") as stderr:
        return subprocess.Popen(
            agent_command(url, state_dir, "--interval", "0.2", "--heartbeat-every", "1", *args),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def queue(state_dir: Path) -> tuple[list[str], int]:
    """(batch_ids waiting, oldest first; number of batches ever written) of the agent's file."""
    path = state_dir / FILE_NAME
    if not path.exists():
        return [], 0
    db = sqlite3.connect(path, timeout=10)
    try:
        waiting = [row[0] for row in db.execute("SELECT batch_id FROM batches ORDER BY seq")]
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'batches'").fetchone()
    except sqlite3.OperationalError:  # the agent has not created its tables yet
        return [], 0
    finally:
        db.close()
    return waiting, row[0] if row else 0


def assert_no_loss_no_double(server: IngestServer, state_dir: Path) -> None:
    """Every batch ever written is stored once or still waiting; none stored as two batches."""
    waiting, written = queue(state_dir)
    times = server.batch_times()
    assert len(server.stored) + len(waiting) == written
    assert not set(waiting) & set(server.batch_ids())
    assert times == sorted(times) and len(set(times)) == len(times)  # in order, no copy


# --------------------------------------------------------------------------- collector


def test_it_collects_sane_values_on_this_linux_machine() -> None:
    """MON-1/MON-2 counters: percentages in range, free space of at least one volume."""
    samples = Collector().collect()
    values = {s.metric: s.value for s in samples}
    assert {
        "cpu_percent",
        "memory_committed_percent",
        "pagefile_percent",
        "disk_free_percent:/",
    } <= set(values)
    for metric in ("cpu_percent", "memory_committed_percent", "pagefile_percent"):
        assert 0 <= values[metric] <= 100, metric
    if "disk_busy_percent" in values:  # no physical disk is visible in some containers
        assert 0 <= values["disk_busy_percent"] <= 100
        assert values["disk_queue_percent"] >= 0
    free = {m: v for m, v in values.items() if m.startswith("disk_free_percent:")}
    assert free and all(0 <= v <= 100 for v in free.values())
    assert len({s.time for s in samples}) == 1 and samples[0].time.utcoffset() is not None
    body = {"batch_id": "x", "sent_at": datetime.now(UTC).isoformat()}
    assert contract_problem({**body, "samples": [s.to_json() for s in samples]}) is None


def test_it_measures_the_processor_over_the_time_between_two_collections() -> None:
    collector = Collector()
    collector.collect()
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:  # keep one core busy
        pass
    second = {s.metric: s.value for s in collector.collect()}
    assert 100 / (os.cpu_count() or 1) * 0.5 <= second["cpu_percent"] <= 100


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("active", 1.0),
        ("reloading", 1.0),
        ("inactive", 0.0),
        ("failed", 0.0),
        ("activating", 0.0),
        ("deactivating", 0.0),
        ("", None),  # systemd not running: no sample rather than a false "stopped"
    ],
)
def test_it_reads_the_answers_of_systemctl_is_active(answer: str, value: float | None) -> None:
    assert systemd_state_value(answer) == value


def test_it_reports_a_service_as_stopped_or_warns_when_systemd_cannot_tell(caplog) -> None:
    samples = Collector(services=["livret-no-such-unit"]).collect()
    states = [s.value for s in samples if s.metric == "service_running:livret-no-such-unit"]
    if states:  # a machine booted with systemd: the unknown unit is not running
        assert states == [0.0]
    else:  # this container has no systemd: one warning, no invented state
        assert "service livret-no-such-unit: systemd cannot tell" in caplog.text


@pytest.mark.parametrize(
    ("mountpoint", "volume"), [("C:\\", "C:"), ("D:\\", "D:"), ("/", "/"), ("/srv", "/srv")]
)
def test_it_names_volumes_as_the_contract_does(mountpoint: str, volume: str) -> None:
    assert volume_name(mountpoint) == volume


def test_it_backs_off_exponentially_up_to_a_cap() -> None:
    backoff = Backoff(first=10, cap=300, jitter=lambda: 1.0)
    assert [backoff.failure() for _ in range(7)] == [10, 20, 40, 80, 160, 300, 300]
    backoff.success()
    assert backoff.failure() == 10
    assert Backoff(first=10, cap=300, jitter=lambda: 0.0).failure() == 5  # jitter halves at most


# --------------------------------------------------------------------------- the agent, for real


def test_it_sends_one_batch_of_the_contracts_shape_with_once(server, tmp_path) -> None:
    result = run_once(server.url, tmp_path, "--services", "livret-no-such-unit")
    assert result.returncode == 0, result.stderr
    [batch] = server.stored
    assert contract_problem(batch) is None
    metrics = [s["metric"] for s in batch["samples"]]
    assert {"cpu_percent", "memory_committed_percent", "pagefile_percent", "heartbeat"} <= set(
        metrics
    )
    assert any(m.startswith("disk_free_percent:") for m in metrics)
    assert [s["value"] for s in batch["samples"] if s["metric"] == "heartbeat"] == [1.0]
    assert abs(datetime.fromisoformat(batch["sent_at"]) - datetime.now(UTC)).total_seconds() < 30
    assert queue(tmp_path) == ([], 1)


def test_it_sends_the_heartbeat_once_an_hour_across_once_runs(server, tmp_path) -> None:
    """MON-2 heartbeat every hour: the time of the last one survives the process."""
    for _ in range(2):
        assert run_once(server.url, tmp_path).returncode == 0
    first, second = ([s["metric"] for s in b["samples"]] for b in server.stored)
    assert "heartbeat" in first and "heartbeat" not in second


def test_it_reads_the_token_from_a_file(server, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    command = agent_command(server.url, tmp_path / "state", "--once")
    command[command.index("--token") : command.index("--token") + 2] = [
        "--token-file",
        str(token_file),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert len(server.stored) == 1


def test_it_keeps_the_batch_and_exits_75_when_once_cannot_reach_the_server(
    server, tmp_path
) -> None:
    server.stop()
    result = run_once(server.url, tmp_path)
    assert result.returncode == 75
    assert "Connection refused" in result.stderr and "stays on disk" in result.stderr
    assert len(queue(tmp_path)[0]) == 1


def test_it_does_not_follow_a_redirect_but_names_the_new_address(server, tmp_path) -> None:
    result = run_once(server.url + "/moved", tmp_path)
    assert result.returncode == 75
    assert f"redirected to {server.url}{SAMPLE_PATH}: give the final address" in result.stderr
    assert server.stored == [] and len(queue(tmp_path)[0]) == 1


def test_it_buffers_during_an_outage_and_replays_the_backlog_in_order_exactly_once(
    server, tmp_path
) -> None:
    """Issue 7: unreachable server → buffered on disk → backlog sent in order, no duplicate."""
    state, log = tmp_path / "state", tmp_path / "agent.log"
    agent = start_agent(server.url, state, log)
    try:
        wait_until(lambda: len(server.stored) >= 2, "the first batches")
        server.stop()
        wait_until(lambda: len(queue(state)[0]) >= 3, "a backlog on disk")
        backlog = queue(state)[0]
        server.start()  # same port
        wait_until(lambda: set(backlog) <= set(server.batch_ids()), "the backlog to arrive")
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=10) == 0, log.read_text()
    finally:
        agent.kill()
    ids = server.batch_ids()
    assert ids[ids.index(backlog[0]) :][: len(backlog)] == backlog  # oldest first, no gap
    assert server.duplicates == []
    assert_no_loss_no_double(server, state)
    assert "Connection refused" in log.read_text()
    heartbeats = [
        datetime.fromisoformat(s["time"])
        for batch in server.stored
        for s in batch["samples"]
        if s["metric"] == "heartbeat"
    ]
    assert 1 <= len(heartbeats) < len(server.stored)  # every second, not in every batch
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(heartbeats)]
    assert all(gap >= 0.85 for gap in gaps), gaps


def test_it_loses_nothing_and_stores_nothing_twice_when_killed(server, tmp_path) -> None:
    """kill -9 while the backlog of an outage (503) drains: restarted, the agent sends every
    written batch, in order; a batch sent again keeps its batch_id (duplicate:true at most)."""
    state, log = tmp_path / "state", tmp_path / "agent.log"
    agent = start_agent(server.url, state, log)
    try:
        wait_until(lambda: len(server.stored) >= 2, "the first batches")
        server.failing = True
        wait_until(lambda: len(queue(state)[0]) >= 3, "a backlog on disk")
        backlog = queue(state)[0]
        server.failing = False
        wait_until(lambda: backlog[0] in server.batch_ids(), "the backlog to drain")
    finally:
        agent.kill()  # SIGKILL
        agent.wait()

    before_restart = len(server.stored)
    agent = start_agent(server.url, state, log)

    def after_backlog() -> int:
        ids = server.batch_ids()
        return len(ids) - ids.index(backlog[-1]) - 1 if backlog[-1] in ids else 0

    try:
        # The killed agent may have sent the backlog and more already: wait for the new
        # agent's own batches too, so that it has its signal handlers when SIGTERM comes.
        wait_until(
            lambda: after_backlog() >= 2 and len(server.stored) >= before_restart + 2,
            "the backlog and newer batches",
        )
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=10) == 0, log.read_text()
    finally:
        agent.kill()
    ids = server.batch_ids()
    assert ids[ids.index(backlog[0]) :][: len(backlog)] == backlog
    assert 503 in server.refused
    assert_no_loss_no_double(server, state)


def test_it_exits_77_with_a_clear_message_when_the_token_is_refused(server, tmp_path) -> None:
    result = run_once(server.url, tmp_path, token="srv_revoked")
    assert result.returncode == 77
    assert "livret: error: the server refused the token" in result.stderr
    assert "unknown or revoked" in result.stderr
    assert "Traceback" not in result.stderr
    assert server.stored == [] and server.refused == [401]
    assert len(queue(tmp_path)[0]) == 1  # what was collected is kept for a new token


def test_it_moves_a_malformed_batch_aside_and_sends_the_next_ones(server, tmp_path) -> None:
    buffer = Buffer(tmp_path)
    bad = buffer.add([Sample(datetime.now(UTC), "temperature", 41.0)])
    buffer.close()
    result = run_once(server.url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"batch {bad} refused by the server (HTTP 400): samples.0.metric" in result.stderr
    assert len(server.stored) == 1 and bad not in server.batch_ids()
    assert Buffer(tmp_path).rejected() == [
        (bad, 400, "samples.0.metric: unknown metric 'temperature'")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://livret.example"], "--url: 'ftp://livret.example' is not an http://"),
        (["--url", "livret.example"], "--url: 'livret.example' is not an http://"),
        (["--url", "http://x:99999"], "--url: 'http://x:99999' has an invalid port"),
        (["--interval", "0"], "--interval: must be a positive number of seconds"),
        (["--heartbeat-every", "soon"], "--heartbeat-every: 'soon' is not a number"),
        (["--token", " "], "--token: the token is empty"),
    ],
)
def test_it_refuses_bad_input_with_one_line_and_exit_2(tmp_path, args, message) -> None:
    command = agent_command("https://livret.example", tmp_path, *args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"livret: error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / FILE_NAME).exists()


def test_it_refuses_an_empty_token_file(tmp_path) -> None:
    (tmp_path / "token").write_text("\n")
    command = [sys.executable, "-m", "livret", "agent", "--url", "https://livret.example"]
    command += ["--token-file", str(tmp_path / "token"), "--state-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "--token-file" in result.stderr and "the token is empty" in result.stderr


def test_it_runs_without_django() -> None:
    """The agent runs on client servers with livret and psutil only: no Django import."""
    code = (
        "import sys\n"
        "import livret.agent, livret.agent.buffer, livret.agent.client, livret.agent.collect\n"
        "import livret.agent.main, livret.cli.agent, livret.cli\n"
        "livret.cli.build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "[]"
