"""MON-3 triage: impact levels into actions, overrides, folding, the 1-hour level-1 timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from livret.errors import NotAllowed
from livret.mail.models import OutgoingMail
from livret.monitoring import jobs, triage
from livret.monitoring.models import ImpactSetting, MonitoringAlert, PhoneCallTask
from livret.support.models import Comment, Request
from livret.tenants.models import Client
from tests.helpers.monitoring import firing_alert, preventcare_site

pytestmark = pytest.mark.django_db

FIRING = datetime(2026, 11, 24, 8, 20, tzinfo=UTC)  # 09:20 Paris, a Tuesday


@pytest.fixture
def monitored(personas, versions):  # type: ignore[no-untyped-def]
    return preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01", "srv-paie-02"))


def _reasons() -> list[str]:
    return sorted(OutgoingMail.objects.values_list("reason", flat=True))


# impact -> acknowledged, request opened (with its priority), phone calls, mails queued
LEVELS = [
    ("none", True, None, 0, []),
    ("minor-moderate", False, None, 0, ["monitoring-minor", "monitoring-minor"]),
    ("significant", False, "high", 0, ["acknowledgement", "monitoring-significant"]),
    ("major-extended", False, "critical", 1, ["acknowledgement", "monitoring-major"]),
]


@pytest.mark.parametrize(("impact", "acknowledged", "priority", "calls", "mails"), LEVELS)
def test_it_triages_each_impact_level_into_its_actions(
    personas, monitored, impact, acknowledged, priority, calls, mails
):  # type: ignore[no-untyped-def]
    """MON-3: none acknowledges; minor mails; significant opens a request and tells the client;
    major opens a request, adds a phone call and a 1-hour level-1 diagnosis timer."""
    server = monitored.servers[0]
    ImpactSetting.objects.create(rule="cpu", impact=impact, changed_at=FIRING)
    alert = firing_alert(server, "cpu", FIRING)

    triage.triage_alert(alert, FIRING)

    alert.refresh_from_db()
    assert alert.impact == impact
    assert alert.triaged_at == FIRING
    assert (alert.acknowledged_at is not None) is acknowledged
    assert (alert.request.priority if alert.request else None) == priority
    assert PhoneCallTask.objects.filter(alert=alert).count() == calls
    expected_due = FIRING + timedelta(hours=1) if calls else None
    assert alert.diagnosis_due_at == expected_due
    assert _reasons() == sorted(mails)
    if impact == "minor-moderate":
        to_client = OutgoingMail.objects.get(to=[personas.user_a.email])
        assert "Fermez les traitements lourds" in to_client.body  # the instructions
        # a letter signed by the monitoring contract's vendor (issue 12)
        assert to_client.body.startswith("Bonjour,\n\nLa télésurveillance Prevent Care a relevé")
        assert to_client.body.endswith("Cordialement,\nL'équipe support Cegid\n")


def test_it_opens_the_request_on_the_clients_support_contract(personas, monitored):  # type: ignore[no-untyped-def]
    """P art. 3.2: requests follow the client's Service Contact/Open booklet, so the request
    goes on client A's Quadra contract (A-1), with that contract's pickup deadline; it is filed
    for the client's administrator and recorded by the vendor account prevent-care."""
    alert = firing_alert(monitored.servers[0], "cpu", FIRING, impact="significant")
    triage.triage_alert(alert, FIRING)

    request = Request.objects.get()
    assert request.contract.reference == "A-1"
    assert request.kind == "anomaly"
    assert request.channel == "monitoring"
    assert request.filer == personas.user_a
    assert request.pickup_due_at is not None  # Q: high priority, 6 business hours
    registered = request.events.get(kind="registered")
    assert registered.actor_label == "Prevent Care (éditeur)"
    assert "srv-compta-01" in request.title


