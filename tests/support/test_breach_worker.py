"""The SLA alert scan of the worker, and the bulk recompute of stored deadlines (REQ-4, REQ-6,
REQ-6b, REQ-11; DESIGN: stored deadlines, several workers side by side).

Alerts at 75 % and at breach go to the assignee and the support leads, once each: never twice
(a second scan, a second worker), never lost (a worker killed before its commit). Outside the
support hours only criticity-1 alerts go at once; the others wait for the next opening.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from livret.core.calendar import to_us
from livret.core.offer import load_offer_text, load_preset
from livret.core.sla_bulk import Deadlines, Settled
from livret.errors import ServiceError
from livret.mail.models import OutgoingMail
from livret.ops.worker import installed_jobs
from livret.support import jobs, recompute, services
from livret.support.models import Request, RequestEvent, SlaAlert
from livret.support.services import NewRequest, clocks
from tests.helpers.cli import run_livret
from tests.helpers.clock import at

ROOT = Path(__file__).resolve().parents[2]


def anomaly(priority: str = "critical") -> NewRequest:
    return NewRequest(
        kind="anomaly", title="La clôture plante", description="ERR-42", priority=priority
    )


@pytest.fixture(autouse=True)
def _fresh_policies():  # type: ignore[no-untyped-def]
    # services caches policies by offer-version pk; rolled-back tests reuse pks on SQLite
    clocks._policy_for_version.cache_clear()
    yield
    clocks._policy_for_version.cache_clear()


@pytest.fixture
def lead(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from livret.tenants.models import Membership, Role

    user = get_user_model().objects.create_user("lead", email="lead@vendor.test")
    Membership.objects.create(user=user, client=None, role=Role.LEAD)
    return user


def alert_mails(request: Request) -> list[OutgoingMail]:
    return list(
        OutgoingMail.objects.filter(thread=request.number, reason__startswith="sla-").order_by("pk")
    )


def levels(request: Request) -> list[tuple[str, str]]:
    return sorted(SlaAlert.objects.filter(request=request).values_list("clock", "level"))


# --------------------------------------------------------------------------- once each


@pytest.mark.django_db
def test_it_is_registered_as_a_worker_job() -> None:
    assert [job.interval for job in installed_jobs() if job.name == "sla-alerts"] == [30]


@pytest.mark.django_db
def test_it_sends_the_warning_and_the_breach_once_each(personas, lead) -> None:
    # Q critical, Thu 10:00: due 15:30 (4 business hours with the lunch break), 75 % at 14:30
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly("critical"),
        at=at("2026-11-19 10:00"),
    )
    assert request.next_alert_at == at("2026-11-19 14:30")
    assert jobs.scan_breaches(at("2026-11-19 14:29")) == 0
    assert jobs.scan_breaches(at("2026-11-19 14:30")) == 1
    assert jobs.scan_breaches(at("2026-11-19 14:30")) == 0  # the same scan again
    assert jobs.scan_breaches(at("2026-11-19 15:00")) == 0
    request.refresh_from_db()
    assert request.next_alert_at == at("2026-11-19 15:30")
    assert jobs.scan_breaches(at("2026-11-19 15:30")) == 1
    for later in ("2026-11-19 15:31", "2026-11-20 09:00", "2026-11-30 09:00"):
        assert jobs.scan_breaches(at(later)) == 0
    assert levels(request) == [("pickup", "breach"), ("pickup", "warning")]
    mails = alert_mails(request)
    # nobody has taken it yet: the support lead is told
    assert [(m.reason, m.to) for m in mails] == [
        ("sla-warning", ["lead@vendor.test"]),
        ("sla-breach", ["lead@vendor.test"]),
    ]
    assert "75 %" in mails[0].subject and "dépassé" in mails[1].subject
    request.refresh_from_db()
    assert request.next_alert_at is None
    # at 15:30 sharp the deadline is reached, not passed; a later recompute marks the breach
    recompute.recompute_all(at("2026-11-19 16:00"))
    request.refresh_from_db()
    assert request.breached == ["pickup"]
    # each alert is in the audit trail once (REQ-11)
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds.count("sla-warning") == 1 and kinds.count("sla-breach") == 1


@pytest.mark.django_db
def test_it_warns_the_assignee_and_the_support_lead(personas, lead) -> None:
    tech = personas.technician
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly("high"),
        at=at("2026-11-19 10:00"),
    )
    services.take_in_charge(request, tech, at=at("2026-11-19 10:30"))
    request = services.qualify(request, tech, 1, at=at("2026-11-19 11:00"))
    # 12 business hours: Thu 5 h, Fri 6.5 h, Mon 09:00-09:30; 9 h (75 %) on Fri 14:30
    assert request.action_plan_due_at == at("2026-11-23 09:30")
    assert request.next_alert_at == at("2026-11-20 14:30")
    assert jobs.scan_breaches(at("2026-11-20 14:30")) == 1
    assert jobs.scan_breaches(at("2026-11-20 14:31")) == 0
    # one mail each (a person's own greeting and preferences), the assignee first
    mails = alert_mails(request)
    assert [(m.reason, m.to) for m in mails] == [
        ("sla-warning", ["tech@vendor.test"]),
        ("sla-warning", ["lead@vendor.test"]),
    ]
    assert all(request.number in m.subject for m in mails)
    assert levels(request) == [("action-plan", "warning")]


@pytest.mark.django_db
def test_it_sends_both_alerts_of_a_long_outage_in_one_scan_once(personas, lead) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly("critical"),
        at=at("2026-11-19 10:00"),
    )
    # the worker was down all afternoon: warning and breach go together, once
    assert jobs.scan_breaches(at("2026-11-19 18:00")) == 2
    assert jobs.scan_breaches(at("2026-11-19 18:00")) == 0
    assert levels(request) == [("pickup", "breach"), ("pickup", "warning")]
    assert len(alert_mails(request)) == 2


# --------------------------------------------------------------------------- outside hours


@pytest.mark.django_db
def test_it_defers_a_non_urgent_breach_reached_at_night_to_the_next_opening(personas, lead) -> None:
    tech = personas.technician
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly("high"),
        at=at("2026-11-16 09:00"),
    )
    services.take_in_charge(request, tech, at=at("2026-11-16 09:30"))
    request = services.qualify(request, tech, 2, at=at("2026-11-16 10:00"))
    # criticity 2: fix within 6 business days → end of Tue 24 Nov (24:00), reached at night
    assert request.fix_due_at == at("2026-11-25 00:00")
    assert jobs.scan_breaches(at("2026-11-24 23:59")) == 1  # the 75 % warning, in hours
    request.refresh_from_db()
    assert request.next_alert_at == at("2026-11-25 09:00")  # not midnight
    assert jobs.scan_breaches(at("2026-11-25 00:00")) == 0
    assert jobs.scan_breaches(at("2026-11-25 08:59")) == 0
    assert jobs.scan_breaches(at("2026-11-25 09:00")) == 1
    breach = SlaAlert.objects.get(request=request, level="breach")
    assert breach.crossed_at == at("2026-11-25 00:00")
    assert breach.created_at == at("2026-11-25 09:00")


@pytest.fixture
def fix_for_criticity_1(personas):  # type: ignore[no-untyped-def]
    """A Q version whose fix clock also covers criticity 1 (day-based, so it ends at 24:00)."""
    from livret.offers.services import import_offer
    from livret.tenants.services import create_contract

    text = load_preset("quadra-entreprise").text
    marker = "[anomalies.fix]\n"
    head, tail = text.split(marker)
    loaded = load_offer_text(
        head + marker + tail.replace("criticities = [2]", "criticities = [1, 2]", 1)
    )
    version = import_offer(loaded, "test-fix-criticity-1").version
    return create_contract(
        client=personas.client_a,
        reference="A-FIX1",
        offer_version=version,
        start_date=date(2026, 1, 5),
    )


@pytest.mark.django_db
def test_it_sends_a_criticity_1_breach_at_once_even_at_night(
    personas, lead, fix_for_criticity_1
) -> None:
    tech = personas.technician
    urgent = services.file_request(
        filer=personas.user_a,
        contract=fix_for_criticity_1,
        new=anomaly("critical"),
        at=at("2026-11-16 09:00"),
    )
    services.take_in_charge(urgent, tech, at=at("2026-11-16 09:30"))
    services.qualify(urgent, tech, 1, at=at("2026-11-16 10:00"))
    urgent = services.deliver_action_plan(urgent, tech, "Plan", at=at("2026-11-16 11:00"))
    assert urgent.fix_due_at == at("2026-11-25 00:00")
    jobs.scan_breaches(at("2026-11-24 17:00"))  # the warnings, in hours
    urgent.refresh_from_db()
    assert urgent.next_alert_at == at("2026-11-25 00:00")  # criticity 1: not deferred
    assert jobs.scan_breaches(at("2026-11-25 00:00")) == 1
    breach = SlaAlert.objects.get(request=urgent, clock="fix", level="breach")
    assert breach.created_at == at("2026-11-25 00:00")
    assert [m.to for m in alert_mails(urgent)[-2:]] == [["tech@vendor.test"], ["lead@vendor.test"]]


# --------------------------------------------------------------------------- crashes


@pytest.mark.django_db
def test_it_loses_nothing_when_the_worker_fails_before_its_commit(
    personas, lead, monkeypatch
) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly("critical"),
        at=at("2026-11-19 10:00"),
    )
    real = clocks._queue_alert_mail
    calls = []

    def crash_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("worker killed while queueing the mail")
        return real(*args, **kwargs)

    monkeypatch.setattr(clocks, "_queue_alert_mail", crash_first)
    now = at("2026-11-19 14:30")
    assert jobs.scan_breaches(now) == 0
    # the transaction was rolled back as a whole: no alert, no audit event, no mail
    assert levels(request) == []
    assert not request.events.filter(kind__startswith="sla-").exists()
    assert alert_mails(request) == []
    request.refresh_from_db()
    assert request.next_alert_at == now + jobs.RETRY_AFTER  # retried, not dropped
    assert jobs.scan_breaches(now + jobs.RETRY_AFTER) == 1
    assert jobs.scan_breaches(now + jobs.RETRY_AFTER) == 0
    assert levels(request) == [("pickup", "warning")]
    assert [m.to for m in alert_mails(request)] == [["lead@vendor.test"]]
    assert request.events.filter(kind="sla-warning").count() == 1


@pytest.mark.django_db
def test_it_skips_a_failing_request_and_serves_the_others(personas, lead, monkeypatch) -> None:
    contract = personas.client_a.contracts.get()
    first = services.file_request(
        filer=personas.user_a, contract=contract, new=anomaly(), at=at("2026-11-19 10:00")
    )
    second = services.file_request(
        filer=personas.user_a, contract=contract, new=anomaly(), at=at("2026-11-19 10:05")
    )
    real = services.send_due_alerts

    def broken_for_first(pk, now):  # type: ignore[no-untyped-def]
        if pk == first.pk:
            raise ValueError("a corrupt row")
        return real(pk, now)

    monkeypatch.setattr(services, "send_due_alerts", broken_for_first)
    assert jobs.scan_breaches(at("2026-11-19 14:40")) == 1
    assert levels(first) == [] and levels(second) == [("pickup", "warning")]
    monkeypatch.setattr(services, "send_due_alerts", real)
    assert jobs.scan_breaches(at("2026-11-19 14:41")) == 1
    assert levels(first) == [("pickup", "warning")]


# --------------------------------------------------------------------------- processes

# Run in subprocesses against a real database file (SQLite) or the test database
# (PostgreSQL): several workers at once, and a worker killed mid-transaction.
SCRIPT = r"""
import json, os, sys, time
from datetime import date, datetime
from zoneinfo import ZoneInfo
from livret.boot import setup_django
setup_django()
from django.core.management import call_command
from livret.support import jobs, services
from livret.mail.models import OutgoingMail
from livret.support.models import RequestEvent, SlaAlert

