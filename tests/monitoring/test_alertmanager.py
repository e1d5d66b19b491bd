"""The Alertmanager webhook receiver with a real version-4 payload (issue 7, MON-3)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from livret.accounts.services import create_token
from livret.monitoring.models import MonitoringAlert
from livret.support.models import Request
from tests.helpers.monitoring import preventcare_site

pytestmark = pytest.mark.django_db

URL = "/api/monitoring/alertmanager"
PAYLOAD = json.loads(
    (Path(__file__).parent / "fixtures" / "alertmanager-webhook-v4.json").read_text()
)


@pytest.fixture
def monitored(personas, versions):  # type: ignore[no-untyped-def]
    return preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01", "srv-paie-02"))


@pytest.fixture
def tech_token(personas):  # type: ignore[no-untyped-def]
    return create_token(personas.technician, "alertmanager")


def post(client, body: Any, token: str | None) -> Any:  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def test_it_opens_a_request_for_a_firing_significant_alert(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    """The fixture's firing CpuHigh on srv-compta-01:9182, severity significant: an alert on
    srv-compta-01 for rule cpu, triaged into a support request."""
    response = post(client, PAYLOAD, tech_token)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["received"] == 2
    [opened] = answer["processed"]
    assert opened["result"] == "opened"
    assert opened["server"] == "srv-compta-01"
    assert opened["rule"] == "cpu"
    alert = MonitoringAlert.objects.get(pk=opened["alert"])
    assert alert.source == "alertmanager"
    assert alert.fingerprint == "3b9f5c1a2d4e6f70"
    assert alert.impact == "significant"
    assert alert.firing_at.isoformat() == "2026-11-24T09:20:00+00:00"
    assert alert.request is not None and alert.request.channel == "monitoring"
    assert opened["request"] == alert.request.number
    # The fixture's resolved alert of srv-paie-02 has nothing open to resolve.
    assert answer["skipped"] == [
        {
            "fingerprint": "8c2e4a6b1d3f5e70",
            "instance": "srv-paie-02:9182",
            "server": "srv-paie-02",
            "rule": "cpu",
            "result": "skipped",
            "reason": "no open alert with this fingerprint",
        }
    ]


def test_it_resolves_the_alert_at_ends_at_and_keeps_the_request_open(  # type: ignore[no-untyped-def]
    client, monitored, tech_token
):
    post(client, PAYLOAD, tech_token)
    resolved = copy.deepcopy(PAYLOAD)
    resolved["status"] = "resolved"
    resolved["alerts"][0].update(status="resolved", endsAt="2026-11-24T10:05:00.123456789Z")

    response = post(client, resolved, tech_token)

    assert response.status_code == 200
    assert response.json()["processed"][0]["result"] == "resolved"
    alert = MonitoringAlert.objects.get(fingerprint="3b9f5c1a2d4e6f70")
    assert alert.state == "resolved"
    assert alert.resolved_at.isoformat() == "2026-11-24T10:05:00.123456+00:00"
    assert alert.request.is_open
    assert "résolue" in alert.request.comments.get().body


def test_it_changes_nothing_when_the_same_alert_is_sent_again(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    """Alertmanager re-sends firing alerts (repeat_interval): same fingerprint and start."""
    post(client, PAYLOAD, tech_token)
    response = post(client, PAYLOAD, tech_token)

    assert response.json()["processed"][0]["result"] == "unchanged"
    assert MonitoringAlert.objects.get(source="alertmanager").occurrences == 1
    assert Request.objects.count() == 1


def test_it_folds_another_alert_of_the_same_server_and_rule(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    """MON-3: a second CpuHigh on srv-compta-01 (another fingerprint) folds into the open one."""
    post(client, PAYLOAD, tech_token)
    again = copy.deepcopy(PAYLOAD)
    again["alerts"][0].update(fingerprint="aaaabbbbccccdddd", startsAt="2026-11-24T11:00:00Z")
    again["alerts"][0]["labels"]["job"] = "windows-2"

    response = post(client, again, tech_token)

    assert response.json()["processed"][0]["result"] == "folded"
    alert = MonitoringAlert.objects.get(source="alertmanager")
    assert alert.occurrences == 2
    assert Request.objects.count() == 1


def test_it_ignores_unknown_fields(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    """The fixture carries notification_reason and routeLabels; more may come within v4."""
    body = copy.deepcopy(PAYLOAD)
    body["someFutureField"] = {"x": 1}
    body["alerts"][0]["someFutureAlertField"] = [1, 2]
    assert "notification_reason" in body and "routeLabels" in body

    response = post(client, body, tech_token)

    assert response.status_code == 200
    assert response.json()["processed"][0]["result"] == "opened"


def test_it_skips_an_unknown_instance(client, personas, versions, tech_token):  # type: ignore[no-untyped-def]
    """srv-paie-02 is not a monitored server here: reported as skipped, not an error."""
    preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01",))
    body = copy.deepcopy(PAYLOAD)
    body["alerts"][1].update(status="firing", endsAt="0001-01-01T00:00:00Z")

    response = post(client, body, tech_token)

    assert response.status_code == 200
    assert response.json()["skipped"] == [
        {
            "fingerprint": "8c2e4a6b1d3f5e70",
            "instance": "srv-paie-02:9182",
            "reason": "unknown instance",
        }
    ]
    assert MonitoringAlert.objects.count() == 1


def test_it_uses_the_rule_default_for_a_severity_that_is_not_an_impact(  # type: ignore[no-untyped-def]
    client, monitored, tech_token
):
    """severity "critical" is not a MON-3 level: the cpu rule's default (minor-moderate)."""
    body = copy.deepcopy(PAYLOAD)
    body["alerts"][0]["labels"]["severity"] = "critical"

    post(client, body, tech_token)

    alert = MonitoringAlert.objects.get()
    assert alert.impact == "minor-moderate"
    assert alert.request is None


