"""The back-office and client pages, with three personas each (client A's user, client B's user,
a technician): another client's service is "not found"; bad input comes back on its field."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from livret.status import services
from livret.status.models import (
    Incident,
    Maintenance,
    MaintenanceStatus,
    Probe,
    StatusEvent,
    UpdateAnnouncement,
)
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db
NOW = at("2026-11-16 09:00")


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def objects(world):  # type: ignore[no-untyped-def]
    """One of each object on client A's service."""
    incident = services.declare_incident(
        world.tech, [world.a], "Coupure", "service", at("2026-11-16 08:00"), "Coupure."
    )
    maintenance = services.plan_maintenance(
        world.tech,
        [world.a],
        "Montée de version",
        at("2026-11-21 10:00"),
        at("2026-11-21 12:00"),
        True,
    )
    announcement = services.announce_update(
        world.tech, "quadra-entreprise", "new-version", "2027.1", at("2026-12-14 22:00")
    )
    return {"incident": incident, "maintenance": maintenance, "announcement": announcement}


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def vendor_pages(world, objects) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "/exploitation/services/",
        f"/exploitation/services/{world.a.pk}/",
        "/exploitation/incidents/",
        "/exploitation/incidents/nouveau/",
        f"/exploitation/incidents/{objects['incident'].pk}/",
        "/exploitation/maintenances/",
        "/exploitation/maintenances/nouvelle/",
        "/exploitation/mises-a-jour/",
        f"/exploitation/mises-a-jour/{objects['announcement'].pk}/",
    ]


def test_it_shows_the_back_office_to_vendor_staff_only(world, objects) -> None:
    tech, user_a, user_b = (
        browser(world.tech),
        browser(world.personas.user_a),
        browser(world.personas.user_b),
    )
    for url in vendor_pages(world, objects):
        assert tech.get(url).status_code == 200, url
        assert user_a.get(url).status_code == 404, url
        assert user_b.get(url).status_code == 404, url
        assert Client().get(url).status_code == 302, url  # to the login page


def test_it_shows_each_client_its_own_availability_only(world, objects) -> None:
    user_a, user_b, tech = (
        browser(world.personas.user_a),
        browser(world.personas.user_b),
        browser(world.tech),
    )
    mine = user_a.get("/portail/disponibilite/").content.decode()
    assert "Quadra — Client A" in mine and "Quadra — Client B" not in mine
    theirs = user_b.get("/portail/disponibilite/").content.decode()
    assert "Quadra — Client B" in theirs and "Quadra — Client A" not in theirs
    everyone = tech.get("/portail/disponibilite/").content.decode()
    assert "Quadra — Client A" in everyone and "Quadra — Client B" in everyone

    page = f"/portail/disponibilite/{world.a.pk}/"
    assert user_b.get(page).status_code == 404
    assert tech.get(page).status_code == 200
    shown = user_a.get(page).content.decode()
    assert "Coupure" in shown  # the incident on A's service
    assert "Montée de version" in shown
    assert "2027.1" in shown  # the Quadra update announced
    assert "99 %" in shown  # Q target (AVL-3)
    assert "<svg" in shown  # the chart
    assert Client().get(page).status_code == 302


def test_it_reports_the_month_figures_on_the_client_page(world) -> None:
    """AVL-3: 120 counted minutes in November 2026 → 99.231 %, met."""
    found = services.declare_incident(
        world.tech, [world.a], "Coupure", "service", at("2026-11-10 10:00"), "Coupure."
    )
    services.resolve_incident(world.tech, found, at("2026-11-10 12:00"), "Rétabli.")
    page = browser(world.personas.user_a).get(f"/portail/disponibilite/{world.a.pk}/")
    text = page.content.decode()
    assert '<th scope="row" data-label="Mois">2026-11</th>' in text
    assert "15600" in text and "99,231 %" in text


