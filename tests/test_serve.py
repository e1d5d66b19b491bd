"""``livret serve`` started for real (gunicorn on 127.0.0.1), with a worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.helpers.cli import run_livret
from tests.helpers.net import free_port


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def _status(url: str) -> tuple[int, str]:
    """The status and body of GET url, an HTTP error status included."""
    try:
        return _get(url)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until_up(server: subprocess.Popen[str], base: str) -> None:
    """Wait (30 s at most) until the server answers, failing with its output if it stopped."""
    deadline = time.monotonic() + 30
    while True:
        try:
            _status(f"{base}/healthz")
            return
        except OSError:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "server did not start within 30 s"
            time.sleep(0.2)


@pytest.mark.slow
def test_it_serves_pages_api_and_runs_the_worker(demo_dir) -> None:
    port = free_port()
    env = {**os.environ, "LIVRET_DATA_DIR": str(demo_dir), "DATABASE_URL": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "livret", "serve", "--port", str(port), "--with-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base)
        status, _ = _get(f"{base}/api/health")
        assert status == 200
        status, page = _get(f"{base}/offres/carrus-saas/")
        assert status == 200 and "99,85 %" in page
        status, css = _get(f"{base}/static/livret/site.css")
        assert status == 200 and "--accent" in css
        # the worker started beside the server records its heartbeat
        deadline = time.monotonic() + 20
        while True:
            status, health = _get(f"{base}/healthz")
            if '"worker_last_seen_seconds": null' not in health:
                break
            assert time.monotonic() < deadline, health
            time.sleep(0.5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@pytest.mark.slow
def test_a_dropped_database_connection_costs_no_request(tmp_path) -> None:
    """issue 13, item 14: when PostgreSQL drops the connections (restart, failover, idle
    timeout), the next request opens a new one instead of failing on the dead one it kept."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        pytest.skip(
            "PostgreSQL only (DATABASE_URL=postgres://…): a SQLite file has no server that can "
            "drop the connection"
        )
    import psycopg

    parts = urllib.parse.urlsplit(suite_url.replace("postgres://", "postgresql://", 1))
    name = f"livret_health_{os.getpid()}"
    url = parts._replace(path=f"/{name}").geturl()
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        migrated = run_livret("manage", "migrate", "ops", data_dir=tmp_path, database_url=url)
        assert migrated.returncode == 0, migrated.stderr
        port = free_port()
        env = {**os.environ, "LIVRET_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
        # one process, one thread: every request uses the same kept connection
        server = subprocess.Popen(
            [sys.executable, "-m", "livret", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(server, base)
            assert _status(f"{base}/healthz")[0] == 200
            with psycopg.connect(url, autocommit=True) as conn:
                ended = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            assert ended, "the server kept no connection to terminate"
            status, body = _status(f"{base}/healthz")
            assert (status, body[:18]) == (200, '{"database": "ok",'), body
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_it_forks_its_web_workers_without_a_database_connection(monkeypatch, versions) -> None:
    """The demo's probes are re-pointed before gunicorn forks its workers; the connection that
    took is closed first, or every worker would share it (on PostgreSQL: 500s at start, "lost
    synchronization with server"). SQLite's test database in memory ignores a close, so the
    test follows the calls."""
    import argparse

    from django.db import connections

    from livret.cli import serve as command
    from livret.status import demo

    calls: list[str] = []
    monkeypatch.setattr(demo, "follow_site_url", lambda: calls.append("database") or False)
    monkeypatch.setattr(connections, "close_all", lambda: calls.append("close"))
    monkeypatch.setattr("livret.server.serve", lambda *a, **k: calls.append("fork"))
    args = argparse.Namespace(host="", port=0, workers=1, threads=1, with_worker=False)
    assert command.cmd_serve(args) == 0
    assert calls == ["database", "close", "fork"]