def test_it_opens_the_request_on_the_preventcare_contract_without_a_support_contract(
    personas, versions
):  # type: ignore[no-untyped-def]
    """A client with PreventCare only: the request goes on the PreventCare contract (no SLA)."""
    from django.contrib.auth import get_user_model

    from livret.tenants.models import Membership

    client = Client.objects.create(name="Client P", slug="client-p")
    user = get_user_model().objects.create_user("user-p", email="p@client-p.test")
    Membership.objects.create(user=user, client=client, role="client-admin")
    monitored = preventcare_site(versions, client, reference="P-P", hostnames=("srv-p",))
    alert = firing_alert(monitored.servers[0], "cpu", FIRING, impact="major-extended")

    triage.triage_alert(alert, FIRING)

    request = Request.objects.get()
    assert request.contract == monitored.contract
    assert request.pickup_due_at is None


def test_it_tells_the_team_when_the_client_has_no_login(versions, settings):  # type: ignore[no-untyped-def]
    """No active login for the client: no request can be filed, the team is told to call."""
    settings.MONITORING_TEAM = ["surveillance@vendor.test"]
    client = Client.objects.create(name="Client sans compte", slug="sans-compte")
    monitored = preventcare_site(versions, client, reference="P-N", hostnames=("srv-n",))
    alert = firing_alert(monitored.servers[0], "cpu", FIRING, impact="significant")

    triage.triage_alert(alert, FIRING)

    alert.refresh_from_db()
    assert alert.request is None
    assert _reasons() == ["monitoring-no-request"]
    assert OutgoingMail.objects.get().to == ["surveillance@vendor.test"]


@pytest.mark.parametrize(
    ("server_override", "global_override", "source", "expected"),
    [
        ("none", "major-extended", "significant", "none"),
        (None, "significant", "none", "significant"),
        (None, None, "significant", "significant"),
        (None, None, "", "minor-moderate"),  # the offer's default for cpu
    ],
)
def test_it_prefers_overrides_to_the_source_and_the_source_to_the_default(
    monitored, server_override, global_override, source, expected
):  # type: ignore[no-untyped-def]
    """MON-3: the operators' override on the server beats their global one, which beats the
    impact the source gave, which beats the rule's default in the offer."""
    server = monitored.servers[0]
    if server_override:
        ImpactSetting.objects.create(
            rule="cpu", server=server, impact=server_override, changed_at=FIRING
        )
    if global_override:
        ImpactSetting.objects.create(rule="cpu", impact=global_override, changed_at=FIRING)
    alert = firing_alert(server, "cpu", FIRING, impact=source)

    triage.triage_alert(alert, FIRING)

    alert.refresh_from_db()
    assert alert.impact == expected


def test_it_reads_the_heartbeat_default_as_major(monitored):  # type: ignore[no-untyped-def]
    """MON-2: a missing heartbeat is a major alert by default (offer's heartbeat impact)."""
    alert = firing_alert(monitored.servers[0], "heartbeat", FIRING)
    triage.triage_alert(alert, FIRING)
    alert.refresh_from_db()
    assert alert.impact == "major-extended"
    assert alert.calls.count() == 1


def test_it_triages_once_however_often_it_is_called(monitored):  # type: ignore[no-untyped-def]
    """A replayed batch or a re-sent webhook triages again: nothing new happens."""
    alert = firing_alert(monitored.servers[0], "cpu", FIRING, impact="major-extended")
    triage.triage_alert(alert, FIRING)
    mails = OutgoingMail.objects.count()

    triage.triage_alert(alert, FIRING + timedelta(minutes=1))

    assert Request.objects.count() == 1
    assert PhoneCallTask.objects.count() == 1
    assert OutgoingMail.objects.count() == mails