def test_it_reads_the_rule_label_first(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    body = copy.deepcopy(PAYLOAD)
    body["alerts"][0]["labels"].update(alertname="PreventCareDiskFreeSpace", rule="disk-free")
    post(client, body, tech_token)
    assert MonitoringAlert.objects.get().rule == "disk-free"


@pytest.mark.parametrize("version", ["3", 4, None])
def test_it_refuses_another_payload_version_naming_the_field(  # type: ignore[no-untyped-def]
    client, monitored, tech_token, version
):
    body = copy.deepcopy(PAYLOAD)
    body["version"] = version

    response = post(client, body, tech_token)

    assert response.status_code == 400
    assert response.json()["field"] == "version"
    assert "version" in response.json()["message"]
    assert not MonitoringAlert.objects.exists()


def test_it_refuses_bad_json(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    response = post(client, '{"version": "4", "alerts": [', tech_token)
    assert response.status_code == 400
    assert response.json()["code"] == "bad-json"


def test_it_names_the_field_of_a_malformed_alert(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    body = copy.deepcopy(PAYLOAD)
    body["alerts"][0]["startsAt"] = "yesterday"
    response = post(client, body, tech_token)
    assert response.status_code == 400
    assert response.json()["field"] == "alerts.0.startsAt"
    assert not MonitoringAlert.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda a: a["labels"].update(instance="srv-compta-01\x00:9182"),
            "alerts.0.labels.instance",
        ),
        (lambda a: a["labels"].update(alertname="Cpu\x00High"), "alerts.0.labels.alertname"),
        (
            lambda a: a["annotations"].update(summary="processeur\x00"),
            "alerts.0.annotations.summary",
        ),
        (lambda a: a.update(fingerprint="3b9f\x00"), "alerts.0.fingerprint"),
        (lambda a: a.update(startsAt="0001-01-01T00:30:00+01:00"), "alerts.0.startsAt"),
        (lambda a: a.update(startsAt="9999-12-31T23:30:00-01:00"), "alerts.0.startsAt"),
        (lambda a: a.update(endsAt="9999-12-31T23:30:00-01:00"), "alerts.0.endsAt"),
    ],
)
def test_it_refuses_nul_characters_and_implausible_instants_naming_the_field(
    client, monitored, tech_token, change, field
):  # type: ignore[no-untyped-def]
    """PostgreSQL text cannot hold NUL, and instants beyond 1970-9000 overflow when converted:
    400 naming the field, nothing stored (not a 500)."""
    body = copy.deepcopy(PAYLOAD)
    change(body["alerts"][0])
    response = post(client, body, tech_token)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not MonitoringAlert.objects.exists()


def test_it_reads_alertmanagers_zero_end_in_any_offset_as_not_ended(client, monitored, tech_token):  # type: ignore[no-untyped-def]
    body = copy.deepcopy(PAYLOAD)
    body["alerts"][0]["endsAt"] = "0001-01-01T00:30:00+01:00"
    assert post(client, body, tech_token).status_code == 200
    assert MonitoringAlert.objects.get().resolved_at is None


def test_it_refuses_a_client_token(client, personas, monitored):  # type: ignore[no-untyped-def]
    """Client A's and client B's tokens may not post alerts (only vendor accounts)."""
    for user in (personas.user_a, personas.user_b):
        response = post(client, PAYLOAD, create_token(user))
        assert response.status_code == 403
        assert response.json()["field"] == "authorization"
    assert not MonitoringAlert.objects.exists()


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_it_refuses_a_missing_or_unknown_token(client, monitored, token):  # type: ignore[no-untyped-def]
    response = post(client, PAYLOAD, token)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert not MonitoringAlert.objects.exists()
