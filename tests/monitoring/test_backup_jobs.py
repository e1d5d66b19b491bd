"""Declaring backup jobs (SPEC MON-2: "a backup result not received by its due time → alert").

A technician declares each server's backup jobs with the local time their result is due, on
the site page or with ``services.add_backup_job``; the worker's ``monitoring-backups`` job then
raises ``backup-missing`` at each due instant without a result (tests/monitoring/
test_backup_due.py covers the rule itself). The site page lists each job with its last result
and its next due instant, in the job's own time zone; clients read it, only vendor staff change
it.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from livret.errors import NotAllowed, ServiceError
from livret.monitoring import jobs, services
from livret.monitoring.models import BackupJob, BackupResult, MonitoringAlert
from tests.helpers.cli import run_livret
from tests.helpers.clock import at
from tests.helpers.monitoring import preventcare_site

pytestmark = pytest.mark.django_db

NOW = at("2026-11-24 10:00")


@pytest.fixture
def world(personas, versions):  # type: ignore[no-untyped-def]
    """Client A: a site with two servers; client B: a site with one."""
    a = preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01", "srv-paie-02"))
    b = preventcare_site(versions, personas.client_b, reference="P-B", hostnames=("srv-b-01",))
    return {"a": a, "b": b}


def add(personas: Any, server: Any, name: str, due: Any, zone: str, when: datetime) -> BackupJob:
    with time_machine.travel(when, tick=False):
        return services.add_backup_job(personas.technician, server, name, due, zone)


# --------------------------------------------------------------------------- the service

FIRST_DUE = [
    # declared at (Paris), due time, zone, first due instant
    ("2026-11-24 05:00", "06:00", "Europe/Paris", "2026-11-24T06:00:00+01:00"),
    ("2026-11-24 06:00", "06:00", "Europe/Paris", "2026-11-25T06:00:00+01:00"),  # strictly after
    ("2026-11-24 10:00", time(6, 0), "Europe/Paris", "2026-11-25T06:00:00+01:00"),
    ("2026-11-24 10:00", "23:30", "America/Martinique", "2026-11-24T23:30:00-04:00"),
]


@pytest.mark.parametrize(("declared", "due", "zone", "first"), FIRST_DUE)
def test_it_declares_a_job_due_every_day_at_its_local_time(
    personas, world, declared, due, zone, first
):  # type: ignore[no-untyped-def]
    job = add(personas, world["a"].servers[0], " nightly ", due, zone, at(declared))
    job.refresh_from_db()
    assert (job.name, job.due_time.strftime("%H:%M"), job.timezone) == (
        "nightly",
        str(due)[:5],
        zone,
    )
    assert job.next_due_at == datetime.fromisoformat(first)


def test_it_gives_the_first_due_instant_across_the_march_dst_night(personas, world):  # type: ignore[no-untyped-def]
    """Last Sunday of March 2026: declared at 23:00 CET on Saturday, due 06:00 → 06:00 CEST
    on Sunday, 6 hours later (not 7)."""
    declared = datetime.fromisoformat("2026-03-28T23:00:00+01:00")
    job = add(personas, world["a"].servers[0], "nightly", "06:00", "Europe/Paris", declared)
    assert job.next_due_at == datetime.fromisoformat("2026-03-29T06:00:00+02:00")
    assert job.next_due_at - declared == timedelta(hours=6)


def test_it_gives_the_first_due_instant_across_the_october_dst_night(personas, world):  # type: ignore[no-untyped-def]
    """Last Sunday of October 2026: declared at 23:00 CEST on Saturday, due 06:00 → 06:00 CET
    on Sunday, 8 hours later."""
    declared = datetime.fromisoformat("2026-10-24T23:00:00+02:00")
    job = add(personas, world["a"].servers[0], "nightly", "06:00", "Europe/Paris", declared)
    assert job.next_due_at == datetime.fromisoformat("2026-10-25T06:00:00+01:00")
    assert job.next_due_at - declared == timedelta(hours=8)


BAD_JOBS = [
    # name, due time, zone, field named
    ("", "06:00", "Europe/Paris", "name"),
    ("   ", "06:00", "Europe/Paris", "name"),
    ("n" * 101, "06:00", "Europe/Paris", "name"),
    ("night\tly", "06:00", "Europe/Paris", "name"),
    ("night\x00ly", "06:00", "Europe/Paris", "name"),
    ("nightly", "25:00", "Europe/Paris", "due_time"),
    ("nightly", "6h", "Europe/Paris", "due_time"),
    ("nightly", "", "Europe/Paris", "due_time"),
    ("nightly", "06:00", "Europe/Pariss", "timezone"),
    ("nightly", "06:00", "", "timezone"),
    ("nightly", "06:00", "../../etc/passwd", "timezone"),
]


@pytest.mark.parametrize(("name", "due", "zone", "field"), BAD_JOBS)
def test_it_refuses_a_bad_job_naming_the_field(personas, world, name, due, zone, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as refused:
        add(personas, world["a"].servers[0], name, due, zone, NOW)
    assert refused.value.field == field
    assert refused.value.message
    assert not BackupJob.objects.exists()


def test_it_keeps_job_names_unique_per_server(personas, world):  # type: ignore[no-untyped-def]
    compta, paie = world["a"].servers
    add(personas, compta, "nightly", "06:00", "Europe/Paris", NOW)
    with pytest.raises(ServiceError) as refused:
        add(personas, compta, "Nightly", "07:00", "Europe/Paris", NOW)
    assert (refused.value.code, refused.value.field) == ("duplicate", "name")
    assert "srv-compta-01" in refused.value.message
    add(personas, paie, "nightly", "06:00", "Europe/Paris", NOW)  # another server: fine
    assert BackupJob.objects.count() == 2


def test_it_lets_only_vendor_staff_declare_or_remove_a_job(personas, world):  # type: ignore[no-untyped-def]
    server = world["a"].servers[0]
    for user in (personas.user_a, personas.user_b):
        with pytest.raises(NotAllowed):
            services.add_backup_job(user, server, "nightly", "06:00")
    job = add(personas, server, "nightly", "06:00", "Europe/Paris", NOW)
    with pytest.raises(NotAllowed):
        services.remove_backup_job(personas.user_a, job)
    assert BackupJob.objects.count() == 1


def test_it_alerts_when_a_declared_jobs_result_is_not_received_and_stops_when_removed(
    personas, world
):  # type: ignore[no-untyped-def]
    """MON-2: a job declared by the service is watched by the worker; removing it resolves its
    missing-result alert (nothing else ever would) and keeps its results."""
    server = world["a"].servers[0]
    job = add(personas, server, "nightly", "06:00", "Europe/Paris", at("2026-11-24 05:00"))
    BackupResult.objects.create(
        server=server,
        job="nightly",
        status="succeeded",
        finished_at=at("2026-11-24 02:10"),
        received_at=at("2026-11-24 02:10"),
    )
    with time_machine.travel(at("2026-11-24 06:00"), tick=False):
        assert jobs.scan_backups(at("2026-11-24 06:00")) == 0  # last night's result counts
    with time_machine.travel(at("2026-11-25 06:00"), tick=False):
        assert jobs.scan_backups(at("2026-11-25 06:00")) == 1  # none since
    alert = MonitoringAlert.objects.get(rule="backup-missing", series="nightly")
    assert alert.resolved_at is None

    services.remove_backup_job(personas.technician, job, now=at("2026-11-25 09:00"))

    alert.refresh_from_db()
    assert alert.resolved_at == at("2026-11-25 09:00")
    assert not BackupJob.objects.exists()
    assert BackupResult.objects.filter(server=server).count() == 1
    with time_machine.travel(at("2026-11-26 06:00"), tick=False):
        assert jobs.scan_backups(at("2026-11-26 06:00")) == 0


# --------------------------------------------------------------------------- the site page


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def declared(personas, world, frozen):  # type: ignore[no-untyped-def]
    """Two jobs of client A: nightly (Paris, succeeded last night), export (Martinique)."""
    compta, paie = world["a"].servers
    nightly = services.add_backup_job(personas.technician, compta, "nightly", "06:00")
    export = services.add_backup_job(
        personas.technician, paie, "export-compta", "23:30", "America/Martinique"
    )
    BackupResult.objects.create(
        server=compta,
        job="nightly",
        status="succeeded",
        started_at=at("2026-11-24 00:30"),
        finished_at=at("2026-11-24 02:10"),
        message="184 Go traités",
        received_at=at("2026-11-24 02:11"),
    )
    BackupResult.objects.create(
        server=compta,
        job="nightly",
        status="failed",
        finished_at=at("2026-11-23 02:10"),
        received_at=at("2026-11-23 02:11"),
    )
    return {"nightly": nightly, "export": export}


def row_of(page: str, job: BackupJob) -> str:
    start = page.index(f'id="sauvegarde-{job.pk}"')
    return page[start : page.index("</tr>", start)]


def test_it_lists_each_job_with_its_last_result_and_next_due_time(
    client, personas, world, declared
):  # type: ignore[no-untyped-def]
    """The technician and client A see the same list; times in each job's own zone."""
    site = world["a"].site
    for user, url in (
        (personas.technician, f"/exploitation/surveillance/sites/{site.pk}/"),
        (personas.user_a, f"/portail/surveillance/sites/{site.pk}/"),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        nightly = row_of(page, declared["nightly"])
        assert "srv-compta-01" in nightly and "06:00" in nightly
        assert "Réussie" in nightly and "24/11/2026 02:10" in nightly  # the latest result
        assert "184 Go traités" in nightly
        assert "25/11/2026 06:00" in nightly  # next due: tomorrow, as it is 10:00 already
        export = row_of(page, declared["export"])
        assert "aucun résultat reçu" in export
        assert "24/11/2026 23:30" in export and "America/Martinique" in export
    client.force_login(personas.user_a)
    page = client.get(f"/portail/surveillance/sites/{site.pk}/").content.decode()
    assert "Retirer" not in page and "Déclarer une tâche" not in page


def test_it_hides_client_as_jobs_from_client_b(client, personas, world, declared):  # type: ignore[no-untyped-def]
    client.force_login(personas.user_b)
    assert client.get(f"/portail/surveillance/sites/{world['a'].site.pk}/").status_code == 404
    page = client.get(f"/portail/surveillance/sites/{world['b'].site.pk}/").content.decode()
    assert "nightly" not in page and "Aucune tâche de sauvegarde déclarée." in page


def test_it_declares_a_job_from_the_site_page(client, personas, world, frozen):  # type: ignore[no-untyped-def]
    site, paie = world["a"].site, world["a"].servers[1]
    client.force_login(personas.technician)
    url = f"/exploitation/surveillance/sites/{site.pk}/"
    data = {
        "form": "sauvegarde",
        "server": paie.pk,
        "name": "veeam-nightly",
        "due_time": "07:15",
        "timezone": "Europe/Paris",
    }
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(url, 302)]
    page = response.content.decode()
    assert "Tâche de sauvegarde « veeam-nightly » déclarée sur srv-paie-02." in page
    job = BackupJob.objects.get()
    assert (job.server, job.due_time, job.next_due_at) == (
        paie,
        time(7, 15),
        at("2026-11-25 07:15"),
    )
    assert "25/11/2026 07:15" in row_of(page, job)


