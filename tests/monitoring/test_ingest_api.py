"""The ingestion API through HTTP (issue 7, SPEC MON-1, MON-2): server tokens, atomic batches,
bad input named by field, duplicates, agent clocks, and the rules evaluated on what arrives.

Every route is called with a server token (the agent), an unknown and a revoked one, and the
three personas' user API tokens (client A's admin, client B's user, a vendor technician):
only a server token writes, and only its own server.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from livret.accounts.services import create_token
from livret.monitoring.ingest import ingest_samples
from livret.monitoring.models import (
    BackupResult,
    IngestedBatch,
    MonitoringAlert,
    MonitoringEvent,
    Sample,
    Server,
)
from livret.monitoring.tokens import create_server_token, revoke_server_token
from tests.helpers.cli import run_livret
from tests.helpers.clock import at
from tests.helpers.monitoring import batch, monitored_server, post, sample

pytestmark = pytest.mark.django_db
NOW = at("2026-11-24 10:00")
ROUTES = ("samples", "events", "backups")


def body_for(route: str, sent_at: Any = NOW) -> dict[str, Any]:
    """A valid batch of one item for each route."""
    if route == "samples":
        return batch("samples", [sample(NOW, "cpu_percent", 12.5)], sent_at)
    if route == "events":
        event = {
            "time": NOW.isoformat(),
            "kind": "event-log",
            "source": "Application",
            "severity": "warning",
            "message": "Le service a redémarré",
        }
        return batch("events", [event], sent_at)
    result = {
        "job": "nightly",
        "status": "succeeded",
        "started_at": (NOW - timedelta(hours=1)).isoformat(),
        "finished_at": NOW.isoformat(),
        "message": "",
    }
    return batch("results", [result], sent_at)


def stored() -> dict[str, int]:
    return {
        "batches": IngestedBatch.objects.count(),
        "samples": Sample.objects.count(),
        "events": MonitoringEvent.objects.count(),
        "backups": BackupResult.objects.count(),
        "alerts": MonitoringAlert.objects.count(),
    }


NOTHING = {"batches": 0, "samples": 0, "events": 0, "backups": 0, "alerts": 0}


@pytest.fixture
def server_a(personas, versions) -> Server:  # type: ignore[no-untyped-def]
    return monitored_server(personas.client_a, versions, "srv-a1")


@pytest.fixture
def server_b(personas, versions) -> Server:  # type: ignore[no-untyped-def]
    return monitored_server(personas.client_b, versions, "srv-b1")


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("route", ROUTES)
def test_it_answers_401_to_an_unknown_token_and_stores_nothing(
    client: Client, server_a: Server, frozen: Any, route: str
) -> None:
    for token in ("not-a-token", "", None):
        response = post(client, route, token, body_for(route))
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "unauthorized"
    assert stored() == NOTHING
    server_a.refresh_from_db()
    assert server_a.last_seen_at is None


@pytest.mark.parametrize("route", ROUTES)
def test_it_answers_401_to_a_revoked_token_and_stores_nothing(
    client: Client, server_a: Server, frozen: Any, route: str
) -> None:
    token = create_server_token(server_a)
    assert post(client, route, token, body_for(route)).status_code == 200
    before = stored()
    revoke_server_token(token[:8])
    response = post(client, route, token, body_for(route))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert stored() == before


@pytest.mark.parametrize("persona", ["user_a", "user_b", "technician"])
@pytest.mark.parametrize("route", ROUTES)
def test_it_refuses_a_users_api_token_and_session_on_every_route(
    client: Client, personas: Any, server_a: Server, frozen: Any, persona: str, route: str
) -> None:
    """A user's API token (livret.accounts.services) is not a server token, whoever the user is:
    client A's admin, client B's user or a vendor technician all get 401, and so does a session."""
    user = getattr(personas, persona)
    response = post(client, route, create_token(user, "script"), body_for(route))
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    client.force_login(user)
    assert post(client, route, None, body_for(route)).status_code == 401
    assert stored() == NOTHING


def test_it_writes_only_the_tokens_own_server(
    client: Client, server_a: Server, server_b: Server, frozen: Any
) -> None:
    """A token IS a server: client A's agent cannot write client B's server, whatever the body
    says (the body has no server field; extra fields are ignored)."""
    token_a = create_server_token(server_a)
    body = body_for("samples")
    body.update(server="srv-b1", hostname="srv-b1", server_id=server_b.pk)
    body["samples"][0].update(server="srv-b1")
    assert post(client, "samples", token_a, body).json()["accepted"] == 1
    assert Sample.objects.filter(server=server_a).count() == 1
    assert Sample.objects.filter(server=server_b).count() == 0
    assert IngestedBatch.objects.get().server == server_a


# --------------------------------------------------------------------------- bad input


def too_many() -> dict[str, Any]:
    return batch("samples", [sample(NOW, "cpu_percent", 1.0)] * 5001, NOW)


BAD_INPUT = [
    # (route, change the valid body, field named)
    ("samples", lambda b: b["samples"][0].update(time="hier à 10 h"), "samples.0.time"),
    ("samples", lambda b: b["samples"][0].update(time="2026-11-24T10:00:00"), "samples.0.time"),
    ("samples", lambda b: b["samples"][0].update(value="97.5"), "samples.0.value"),
    ("samples", lambda b: b["samples"][0].update(value=True), "samples.0.value"),
    ("samples", lambda b: b["samples"][0].update(metric="CPU %"), "samples.0.metric"),
    ("samples", lambda b: b["samples"][0].update(time="2020-01-01T00:00:00Z"), "samples.0.time"),
    ("samples", lambda b: b.pop("batch_id"), "batch_id"),
    ("samples", lambda b: b.update(batch_id=""), "batch_id"),
    ("samples", lambda b: b.update(sent_at="2026-11-24T10:00:00"), "sent_at"),
    ("samples", lambda b: b.update(too_many()), "samples"),
    ("samples", lambda b: b.pop("samples"), "samples"),
    ("events", lambda b: b["events"][0].update(kind="software"), "events.0.kind"),
    ("events", lambda b: b["events"][0].update(severity="fatal"), "events.0.severity"),
    ("backups", lambda b: b["results"][0].update(status="done"), "results.0.status"),
    ("backups", lambda b: b["results"][0].update(finished_at="demain"), "results.0.finished_at"),
    # PostgreSQL text cannot hold NUL: refused as bad input, not a 500 (decoded from "\u0000")
    (
        "samples",
        lambda b: b["samples"][0].update(metric="disk_free_percent:C\x00"),
        "samples.0.metric",
    ),
    ("events", lambda b: b["events"][0].update(source="ra\x00id"), "events.0.source"),
    ("events", lambda b: b["events"][0].update(message="disque\x00"), "events.0.message"),
    ("backups", lambda b: b["results"][0].update(job="nightly\x00"), "results.0.job"),
    ("backups", lambda b: b["results"][0].update(message="\x00"), "results.0.message"),
    # instants no clock gives, whose year or skew arithmetic would overflow
    ("samples", lambda b: b.update(sent_at="0001-01-01T00:30:00+01:00"), "sent_at"),
    ("samples", lambda b: b.update(sent_at="9999-12-31T23:00:00+00:00"), "sent_at"),
    ("samples", lambda b: b["samples"][0].update(time="1969-12-31T23:59:59Z"), "samples.0.time"),
    ("events", lambda b: b.update(sent_at="1900-01-01T00:00:00Z"), "sent_at"),
]


@pytest.mark.parametrize(("route", "change", "field"), BAD_INPUT)
def test_it_answers_400_naming_the_field_and_stores_nothing_of_the_batch(
    client: Client, server_a: Server, frozen: Any, route: str, change: Any, field: str
) -> None:
    body = body_for(route)
    if route == "samples":  # the good samples of a bad batch are not stored either
        body["samples"].insert(0, sample(NOW, "heartbeat", 1))
        body["samples"] = body["samples"][::-1]
    change(body)
    response = post(client, route, create_server_token(server_a), body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["field"] == field
    assert answer["message"].startswith(f"{field}: ")
    assert stored() == NOTHING
    server_a.refresh_from_db()
    assert server_a.last_seen_at is None


@pytest.mark.parametrize("raw", ["{not json", "[]", '"samples"', ""])
def test_it_answers_400_to_a_body_that_is_not_a_json_object(
    client: Client, server_a: Server, frozen: Any, raw: str
) -> None:
    response = post(client, "samples", create_server_token(server_a), None, raw=raw)
    assert response.status_code == 400
    assert response.json()["field"] == "body"
    assert stored() == NOTHING


def test_it_answers_400_to_a_body_over_django_s_upload_limit(
    client: Client, server_a: Server, frozen: Any, settings: Any
) -> None:
    """A body beyond DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default) is refused as a whole."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = batch("samples", [sample(NOW, "cpu_percent", 1.0)] * 200, NOW)
    response = post(client, "samples", create_server_token(server_a), body)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "body: the request body is too large",
        "field": "body",
    }
    assert stored() == NOTHING


