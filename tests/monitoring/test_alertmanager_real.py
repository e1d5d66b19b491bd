"""A REAL Prometheus Alertmanager posting to livret's receiver (issue 7: "test it with real
Alertmanager payloads").

Alertmanager (Debian's ``prometheus-alertmanager``) listens on 127.0.0.1:19093 with a webhook
receiver pointing at Django's live test server, authenticated by a vendor token. The test posts
an alert to Alertmanager's API v2 and waits for livret to open the support request, then posts
it resolved and waits for livret to resolve it. Skipped when the binary is absent, except in CI
(``CI=true``), where its absence fails the test: .ci/run must install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from livret.accounts.services import create_token
from livret.monitoring.models import MonitoringAlert
from tests.helpers.monitoring import preventcare_site

PORT = 19093
BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _need_binary() -> str:
    if BINARY is None:
        message = (
            "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return BINARY


def _http(method: str, path: str, body: Any = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def _webhook_calls() -> tuple[int, int]:
    """Alertmanager's own count of finished webhook requests, and of failed ones."""
    text = _http("GET", "/metrics")[1].decode()

    def value(name: str) -> int:
        prefix = f'{name}{{integration="webhook"}} '
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        return int(float(lines[0][len(prefix) :])) if lines else 0

    return (
        value("alertmanager_notification_requests_total"),
        value("alertmanager_notification_requests_failed_total"),
    )


def _wait(what: str, check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def alertmanager(live_server, personas, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:  # type: ignore[no-untyped-def]
    """A real Alertmanager whose webhook posts to the live server with a technician's token."""
    binary = _need_binary()
    token = create_token(personas.technician, "alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
route:
  receiver: livret
  group_by: [alertname, instance]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: livret
    webhook_configs:
      - url: {live_server.url}/api/monitoring/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{PORT}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def ready() -> bool:
        try:
            return _http("GET", "/-/ready")[0] == 200
        except OSError:
            return False

    try:
        _wait("Alertmanager to start", ready, 20)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.django_db(transaction=True)
def test_it_opens_then_annotates_a_request_from_a_real_alertmanager(  # type: ignore[no-untyped-def]
    alertmanager, personas, versions
):
    """MON-3 through Alertmanager: a significant alert opens a request on client A's support
    contract; the same alert resolved resolves livret's alert and leaves the request open."""
    preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01",))
    # A minute ago, so that the end below (a second ago) always comes after it.
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    alert = {
        "labels": {
            "alertname": "PreventCareProcessorBusy",
            "rule": "cpu",
            "severity": "significant",
            "instance": "srv-compta-01:9182",
            "job": "windows",
        },
        "annotations": {"summary": "Processeur occupé à plus de 95 % depuis 20 minutes"},
        "startsAt": started.isoformat().replace("+00:00", "Z"),
    }
    assert _http("POST", "/api/v2/alerts", [alert])[0] == 200

    # Wait on Alertmanager's metrics, not on the database: the in-memory test database is
    # shared with the live server's thread, and a read there would lock out its write.
    _wait("the webhook call", lambda: _webhook_calls()[0] >= 1)
    assert _webhook_calls() == (1, 0)  # answered 2xx
    stored = MonitoringAlert.objects.select_related("request").get()
    assert stored.source == "alertmanager"
    assert stored.rule == "cpu" and stored.impact == "significant"
    assert stored.fingerprint  # Alertmanager's own fingerprint of the label set
    assert stored.firing_at == started
    assert stored.request.contract.reference == "A-1"

    ended = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    resolved = {**alert, "endsAt": ended.isoformat().replace("+00:00", "Z")}
    assert _http("POST", "/api/v2/alerts", [resolved])[0] == 200

    _wait("the resolved webhook call", lambda: _webhook_calls()[0] >= 2)
    assert _webhook_calls() == (2, 0)
    stored.refresh_from_db()
    assert stored.resolved_at == ended
    assert stored.request.is_open
    assert alertmanager.poll() is None  # still running: nothing crashed on either side
