"""``livret serve`` started for real (gunicorn on 127.0.0.1), with a worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.helpers.net import free_port


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


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
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = _get(f"{base}/api/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
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