# --------------------------------------------------------------------------- batches


@pytest.mark.parametrize("route", ROUTES)
def test_it_stores_a_resent_batch_once_and_answers_duplicate(
    client: Client, server_a: Server, frozen: Any, route: str
) -> None:
    token = create_server_token(server_a)
    body = body_for(route)
    first = post(client, route, token, body).json()
    assert first == {
        "accepted": 1,
        "duplicate": False,
        "clock_skew_seconds": 0.0,
        "clock_flagged": False,
    }
    once = stored()
    again = post(client, route, token, body)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["accepted"] == 0
    assert stored() == once


def test_it_accepts_the_agents_millisecond_times_and_a_disk_queue_above_100(
    client: Client, server_a: Server, frozen: Any
) -> None:
    """The agent writes ``2026-11-24T09:20:00.000+00:00`` and reports the disk queue as its
    length × 100 (350 for 3.5 requests waiting): both are stored as sent."""
    when = "2026-11-24T08:59:00.000+00:00"
    body = {
        "batch_id": str(uuid.uuid4()),
        "sent_at": "2026-11-24T09:00:00.250+00:00",
        "samples": [{"time": when, "metric": "disk_queue_percent", "value": 350.0}],
    }
    response = post(client, "samples", create_server_token(server_a), body)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    row = Sample.objects.get(server=server_a)
    assert (row.metric, row.time.isoformat(timespec="milliseconds"), row.value) == (
        "disk_queue_percent",
        when,
        350.0,
    )