def test_it_folds_a_new_alert_of_the_same_server_and_rule_into_the_open_one(monitored):  # type: ignore[no-untyped-def]
    """MON-3: drive D: running low while C: is open: one more occurrence, no second request."""
    server = monitored.servers[0]
    first = firing_alert(server, "disk-free", FIRING, impact="significant", series="C:")
    triage.triage_alert(first, FIRING)
    later = FIRING + timedelta(days=1)
    second = firing_alert(server, "disk-free", later, impact="significant", series="D:")

    triage.triage_alert(second, later)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.occurrences == 2
    assert first.last_occurrence_at == later
    assert Request.objects.count() == 1
    assert second.request == first.request
    note = Comment.objects.get(request=first.request)
    assert note.internal and "D:" in note.body


def test_it_does_not_fold_another_servers_alert(monitored):  # type: ignore[no-untyped-def]
    """The same rule on another server is another alert and another request."""
    for server in monitored.servers:
        triage.triage_alert(firing_alert(server, "cpu", FIRING, impact="significant"), FIRING)
    assert Request.objects.count() == 2


def test_it_escalates_a_major_alert_to_level_2_at_exactly_one_hour(monitored):  # type: ignore[no-untyped-def]
    """MON-3: level-1 diagnosis of at most 1 hour; at firing + 1 h the alert goes to level 2
    (internal note on the request, mail to the level-2 team), not a second before, once."""
    from django.contrib.auth import get_user_model

    from livret.tenants.models import Membership

    lead = get_user_model().objects.create_user("lead", email="lead@vendor.test")
    Membership.objects.create(user=lead, role="lead")
    alert = firing_alert(monitored.servers[0], "heartbeat", FIRING)
    triage.triage_alert(alert, FIRING)

    with time_machine.travel(FIRING + timedelta(minutes=59, seconds=59), tick=False):
        assert jobs.escalate_due(timezone.now()) == 0
    alert.refresh_from_db()
    assert alert.level == 1 and alert.escalated_at is None

    with time_machine.travel(FIRING + timedelta(hours=1), tick=False):
        assert jobs.escalate_due(timezone.now()) == 1
        assert jobs.escalate_due(timezone.now()) == 0  # claimed once
    alert.refresh_from_db()
    assert alert.level == 2
    assert alert.escalated_at == FIRING + timedelta(hours=1)
    note = Comment.objects.get(request=alert.request, internal=True)
    assert "niveau 2" in note.body
    escalation = OutgoingMail.objects.get(reason="monitoring-escalation")
    assert escalation.to == ["lead@vendor.test"]


def test_it_does_not_escalate_once_the_level1_diagnosis_is_established(personas, monitored):  # type: ignore[no-untyped-def]
    alert = firing_alert(monitored.servers[0], "heartbeat", FIRING)
    triage.triage_alert(alert, FIRING)

    triage.diagnosis_done(personas.technician, alert, "Box internet hors tension.", FIRING)

    assert jobs.escalate_due(FIRING + timedelta(hours=2)) == 0
    alert.refresh_from_db()
    assert alert.level == 1