def _field_error(response: Any, field: str) -> str:
    form = response.context["backup_form"]
    assert form.errors.get(field), f"no error on {field}: {form.errors}"
    assert f'id="id_{field}_error"' in response.content.decode()
    return str(form.errors[field][0])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"name": "nightly\x00"}, "name"),
        ({"due_time": "25:00"}, "due_time"),
        ({"due_time": "sept heures"}, "due_time"),
        ({"timezone": "Paris"}, "timezone"),
        ({"server": "999999"}, "server"),
        ({"server": "abc"}, "server"),
        ({"server": "b"}, "server"),  # client B's server, through client A's site
        ({"name": "Nightly"}, "name"),  # already on srv-compta-01
    ],
)
def test_it_names_the_field_of_a_bad_job_on_the_site_page(
    client, personas, world, declared, change, field
):  # type: ignore[no-untyped-def]
    site = world["a"].site
    data = {
        "form": "sauvegarde",
        "server": world["a"].servers[0].pk,
        "name": "weekly",
        "due_time": "06:00",
        "timezone": "Europe/Paris",
        **change,
    }
    if data["server"] == "b":
        data["server"] = world["b"].servers[0].pk
    client.force_login(personas.technician)
    response = client.post(f"/exploitation/surveillance/sites/{site.pk}/", data)
    assert response.status_code == 200
    assert _field_error(response, field)
    assert BackupJob.objects.count() == 2