def test_it_counts_every_sample_of_a_full_batch(
    client: Client, server_a: Server, frozen: Any
) -> None:
    samples = [sample(NOW - timedelta(seconds=i), "latency_ms:paris", 20.0) for i in range(5000)]
    response = post(
        client, "samples", create_server_token(server_a), batch("samples", samples, NOW)
    )
    assert response.json()["accepted"] == 5000
    assert Sample.objects.filter(server=server_a).count() == 5000


@pytest.mark.django_db(transaction=True)
def test_it_stores_a_batch_once_when_two_requests_carry_it_at_the_same_time(
    personas: Any, versions: Any
) -> None:
    """Two requests with the same batch race (the agent retried while the first was still
    being stored): one stores it, the other answers duplicate; nothing is stored twice.

    PostgreSQL only: the SQLite test database is a shared in-memory cache whose table locks
    fail at once instead of waiting (a file database, as served, waits: IMMEDIATE
    transactions take turns, which benchmarks/bench_ingest.py exercises)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (the SQLite test database cannot wait)")
    server = monitored_server(personas.client_a, versions, "srv-race")
    barrier = threading.Barrier(2)
    results: list[Any] = []
    batch_id = str(uuid.uuid4())
    rows = [
        type("S", (), {"time": NOW - timedelta(seconds=i), "metric": "cpu_percent", "value": 5.0})
        for i in range(200)
    ]

    def send() -> None:
        try:
            barrier.wait()
            results.append(ingest_samples(server, batch_id, NOW, rows, NOW))  # type: ignore[arg-type]
        except Exception as error:  # reported below
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False, True], results
    assert Sample.objects.filter(server=server).count() == 200
    assert IngestedBatch.objects.filter(server=server).count() == 1


# --------------------------------------------------------------------------- agent clocks


@pytest.mark.parametrize(
    ("offset", "flagged"),
    [
        (timedelta(minutes=6), True),
        (-timedelta(minutes=6), True),
        (timedelta(minutes=4), False),
        (-timedelta(minutes=4), False),
        (timedelta(minutes=5), False),  # "more than 5 minutes": exactly 5 is not flagged
    ],
)
def test_it_flags_a_clock_more_than_5_minutes_off_and_stores_the_servers_time(
    client: Client, server_a: Server, frozen: Any, offset: timedelta, flagged: bool
) -> None:
    """The agent's clock is ``offset`` behind (positive) or ahead (negative): its sample taken
    30 s before sending is stamped ``NOW - offset - 30 s`` by it."""
    agent_now = NOW - offset
    body = batch(
        "samples", [sample(agent_now - timedelta(seconds=30), "cpu_percent", 3.0)], agent_now
    )
    answer = post(client, "samples", create_server_token(server_a), body).json()
    assert answer["clock_flagged"] is flagged
    assert answer["clock_skew_seconds"] == offset.total_seconds()
    server_a.refresh_from_db()
    assert server_a.clock_flagged is flagged
    assert server_a.clock_skew_seconds == offset.total_seconds()
    stored_time = Sample.objects.get().time
    if flagged:  # shifted by the skew: in the server's time
        assert stored_time == NOW - timedelta(seconds=30)
    else:  # taken as measured
        assert stored_time == agent_now - timedelta(seconds=30)


def test_it_unflags_the_server_when_its_agent_clock_is_fixed(
    client: Client, server_a: Server, frozen: Any
) -> None:
    token = create_server_token(server_a)
    late = NOW - timedelta(minutes=10)
    post(client, "samples", token, batch("samples", [sample(late, "cpu_percent", 1)], late))
    server_a.refresh_from_db()
    assert server_a.clock_flagged
    post(client, "samples", token, batch("samples", [sample(NOW, "cpu_percent", 1)], NOW))
    server_a.refresh_from_db()
    assert not server_a.clock_flagged


def test_it_shifts_backup_and_event_times_of_a_flagged_clock(
    client: Client, server_a: Server, frozen: Any
) -> None:
    token = create_server_token(server_a)
    agent_now = NOW + timedelta(hours=1)  # an hour ahead (a time zone set wrong)
    post(
        client,
        "events",
        token,
        body_for("events", agent_now)
        | {
            "events": [
                {
                    "time": agent_now.isoformat(),
                    "kind": "hardware",
                    "source": "fan",
                    "severity": "warning",
                    "message": "Ventilateur 2 lent",
                }
            ]
        },
    )
    result = body_for("backups", agent_now)
    result["results"][0].update(finished_at=agent_now.isoformat())
    post(client, "backups", token, result)
    assert MonitoringEvent.objects.get().time == NOW
    backup = BackupResult.objects.get()
    assert backup.finished_at == NOW
    assert backup.started_at == NOW - timedelta(hours=2)
    assert backup.received_at == NOW


# --------------------------------------------------------------------------- rules on arrival


def test_it_fires_the_cpu_alert_at_the_20th_minute_above_95_and_resolves_it_below(
    client: Client, server_a: Server
) -> None:
    """MON-2: processor time > 95 % for 20 min. One sample a minute from 09:00, sent in
    batches of 5 minutes like the agent: pending at 09:00, firing at 09:20, resolved when a
    sample is back under the threshold."""
    token = create_server_token(server_a)
    minute = timedelta(minutes=1)

    def send(first: int, values: list[float]) -> None:
        start = at("2026-11-24 09:00") + first * minute
        samples = [sample(start + i * minute, "cpu_percent", v) for i, v in enumerate(values)]
        sent = start + len(values) * minute
        with time_machine.travel(sent, tick=False):
            assert (
                post(client, "samples", token, batch("samples", samples, sent)).status_code == 200
            )

    def cpu_alert() -> MonitoringAlert:
        return MonitoringAlert.objects.get(server=server_a, rule="cpu")

    send(0, [97.0] * 5)  # 09:00 .. 09:04
    assert cpu_alert().state == "pending"
    assert cpu_alert().pending_at == at("2026-11-24 09:00")
    send(5, [98.0] * 15)  # 09:05 .. 09:19: held 19 minutes
    assert cpu_alert().state == "pending"
    send(20, [96.0, 99.0])  # 09:20: held 20 minutes
    alert = cpu_alert()
    assert (alert.state, alert.firing_at) == ("firing", at("2026-11-24 09:20"))
    assert alert.impact == "minor-moderate"
    assert alert.triaged_at is not None  # MON-3 triage ran when it fired
    send(22, [60.0])  # 09:22: back under 95 %
    alert = cpu_alert()
    assert (alert.state, alert.resolved_at) == ("resolved", at("2026-11-24 09:22"))


def test_it_forgets_a_pending_cpu_alert_that_drops_before_20_minutes(
    client: Client, server_a: Server
) -> None:
    token = create_server_token(server_a)
    start = at("2026-11-24 09:00")
    values = [97.0] * 10 + [40.0]
    samples = [sample(start + timedelta(minutes=i), "cpu_percent", v) for i, v in enumerate(values)]
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        post(client, "samples", token, batch("samples", samples, start + timedelta(minutes=11)))
    assert not MonitoringAlert.objects.filter(server=server_a).exists()


def test_it_raises_a_hardware_alert_per_source_and_folds_repeats(
    client: Client, server_a: Server, frozen: Any
) -> None:
    """MON-1: a hardware event alerts at once; a second one of the same source while the alert
    is open counts one more occurrence. An event-log warning is stored without alerting."""
    token = create_server_token(server_a)

    def event(kind: str, source: str, severity: str) -> dict[str, Any]:
        return {
            "time": NOW.isoformat(),
            "kind": kind,
            "source": source,
            "severity": severity,
            "message": f"{source} {severity}",
        }

    events = [event("hardware", "raid", "critical"), event("event-log", "System", "warning")]
    post(client, "events", token, batch("events", events, NOW))
    post(client, "events", token, batch("events", [event("hardware", "raid", "error")], NOW))
    post(client, "events", token, batch("events", [event("event-log", "System", "error")], NOW))
    assert MonitoringEvent.objects.filter(server=server_a).count() == 4
    raid = MonitoringAlert.objects.get(server=server_a, rule="hardware", series="raid")
    assert (raid.state, raid.occurrences, raid.firing_at) == ("firing", 2, NOW)
    log = MonitoringAlert.objects.get(server=server_a, rule="event-log")
    assert (log.series, log.occurrences) == ("System", 1)


def test_it_reads_a_stopped_service_and_a_broken_vpn_as_the_offers_rules_do(
    client: Client, server_a: Server, frozen: Any
) -> None:
    """MON-2: the agent reports ``vpn_up:<site>`` 1/0; the offer's rule is "VPN break"
    (``vpn_down`` above 0), alerting at once and resolved when the link is back."""
    token = create_server_token(server_a)
    down = [sample(NOW - timedelta(minutes=1), "vpn_up:agence-lyon", 0)]
    post(client, "samples", token, batch("samples", down, NOW))
    vpn = MonitoringAlert.objects.get(server=server_a, rule="vpn")
    assert (vpn.series, vpn.state, vpn.firing_at) == (
        "agence-lyon",
        "firing",
        NOW - timedelta(minutes=1),
    )
    post(client, "samples", token, batch("samples", [sample(NOW, "vpn_up:agence-lyon", 1)], NOW))
    vpn.refresh_from_db()
    assert (vpn.state, vpn.resolved_at) == ("resolved", NOW)


def test_it_keeps_the_latest_heartbeat_and_the_next_deadline_on_the_server(
    client: Client, server_a: Server, frozen: Any
) -> None:
    token = create_server_token(server_a)
    beats = [sample(NOW - timedelta(hours=2), "heartbeat", 1), sample(NOW, "heartbeat", 1)]
    post(client, "samples", token, batch("samples", beats, NOW))
    server_a.refresh_from_db()
    assert server_a.last_heartbeat_at == NOW
    assert server_a.last_seen_at == NOW
    # The engine's next deadline: its 10-minute event-log check of 10:00 runs after the
    # samples of 10:00, so it is due now (the worker's next turn), before the heartbeat's 11:05.
    assert server_a.next_check_at == NOW
    assert server_a.engine_state["heartbeats"]


def test_it_documents_the_three_routes_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    for route in ROUTES:
        operation = schema["paths"][f"/api/monitoring/{route}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "batch_id" in body["properties"]
        assert operation["security"]


# --------------------------------------------------------------------------- CLI


def test_it_creates_and_revokes_a_server_token_with_the_cli(tmp_path: Path) -> None:
    assert (
        run_livret("manage", "migrate", "--run-syncdb", "-v", "0", data_dir=tmp_path).returncode
        == 0
    )
    script = (
        "from datetime import date\n"
        "from livret.offers.services import import_builtin_presets\n"
        "from livret.tenants.models import Client\n"
        "from livret.tenants.services import create_contract\n"
        "from livret.monitoring.models import Site, Server\n"
        "v = {r.version.offer_id: r.version for r in import_builtin_presets()}\n"
        "c = Client.objects.create(name='A', slug='a')\n"
        "k = create_contract(client=c, reference='P-1', offer_version=v['preventcare'],"
        " start_date=date(2026, 1, 5))\n"
        "Server.objects.create(site=Site.objects.create(client=c, contract=k, name='S'),"
        " hostname='srv-cli')\n"
    )
    assert run_livret("manage", "shell", "-c", script, data_dir=tmp_path).returncode == 0

    created = run_livret("server", "token", "create", "srv-cli", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert len(token) == 43
    assert "not shown again" in created.stderr

    revoked = run_livret("server", "token", "revoke", token[:8], data_dir=tmp_path)
    assert revoked.returncode == 0
    assert "srv-cli" in revoked.stdout

    for args, message in (
        (("revoke", token[:8]), "no active server token"),
        (("create", "srv-unknown"), "no server 'srv-unknown'"),
        (("revoke", "abc"), "8 characters"),
    ):
        result = run_livret("server", "token", *args, data_dir=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("livret: error: ")
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