mode = sys.argv[1]
if mode == "setup":
    from django.contrib.auth import get_user_model
    from livret.offers.services import import_builtin_presets
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract
    call_command("migrate", verbosity=0)
    versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
    client = Client.objects.create(name="Client W", slug="client-w")
    contract = create_contract(client=client, reference="W-1",
                               offer_version=versions["quadra-entreprise"],
                               start_date=date(2026, 1, 5))
    users = get_user_model()
    filer = users.objects.create_user("filer", email="filer@w.test")
    lead = users.objects.create_user("lead", email="lead@vendor.test")
    Membership.objects.create(user=filer, client=client, role=Role.CLIENT_USER)
    Membership.objects.create(user=lead, client=None, role=Role.LEAD)
    start = datetime(2026, 11, 19, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    for i in range(int(sys.argv[2])):
        services.file_request(filer=filer, contract=contract, at=start, new=services.NewRequest(
            kind="anomaly", title=f"R{i}", description="d", priority="critical"))
elif mode in ("scan", "crash"):
    now = datetime.fromisoformat(sys.argv[2])
    if mode == "crash":
        def killed(*args, **kwargs):
            os._exit(137)  # like SIGKILL: no rollback code runs, the connection just drops
        services.clocks._queue_alert_mail = killed
    print("ready", flush=True)
    go = sys.argv[3] if len(sys.argv) > 3 else None
    while go and not os.path.exists(go):
        time.sleep(0.005)
    print(jobs.scan_breaches(now), flush=True)
elif mode == "count":
    print(json.dumps({
        "alerts": sorted(SlaAlert.objects.values_list("request_id", "clock", "level")),
        "mails": sorted(OutgoingMail.objects.filter(reason__startswith="sla-")
                        .values_list("thread", "reason")),
        "mail_to": sorted({tuple(m) for m in OutgoingMail.objects.filter(
            reason__startswith="sla-").values_list("to", flat=True)}),
        "events": RequestEvent.objects.filter(kind__startswith="sla-").count(),
    }))
"""


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, made once and copied by each test that needs one."""
    path = tmp_path_factory.mktemp("migrated")
    result = run_livret("manage", "migrate", "-v0", data_dir=path)
    assert result.returncode == 0, result.stderr
    return path / "livret.sqlite3"


@pytest.fixture
def worker_env(tmp_path, transactional_db, request):  # type: ignore[no-untyped-def]
    """Environment for worker subprocesses: a SQLite file of their own, or the PostgreSQL
    test database this test commits to."""
    from django.db import connection

    env = {**os.environ, "LIVRET_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    if connection.vendor == "sqlite":
        template = request.getfixturevalue("migrated_sqlite")
        shutil.copyfile(template, tmp_path / "livret.sqlite3")
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}{password}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
            f"/{s['NAME']}"
        )
    else:
        env["DATABASE_URL"] = ""
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def counted(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    result = run(env, "count")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_it_sends_each_alert_once_with_two_workers_at_once(worker_env, tmp_path) -> None:
    n = 40
    setup = run(worker_env, "setup", str(n))
    assert setup.returncode == 0, setup.stderr
    go = tmp_path / "go"
    now = "2026-11-19T14:30:00+01:00"  # every request reaches its 75 % warning
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "scan", now, str(go)],
            env=worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:  # both are up and connected before either starts
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [worker.communicate(timeout=180) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
        assert "failed" not in err, err  # no row needed the unique constraint as a last resort
    counts = [int(out.split()[-1]) for out, _ in outputs]
    print("alerts recorded by each worker:", counts)
    assert sum(counts) == n
    found = counted(worker_env)
    assert len(found["alerts"]) == n
    assert len({(r, c, lvl) for r, c, lvl in found["alerts"]}) == n
    assert {(c, lvl) for _, c, lvl in found["alerts"]} == {("pickup", "warning")}
    assert len(found["mails"]) == n and len({r for r, _ in found["mails"]}) == n
    assert found["mail_to"] == [["lead@vendor.test"]]
    assert found["events"] == n


@pytest.mark.slow
def test_it_sends_the_alert_after_a_worker_killed_mid_transaction(worker_env) -> None:
    setup = run(worker_env, "setup", "3")
    assert setup.returncode == 0, setup.stderr
    now = "2026-11-19T14:30:00+01:00"
    killed = run(worker_env, "crash", now)
    assert killed.returncode == 137
    found = counted(worker_env)
    assert found == {"alerts": [], "mails": [], "mail_to": [], "events": 0}
    restarted = run(worker_env, "scan", now)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.split()[-1] == "3"
    again = run(worker_env, "scan", now)
    assert again.stdout.split()[-1] == "0"
    found = counted(worker_env)
    assert len(found["alerts"]) == 3 and len(found["mails"]) == 3 and found["events"] == 3


# --------------------------------------------------------------------------- bulk recompute


@pytest.mark.django_db
def test_it_recomputes_every_open_request_as_the_service_functions_do(personas, lead) -> None:
    from livret.tenants.models import Client
    from livret.tenants.services import create_contract

    tech = personas.technician
    contracts = [personas.client_a.contracts.get()]
    from livret.offers.models import OfferVersion

    for reference, offer_id, formula, territory in (
        ("E-P", "expert-on-demand", "private", "metropole"),
        ("C-1", "eksae-contact", None, "metropole"),
        ("S-972", "carrus-saas", None, "972"),
    ):
        contracts.append(
            create_contract(
                client=personas.client_a,
                reference=reference,
                offer_version=OfferVersion.objects.get(offer_id=offer_id),
                formula=formula,
                territory=territory,
                start_date=date(2026, 1, 5),
            )
        )
    assert Client.objects.count() == 2
    rng = random.Random(4)
    t0 = at("2026-03-02 08:00")
    for i in range(40):
        contract = contracts[i % len(contracts)]
        t = t0 + timedelta(hours=rng.randrange(0, 24 * 200))
        kind = "anomaly" if i % 7 else "usage-question"
        r = services.file_request(
            filer=personas.user_a,
            contract=contract,
            new=NewRequest(kind=kind, title=f"R{i}", description="d", priority="high"),
            at=t,
        )
        steps = rng.randrange(0, 7)
        try:
            if steps > 0:
                t += timedelta(hours=rng.choice([1, 5, 20]))
                r = services.take_in_charge(r, tech, at=t)
            if steps > 1:
                t += timedelta(hours=1)
                r = services.qualify(r, tech, rng.choice([1, 2, 3]), at=t)
            if steps > 2:
                t += timedelta(hours=2)
                r = services.ask_client(r, tech, "Quelle version ?", at=t)
            if steps > 3:
                t += timedelta(hours=rng.choice([3, 30]))
                r = services.client_answers(r, personas.user_a, "V8", at=t)
            if steps > 4:
                t += timedelta(hours=4)
                r = services.deliver_fix(r, tech, "Correctif", at=t)
            if steps > 5:
                t += timedelta(hours=4)
                r = services.reject(r, personas.user_a, "Toujours en erreur", at=t)
        except ServiceError:
            pass
    now = at("2026-10-01 12:00")
    jobs.scan_breaches(at("2026-06-01 12:00"))  # some alerts already sent
    stored_before = {r.pk: recompute.deadlines_of(r) for r in Request.objects.all()}
    assert recompute.recompute_all(now, batch=7) == Request.objects.count()
    checked = 0
    for request in Request.objects.select_related("contract"):
        bulk = recompute.deadlines_of(request)
        services.recompute(request, now)
        assert bulk == recompute.deadlines_of(request), request.number
        # the deadlines themselves did not move; only what depends on "now" may differ
        before = stored_before[request.pk]
        assert (bulk.pickup_due, bulk.fix_due) == (before.pickup_due, before.fix_due)
        checked += 1
    assert checked == 40


@pytest.mark.django_db
def test_it_keeps_what_a_service_function_stored_meanwhile(personas) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly(),
        at=at("2026-11-19 10:00"),
    )
    stale = Settled.empty(1)
    stale.put(0, Deadlines(pickup_due=0, next_alert=0))
    recompute._write([request.pk], [request.event_count - 1], stale)
    request.refresh_from_db()
    assert request.pickup_due_at == at("2026-11-19 15:30")  # an event was added since: kept
    recompute._write([request.pk], [request.event_count], stale)
    request.refresh_from_db()
    assert request.pickup_due_at == datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