def test_it_removes_a_job_from_the_site_page_for_vendor_staff_only(
    client, personas, world, declared
):  # type: ignore[no-untyped-def]
    site, job = world["a"].site, declared["nightly"]
    url = f"/exploitation/surveillance/sites/{site.pk}/sauvegardes/{job.pk}/retirer/"
    for user in (personas.user_a, personas.user_b):
        client.force_login(user)
        assert client.post(url).status_code == 404
    client.force_login(personas.technician)
    assert client.get(url).status_code == 405
    other_site = (
        f"/exploitation/surveillance/sites/{world['b'].site.pk}/sauvegardes/{job.pk}/retirer/"
    )
    assert client.post(other_site).status_code == 404  # not a job of that site
    assert BackupJob.objects.filter(pk=job.pk).exists()
    response = client.post(url, follow=True)
    assert "Tâche de sauvegarde « nightly » retirée de srv-compta-01." in response.content.decode()
    assert not BackupJob.objects.filter(pk=job.pk).exists()
    assert client.post(url).status_code == 404  # already gone


# --------------------------------------------------------------------------- the demo


def test_it_adds_the_demo_backup_job_once(demo_dir: Path, tmp_path: Path) -> None:
    """``livret demo`` declares srv-martin-01's nightly job with a recent succeeded result;
    running it again adds nothing."""
    data_dir = tmp_path / "demo"
    shutil.copytree(demo_dir, data_dir)
    again = run_livret("demo", data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    db = sqlite3.connect(data_dir / "livret.sqlite3")
    try:
        jobs_rows = db.execute(
            "SELECT j.name, j.due_time, j.timezone, j.next_due_at FROM monitoring_backupjob j"
            " JOIN monitoring_server s ON s.id = j.server_id WHERE s.hostname = 'srv-martin-01'"
        ).fetchall()
        results = db.execute(
            "SELECT r.job, r.status, r.finished_at FROM monitoring_backupresult r"
            " JOIN monitoring_server s ON s.id = r.server_id WHERE s.hostname = 'srv-martin-01'"
        ).fetchall()
    finally:
        db.close()
    [(name, due, zone, next_due)] = jobs_rows
    assert (name, due, zone) == ("nightly", "06:00:00", "Europe/Paris")
    assert next_due is not None
    [(job, status, finished)] = results
    assert (job, status) == ("nightly", "succeeded")
    age = datetime.now(UTC) - datetime.fromisoformat(finished).replace(tzinfo=UTC)
    assert timedelta(0) <= age <= timedelta(days=1, hours=2)
