"""The scheduled part of the rule engine run by the worker (SPEC MON-2): missing heartbeats,
daily and periodic checks, claims between workers, engine state kept on the server row, and
the retention of samples.

Samples arrive through the real API (Django's test client); the worker's job is called with
the instant the worker would pass, under a frozen clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from livret.monitoring import jobs
from livret.monitoring.models import IngestedBatch, MonitoringAlert, Sample, Server
from livret.monitoring.tokens import create_server_token
from livret.ops.worker import installed_jobs
from tests.helpers.clock import at
from tests.helpers.monitoring import batch, monitored_server, post, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(personas, versions) -> Server:  # type: ignore[no-untyped-def]
    return monitored_server(personas.client_a, versions, "srv-a1")


@pytest.fixture
def agent(client: Client, server: Server):  # type: ignore[no-untyped-def]
    """``agent(when, [(metric, value), …])`` sends one batch stamped ``when`` at ``when``."""
    token = create_server_token(server)

    def send(when: datetime, values: list[tuple[str, float]]) -> None:
        body = batch("samples", [sample(when, m, v) for m, v in values], when)
        with time_machine.travel(when, tick=False):
            response = post(client, "samples", token, body)
        assert response.status_code == 200, response.content

    return send


def run_checks(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return jobs.scan_checks(when)


def heartbeat_alerts(server: Server) -> list[MonitoringAlert]:
    return list(MonitoringAlert.objects.filter(server=server, rule="heartbeat"))


def test_it_fires_a_major_heartbeat_alert_at_1_hour_5_minutes_and_not_a_second_before(
    server: Server, agent: Any
) -> None:
    """MON-2: last heartbeat at 10:00; none within 1 h + 5 min of grace → major alert. The
    job at 11:04:59 does nothing, at 11:05:00 the alert fires; the next heartbeat resolves it."""
    agent(at("2026-11-24 10:00"), [("heartbeat", 1)])
    server.refresh_from_db()
    assert run_checks(at("2026-11-24 11:04:59")) == 0
    assert heartbeat_alerts(server) == []
    assert run_checks(at("2026-11-24 11:05:00")) == 1
    [alert] = heartbeat_alerts(server)
    assert (alert.state, alert.impact, alert.firing_at) == (
        "firing",
        "major-extended",
        at("2026-11-24 11:05"),
    )
    assert alert.request is not None  # MON-3 major: a request is opened …
    assert alert.calls.count() == 1  # … and the client called
    assert run_checks(at("2026-11-24 11:10")) == 0  # it fires once
    agent(at("2026-11-24 11:20"), [("heartbeat", 1)])
    alert.refresh_from_db()
    assert (alert.state, alert.resolved_at) == ("resolved", at("2026-11-24 11:20"))


def test_it_counts_heartbeat_grace_in_real_minutes_on_the_october_dst_night(
    server: Server, agent: Any
) -> None:
    """Last Sunday of October 2026: 02:30 CEST is followed an hour later by 02:30 CET. A
    heartbeat at 02:30 CEST is missing at 02:35 CET (65 real minutes), not at 03:35."""
    last = datetime.fromisoformat("2026-10-25T02:30:00+02:00")
    agent(last, [("heartbeat", 1)])
    deadline = datetime.fromisoformat("2026-10-25T02:35:00+01:00")
    assert deadline - last == timedelta(minutes=65)
    assert run_checks(deadline - timedelta(seconds=1)) == 0
    assert run_checks(deadline) == 1
    assert heartbeat_alerts(server)[0].firing_at == deadline


def test_it_counts_heartbeat_grace_in_real_minutes_on_the_march_dst_night(
    server: Server, agent: Any
) -> None:
    """Last Sunday of March 2026: 02:00 CET jumps to 03:00 CEST. A heartbeat at 01:30 CET is
    missing at 03:35 CEST (65 real minutes)."""
    agent(datetime.fromisoformat("2026-03-29T01:30:00+01:00"), [("heartbeat", 1)])
    deadline = datetime.fromisoformat("2026-03-29T03:35:00+02:00")
    assert run_checks(deadline - timedelta(seconds=1)) == 0
    assert run_checks(deadline) == 1


def test_it_checks_free_disk_space_daily_at_3_am_paris(server: Server, agent: Any) -> None:
    """MON-2: free space < 10 % is checked daily at 03:00 (not when the sample arrives)."""
    agent(at("2026-11-24 22:00"), [("disk_free_percent:C:", 8.5), ("disk_free_percent:D:", 40)])
    assert not MonitoringAlert.objects.filter(server=server).exists()
    assert run_checks(at("2026-11-25 02:59:59")) == 0
    assert run_checks(at("2026-11-25 03:00")) == 1
    alert = MonitoringAlert.objects.get(server=server, rule="disk-free")
    assert (alert.series, alert.firing_at, alert.last_value) == ("C:", at("2026-11-25 03:00"), 8.5)


def test_it_checks_free_disk_space_at_3_am_on_the_march_dst_night(
    server: Server, agent: Any
) -> None:
    """29 March 2026: 03:00 CEST exists (02:00-03:00 is skipped); the check runs then."""
    agent(at("2026-03-28 22:00"), [("disk_free_percent:C:", 5)])
    check = datetime.fromisoformat("2026-03-29T03:00:00+02:00")
    assert run_checks(check - timedelta(seconds=1)) == 0
    assert run_checks(check) == 1


def test_it_checks_stopped_services_hourly(server: Server, agent: Any) -> None:
    """MON-2: services hourly. The agent sends ``service_running:<name>`` 1/0; a stopped
    service alerts at the next hourly check and resolves at the first check after it runs."""
    agent(at("2026-11-24 10:12"), [("service_running:Spooler", 0), ("service_running:DNS", 1)])
    assert run_checks(at("2026-11-24 10:59")) == 0
    assert run_checks(at("2026-11-24 11:00")) == 1
    alert = MonitoringAlert.objects.get(server=server, rule="services")
    assert (alert.series, alert.firing_at) == ("Spooler", at("2026-11-24 11:00"))
    agent(at("2026-11-24 11:30"), [("service_running:Spooler", 1)])
    run_checks(at("2026-11-24 12:00"))
    alert.refresh_from_db()
    assert alert.resolved_at == at("2026-11-24 12:00")


def test_it_resets_a_pending_alert_whose_samples_stopped(server: Server, agent: Any) -> None:
    """A pending alert whose series is silent for more than 5 minutes is dropped by the
    scheduled job (the condition did not demonstrably hold for 20 minutes)."""
    agent(at("2026-11-24 10:00"), [("cpu_percent", 99)])
    assert MonitoringAlert.objects.get(server=server, rule="cpu").state == "pending"
    server.refresh_from_db()
    assert server.next_check_at <= at("2026-11-24 10:05")
    run_checks(at("2026-11-24 10:06"))
    assert not MonitoringAlert.objects.filter(server=server, rule="cpu").exists()


def test_it_claims_a_due_server_once(server: Server, agent: Any) -> None:
    """The job reads the due column again inside its transaction: a server already advanced
    (by another worker) is no longer due and is skipped."""
    agent(at("2026-11-24 10:00"), [("heartbeat", 1)])
    when = at("2026-11-24 11:05")
    assert jobs.due_servers(when) == [server.pk]
    with time_machine.travel(when, tick=False):
        assert jobs.check_server(server.pk, when) == 1
        assert jobs.check_server(server.pk, when) == 0  # moved past `when`: not claimed again
    server.refresh_from_db()
    assert server.next_check_at > when
    assert len(heartbeat_alerts(server)) == 1


def test_it_leaves_an_unmonitored_server_alone(server: Server, agent: Any) -> None:
    agent(at("2026-11-24 10:00"), [("heartbeat", 1)])
    Server.objects.filter(pk=server.pk).update(monitored=False)
    assert jobs.due_servers(at("2026-11-24 12:00")) == []
    agent(at("2026-11-24 12:00"), [("cpu_percent", 99), ("vpn_up:lyon", 0)])
    assert Sample.objects.filter(server=server).count() == 3  # stored, not evaluated
    assert not MonitoringAlert.objects.filter(server=server).exists()


def test_it_keeps_the_engine_state_between_batches_on_the_server_row(
    server: Server, agent: Any
) -> None:
    agent(at("2026-11-24 10:00"), [("memory_committed_percent", 95)])
    server.refresh_from_db()
    [series] = [s for s in server.engine_state["series"] if s["metric"].startswith("memory")]
    pending_at = series["alerts"]["memory-committed"]["pending_at"]
    assert datetime.fromisoformat(pending_at) == at("2026-11-24 10:00")
    agent(at("2026-11-24 10:05"), [("memory_committed_percent", 96)])
    agent(at("2026-11-24 10:10"), [("memory_committed_percent", 97)])  # 10 minutes: fires
    alert = MonitoringAlert.objects.get(server=server, rule="memory-committed")
    assert (alert.state, alert.firing_at) == ("firing", at("2026-11-24 10:10"))


def test_it_purges_samples_older_than_the_retention(
    server: Server, agent: Any, settings: Any
) -> None:
    """Samples and batch records older than LIVRET_MONITORING_SAMPLE_DAYS (35) are deleted."""
    agent(at("2026-10-01 10:00"), [("cpu_percent", 10)])
    agent(at("2026-11-24 10:00"), [("cpu_percent", 11)])
    assert jobs.purge(at("2026-11-24 12:00")) == 1
    assert list(Sample.objects.values_list("value", flat=True)) == [11]
    assert IngestedBatch.objects.count() == 1
    settings.MONITORING_SAMPLE_DAYS = 1
    assert jobs.sample_days() == 1
    assert jobs.purge(at("2026-11-26 12:00")) == 1


def test_it_registers_its_jobs_in_the_worker() -> None:
    names = [job.name for job in installed_jobs()]
    assert {"monitoring-checks", "monitoring-backups", "monitoring-purge"} <= set(names)
    assert names.count("monitoring-checks") == 1
