"""The demo follows the address it is served on (issue 12): started on another port than the
one it was made for, its links and its own probes use that port, and it shows no outage."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.net import free_port


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def _probes(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT target, last_state FROM status_probe ORDER BY id").fetchall()


@pytest.mark.slow
def test_a_demo_served_on_another_port_watches_itself(demo_dir, tmp_path) -> None:
    data = tmp_path / "demo"
    shutil.copytree(demo_dir, data)  # made for port 8000 (the default), served elsewhere
    database = data / "livret.sqlite3"
    assert all(":8000" in target for target, _ in _probes(database))
    port = free_port()
    env = {**os.environ, "LIVRET_DATA_DIR": str(data), "DATABASE_URL": "", "LIVRET_SMTP_PORT": "9"}
    env.pop("LIVRET_SITE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "livret", "serve", "--port", str(port), "--workers", "1",
         "--with-worker"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            probes = _probes(database)
            if probes and all(state == "up" for _, state in probes):
                break
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, probes
            time.sleep(0.5)
        assert sorted(target for target, _ in probes) == [f"127.0.0.1:{port}", f"{base}/healthz"]
        summary = json.loads(_get(f"{base}/statut/cegid/statut.json"))
        assert {s["state"] for s in summary["services"]} == {"operational"}
        assert summary["ongoing_incidents"] == []
        assert f'href="{base}/statut/cegid/"' in _get(f"{base}/statut/cegid/flux.atom")
        with sqlite3.connect(database) as db:
            drafts = db.execute("SELECT count(*) FROM status_incident WHERE status = 'draft'")
            assert drafts.fetchone() == (0,)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