@pytest.mark.parametrize(
    ("firing", "due"),
    [
        # 01:30 CET on the last Sunday of March; 02:00-03:00 does not exist: due 03:30 CEST.
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # 02:30 CEST (first pass) on the last Sunday of October: due 02:30 CET (second pass).
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
    ids=["march-dst", "october-dst"],
)
def test_it_counts_the_level1_hour_in_elapsed_time_across_dst(monitored, firing, due):  # type: ignore[no-untyped-def]
    """The level-1 hour is an elapsed hour, whatever the Paris clock shows on DST nights."""
    alert = firing_alert(monitored.servers[0], "heartbeat", firing)
    triage.triage_alert(alert, firing)
    alert.refresh_from_db()
    assert alert.diagnosis_due_at == due
    assert jobs.escalate_due(due - timedelta(seconds=1)) == 0
    assert jobs.escalate_due(due) == 1


def test_it_notes_the_resolution_on_the_request_without_closing_it(monitored):  # type: ignore[no-untyped-def]
    alert = firing_alert(monitored.servers[0], "cpu", FIRING, impact="significant")
    triage.triage_alert(alert, FIRING)

    triage.resolve_alert(alert, FIRING + timedelta(minutes=45))

    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert alert.resolved_at == FIRING + timedelta(minutes=45)
    assert alert.request.is_open
    note = Comment.objects.get(request=alert.request)
    assert not note.internal and "résolue" in note.body


def test_it_adds_the_major_actions_when_an_operator_raises_the_impact(personas, monitored):  # type: ignore[no-untyped-def]
    """An operator raises a minor alert to major: request, call, timer counted from then."""
    alert = firing_alert(monitored.servers[0], "cpu", FIRING)
    triage.triage_alert(alert, FIRING)
    later = FIRING + timedelta(minutes=10)

    triage.set_alert_impact(personas.technician, alert, "major-extended", later)

    alert.refresh_from_db()
    assert alert.impact == "major-extended"
    assert alert.impact_overridden_by == personas.technician
    assert alert.request is not None and alert.request.priority == "critical"
    assert alert.calls.count() == 1
    assert alert.diagnosis_due_at == later + timedelta(hours=1)


def test_it_refuses_impact_changes_from_a_client(personas, monitored):  # type: ignore[no-untyped-def]
    alert = firing_alert(monitored.servers[0], "cpu", FIRING)
    with pytest.raises(NotAllowed):
        triage.set_alert_impact(personas.user_a, alert, "none", FIRING)
    assert MonitoringAlert.objects.get().impact == ""


# --------------------------------------------------------------------------- backup alerts

BACKUP_INSTRUCTIONS = "Vérifiez que le support de sauvegarde est branché et disponible."


@pytest.mark.parametrize("rule", ["backup-missing", "backup-failed"])
def test_it_mails_the_backup_instructions_for_a_minor_backup_alert(personas, monitored, rule):  # type: ignore[no-untyped-def]
    """MON-2, MON-3: a missing or failed backup of minor impact (the preset's ``backup``
    rule) mails the client what to check."""
    alert = firing_alert(
        monitored.servers[0], rule, FIRING, impact="minor-moderate", series="nightly"
    )
    triage.triage_alert(alert, FIRING)
    to_client = OutgoingMail.objects.get(to=[personas.user_a.email])
    assert BACKUP_INSTRUCTIONS in to_client.body


@pytest.mark.parametrize("rule", ["backup-missing", "backup-failed"])
def test_it_applies_an_override_of_the_backup_rule_to_backup_alerts(monitored, rule):  # type: ignore[no-untyped-def]
    """MON-3: the operators set the impact of the offer's ``backup`` rule (the impacts page
    lists it); it applies to both kinds of backup alert. An override of the alert's own rule
    id, on the same scope, wins over it."""
    server = monitored.servers[0]
    ImpactSetting.objects.create(rule="backup", impact="significant", changed_at=FIRING)
    alert = firing_alert(server, rule, FIRING, impact="minor-moderate", series="nightly")
    triage.triage_alert(alert, FIRING)
    alert.refresh_from_db()
    assert alert.impact == "significant"

    ImpactSetting.objects.create(rule=rule, impact="none", changed_at=FIRING)
    ImpactSetting.objects.create(
        rule="backup", server=server, impact="major-extended", changed_at=FIRING
    )
    other = firing_alert(monitored.servers[1], rule, FIRING, impact="minor-moderate", series="x")
    triage.triage_alert(other, FIRING)
    other.refresh_from_db()
    assert other.impact == "none"  # srv-paie-02: the global override of its own rule id
    again = firing_alert(server, rule, FIRING, series="weekly")
    MonitoringAlert.objects.filter(pk=alert.pk).update(resolved_at=FIRING)
    triage.triage_alert(again, FIRING)
    again.refresh_from_db()
    assert again.impact == "major-extended"  # srv-compta-01: its server override first