@pytest.mark.django_db
def test_it_stores_instants_exactly_as_django_does(personas) -> None:
    from django.db import connection

    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly(),
        at=at("2026-11-19 10:00"),
    )
    for instant in (
        at("2026-11-19 15:30"),
        at("2026-11-19 15:30") + timedelta(microseconds=7),
        at("2026-07-01 09:00") + timedelta(microseconds=999_999),
    ):
        written = Settled.empty(1)
        written.put(0, Deadlines(next_alert=to_us(instant)))
        recompute._write([request.pk], [request.event_count], written)
        request.refresh_from_db()
        assert request.next_alert_at == instant
        # the scan compares stored values with Django's parameters: equal means due
        assert jobs.due_requests(instant) == [request.pk]
        assert jobs.due_requests(instant - timedelta(microseconds=1)) == []
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT CAST(next_alert_at AS TEXT) FROM support_request WHERE id = %s",
                    [request.pk],
                )
                [(text,)] = cursor.fetchall()
            assert text == connection.ops.adapt_datetimefield_value(instant)


@pytest.mark.django_db
def test_it_recomputes_after_an_offer_migration(personas) -> None:
    from livret.offers.services import import_offer
    from livret.tenants.services import migrate_contract

    contract = personas.client_a.contracts.get()
    request = services.file_request(
        filer=personas.user_a, contract=contract, new=anomaly("critical"), at=at("2026-11-19 10:00")
    )
    assert request.pickup_due_at == at("2026-11-19 15:30")
    text = load_preset("quadra-entreprise").text.replace(
        'critical = { amount = 4, unit = "business_hours" }',
        'critical = { amount = 2, unit = "business_hours" }',
    )
    migrate_contract(contract, import_offer(load_offer_text(text), "test-2h").version)
    assert recompute.recompute_all(at("2026-11-19 10:30")) == 1
    request.refresh_from_db()
    assert request.pickup_due_at == at("2026-11-19 12:00")
    assert request.next_alert_at == at("2026-11-19 11:30")
    assert RequestEvent.objects.filter(request=request).count() == 1  # no event added