def test_it_refuses_a_plan_on_the_form_and_prefills_the_next_start(world) -> None:
    """MNT-1: blocking work at 20:30 on a weekday → refused, 22:00 proposed and prefilled."""
    tech = browser(world.tech)
    response = tech.post(
        "/exploitation/maintenances/nouvelle/",
        {
            "services": [str(world.a.pk)],
            "title": "Migration de base",
            "starts_at": "2026-11-18T20:30",
            "ends_at": "2026-11-18T21:30",
            "blocking": "on",
            "public": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "intervention bloquante trop tôt" in " ".join(form.errors["starts_at"])
    assert 'value="2026-11-18T22:00"' in response.content.decode()
    assert 'value="2026-11-18T23:00"' in response.content.decode()  # same length
    assert not Maintenance.objects.exists()
    ok = tech.post(
        "/exploitation/maintenances/nouvelle/",
        {
            "services": [str(world.a.pk)],
            "title": "Migration de base",
            "starts_at": "2026-11-18T22:00",
            "ends_at": "2026-11-18T23:00",
            "blocking": "on",
        },
    )
    assert ok.status_code == 302
    assert Maintenance.objects.get().starts_at == at("2026-11-18 22:00")


def test_it_lists_the_coming_windows_in_the_clients_own_zone(world, contract_of) -> None:
    services.create_service(world.tech, contract_of("carrus-saas", territory="972"), name="S")
    page = browser(world.tech).get("/exploitation/maintenances/nouvelle/").content.decode()
    assert "(America/Martinique)" in page and "(Europe/Paris)" in page


@pytest.mark.parametrize(
    ("url", "data", "field"),
    [
        (
            "/exploitation/incidents/nouveau/",
            {"title": "Coupure", "cause": "service", "started_at": "hier", "message": "x"},
            "started_at",
        ),
        (
            "/exploitation/incidents/nouveau/",
            {
                "title": "Coupure",
                "cause": "service",
                "started_at": "2026-11-16T10:00",
                "message": "x",
            },
            "started_at",  # in the future (now is 09:00)
        ),
        (
            "/exploitation/incidents/nouveau/",
            {
                "title": "Coupure",
                "cause": "panne",
                "started_at": "2026-11-16T08:00",
                "message": "x",
            },
            "cause",
        ),
        (
            "/exploitation/mises-a-jour/",
            {
                "offer_id": "quadra-entreprise",
                "kind": "new-version",
                "version_label": "2027.1",
                "planned_for": "2026-11-01T10:00",
            },
            "planned_for",
        ),
    ],
)
def test_it_names_the_field_of_bad_input(world, url, data, field) -> None:
    if url.endswith("nouveau/"):
        data = {**data, "services": [str(world.a.pk)]}
    response = browser(world.tech).post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Incident.objects.exists() and not UpdateAnnouncement.objects.exists()


@pytest.mark.parametrize("year", ["9999", "0001"])
def test_it_names_the_field_of_an_instant_out_of_the_calendar_years(world, objects, year) -> None:
    """issue 13, item 6: year 9999 or 0001 in a plan, an incident or a date agreed was a 500."""
    tech = browser(world.tech)
    service = str(world.a.pk)
    forms = [
        (
            "/exploitation/maintenances/nouvelle/",
            {
                "services": [service],
                "title": "Migration",
                "starts_at": f"{year}-11-18T22:00",
                "ends_at": "2026-11-18T23:00",
                "blocking": "on",
            },
            "starts_at",
        ),
        (
            "/exploitation/incidents/nouveau/",
            {
                "services": [service],
                "title": "Coupure",
                "cause": "service",
                "started_at": f"{year}-11-16T08:00",
                "message": "x",
            },
            "started_at",
        ),
        (
            "/exploitation/mises-a-jour/",
            {
                "offer_id": "quadra-entreprise",
                "kind": "new-version",
                "version_label": "2027.2",
                "planned_for": f"{year}-12-14T22:00",
            },
            "planned_for",
        ),
    ]
    for url, data, field in forms:
        response = tech.post(url, data)
        assert response.status_code == 200, url
        assert response.context["form"].errors[field] == [
            f"{field} : la date doit être entre 1901 et 2199"
        ]
    resolve = f"/exploitation/incidents/{objects['incident'].pk}/resoudre/"
    refused = tech.post(
        resolve, {"ended_at": f"{year}-11-16T08:30", "message": "fini"}, follow=True
    )
    assert "ended_at : la date doit être entre 1901 et 2199" in refused.content.decode()


def test_it_refuses_an_agreed_date_out_of_the_calendar_years(world, contract_of) -> None:
    """issue 13, item 6: an update date agreed in year 9999 or 0001 is refused on its field."""
    expert = contract_of("expert-on-demand", formula="private", options=["personalised-update"])
    announcement = services.announce_update(
        world.tech, "expert-on-demand", "new-version", "2027.1", at("2026-12-14 22:00")
    )
    url = f"/exploitation/mises-a-jour/{announcement.pk}/"
    for year in ("9999", "0001"):
        data = {"contract": str(expert.pk), "agreed_for": f"{year}-01-08T20:00"}
        refused = browser(world.tech).post(url, data)
        assert refused.status_code == 200
        assert refused.context["form"].errors["agreed_for"] == [
            "agreed_for : la date doit être entre 1901 et 2199"
        ]


def test_it_names_the_field_of_a_bad_probe_or_service(world, contract_of) -> None:
    tech = browser(world.tech)
    probe = tech.post(
        f"/exploitation/services/{world.a.pk}/",
        {
            "kind": "tcp",
            "target": "sans-port",
            "interval_seconds": 60,
            "timeout_seconds": 5,
            "retries": 1,
        },
    )
    assert "target" in probe.context["form"].errors
    assert not Probe.objects.exists()
    contract = world.personas.client_b.contracts.get()
    service = tech.post(
        "/exploitation/services/",
        {"contract": str(contract.pk), "environment": "acceptance", "name": "Recette B"},
    )
    assert "environment" in service.context["form"].errors  # no acceptance option on Q
    public = tech.post(
        "/exploitation/services/",
        {"contract": str(contract.pk), "environment": "production", "name": "B", "public": "on"},
    )
    assert "environment" in public.context["form"].errors  # B already has its production one
    fresh = contract_of("quadra-entreprise", client=world.personas.client_b)
    public = tech.post(
        "/exploitation/services/",
        {"contract": str(fresh.pk), "environment": "production", "name": "B2", "public": "on"},
    )
    assert public.context["form"].errors["public_label"] == [
        "Libellé public : ce champ est obligatoire"
    ]


def test_it_adds_a_probe_and_switches_it_off(world) -> None:
    tech = browser(world.tech)
    added = tech.post(
        f"/exploitation/services/{world.a.pk}/",
        {
            "kind": "http",
            "target": "http://127.0.0.1:9/healthz",
            "interval_seconds": 60,
            "timeout_seconds": 5,
            "retries": 1,
        },
    )
    assert added.status_code == 302
    probe = Probe.objects.get()
    assert probe.next_run_at == NOW
    tech.post(f"/exploitation/services/{world.a.pk}/sondes/{probe.pk}/basculer/")
    probe.refresh_from_db()
    assert probe.enabled is False
    other = browser(world.personas.user_a)
    assert (
        other.post(f"/exploitation/services/{world.a.pk}/sondes/{probe.pk}/basculer/").status_code
        == 404
    )


def test_it_runs_the_incident_buttons_and_reports_refusals(world, objects) -> None:
    tech = browser(world.tech)
    incident = objects["incident"]
    base = f"/exploitation/incidents/{incident.pk}/"
    early = tech.post(
        base + "resoudre/", {"ended_at": "2026-11-16T07:00", "message": "fini"}, follow=True
    )
    assert "précède le début" in early.content.decode()
    tech.post(
        base + "mettre-a-jour/", {"status": "identified", "message": "Trouvé.", "public": "on"}
    )
    tech.post(base + "resoudre/", {"ended_at": "2026-11-16T08:45", "message": "Rétabli."})
    tech.post(base + "reclasser/", {"cause": "force-majeure"})
    incident.refresh_from_db()
    assert (incident.status, incident.cause) == ("resolved", "force-majeure")
    assert incident.ended_at == at("2026-11-16 08:45")
    assert (
        browser(world.personas.user_a).post(base + "reclasser/", {"cause": "service"}).status_code
        == 404
    )


def test_it_runs_the_maintenance_buttons(world, objects) -> None:
    tech = browser(world.tech)
    maintenance = objects["maintenance"]
    early = tech.post(f"/exploitation/maintenances/{maintenance.pk}/demarrer/", follow=True)
    assert "avant l&#x27;heure annoncée" in early.content.decode()
    client_a = browser(world.personas.user_a)
    assert client_a.post(f"/exploitation/maintenances/{maintenance.pk}/annuler/").status_code == 404
    tech.post(f"/exploitation/maintenances/{maintenance.pk}/annuler/")
    maintenance.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.CANCELLED
    assert StatusEvent.objects.filter(kind="maintenance.cancelled").exists()


def test_it_agrees_an_update_date_on_the_page(world, contract_of) -> None:
    expert = contract_of("expert-on-demand", formula="private", options=["personalised-update"])
    without = contract_of("expert-on-demand", formula="open")
    announcement = services.announce_update(
        world.tech, "expert-on-demand", "new-version", "2027.1", at("2026-12-14 22:00")
    )
    tech = browser(world.tech)
    url = f"/exploitation/mises-a-jour/{announcement.pk}/"
    refused = tech.post(url, {"contract": str(without.pk), "agreed_for": "2027-01-08T20:00"})
    assert "contract" in refused.context["form"].errors
    assert (
        tech.post(url, {"contract": str(expert.pk), "agreed_for": "2027-01-08T20:00"}).status_code
        == 302
    )
    page = browser(world.personas.user_a)
    service = services.create_service(world.tech, expert, name="Expert A")
    assert (
        "date convenue avec vous"
        in page.get(f"/portail/disponibilite/{service.pk}/").content.decode()
    )
