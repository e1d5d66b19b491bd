"""Monitoring pages with the three personas (tenancy), and their forms' errors (MON-3..5)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from livret.monitoring import services, triage
from livret.monitoring.models import ImpactSetting, MonitoringAlert, Server, Site
from tests.helpers.monitoring import firing_alert, preventcare_site

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(personas, versions):  # type: ignore[no-untyped-def]
    """Client A: a site with two servers, a filled document, 2026 visits, a firing major alert
    with its request; client B: a site of its own."""
    a = preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01", "srv-paie-02"))
    b = preventcare_site(
        versions, personas.client_b, reference="P-B", hostnames=("srv-b-01",), users=3
    )
    services.update_section(personas.technician, a.site, "Sécurité", "Pare-feu Stormshield SN210")
    services.update_section(
        personas.technician, a.site, "Interlocuteurs Client et Cegid", "M. Martin, gérant"
    )
    services.plan_visits(a.site, 2026)
    alert = firing_alert(a.servers[0], "heartbeat", NOW)
    triage.triage_alert(alert, NOW)
    alert.refresh_from_db()
    return {"a": a, "b": b, "alert": alert}


VENDOR_PAGES = [
    "/exploitation/surveillance/",
    "/exploitation/surveillance/?vue=resolues",
    "/exploitation/surveillance/sites/",
    "/exploitation/surveillance/sites/{a}/",
    "/exploitation/surveillance/impacts/",
]


@pytest.mark.parametrize("page", VENDOR_PAGES)
def test_it_shows_vendor_pages_to_the_technician_and_hides_them_from_clients(
    client, personas, world, page
):  # type: ignore[no-untyped-def]
    url = page.format(a=world["a"].site.pk)
    client.force_login(personas.technician)
    assert client.get(url).status_code == 200
    for user in (personas.user_a, personas.user_b):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_it_shows_the_board_with_what_a_technician_acts_on(client, personas, world):  # type: ignore[no-untyped-def]
    """MON-3 board: impact, server, client, request, the call to make, the level-1 countdown."""
    client.force_login(personas.technician)
    page = client.get("/exploitation/surveillance/").content.decode()
    alert = world["alert"]
    assert "srv-compta-01" in page
    assert "Client A" in page
    assert "Majeur / étendu" in page
    assert alert.request.number in page
    assert "Appel à passer au client" in page
    assert "Diagnostic niveau 1 : 60 min restantes" in page


def test_it_refreshes_only_the_rows_for_htmx(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.technician)
    response = client.get("/exploitation/surveillance/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "srv-compta-01" in body


def test_it_shows_the_portal_to_each_client_with_its_own_sites_only(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.user_a)
    page = client.get("/portail/surveillance/").content.decode()
    assert world["a"].site.name in page and world["b"].site.name not in page
    assert "srv-compta-01" in page  # its open alert

    client.force_login(personas.user_b)
    page = client.get("/portail/surveillance/").content.decode()
    assert world["b"].site.name in page and world["a"].site.name not in page
    assert "srv-compta-01" not in page

    client.force_login(personas.technician)
    assert client.get("/portail/surveillance/").url == "/exploitation/surveillance/"


def test_it_answers_404_to_client_b_on_client_as_site(client, personas, world):  # type: ignore[no-untyped-def]
    url = f"/portail/surveillance/sites/{world['a'].site.pk}/"
    client.force_login(personas.user_a)
    assert client.get(url).status_code == 200
    client.force_login(personas.user_b)
    assert client.get(url).status_code == 404
    assert client.get("/portail/surveillance/sites/999999/").status_code == 404
    client.force_login(personas.technician)
    assert client.get(url).url == f"/exploitation/surveillance/sites/{world['a'].site.pk}/"


def test_it_renders_the_technical_document_in_the_offers_order(client, personas, world):  # type: ignore[no-untyped-def]
    """MON-4: the document as a document, sections in the offer's order; set-up length 1 day
    (5 users, 2 servers); 3 visits a year for 2 servers (MON-5)."""
    client.force_login(personas.user_a)
    page = client.get(f"/portail/surveillance/sites/{world['a'].site.pk}/").content.decode()
    first = page.index("1. Interlocuteurs Client et Cegid")
    security = page.index("5. Sécurité")
    last = page.index("13. Schéma réseau si multiserveurs et multisites")
    assert first < security < last
    assert "Pare-feu Stormshield SN210" in page
    assert "1 jour" in page
    assert page.count("Visite") >= 1
    assert "Ajouter un serveur" not in page  # no vendor form for the client


def test_it_lets_a_technician_acknowledge_but_not_a_client(client, personas, world):  # type: ignore[no-untyped-def]
    url = f"/exploitation/surveillance/alertes/{world['alert'].pk}/acquitter/"
    for user in (personas.user_a, personas.user_b):
        client.force_login(user)
        assert client.post(url).status_code == 404
    assert MonitoringAlert.objects.get().acknowledged_at is None
    client.force_login(personas.technician)
    assert client.post(url).status_code == 302
    assert MonitoringAlert.objects.get().acknowledged_by == personas.technician


def test_it_records_the_call_and_the_diagnosis_from_the_board(client, personas, world):  # type: ignore[no-untyped-def]
    alert = world["alert"]
    call = alert.calls.get()
    client.force_login(personas.technician)
    base = f"/exploitation/surveillance/alertes/{alert.pk}"
    client.post(f"{base}/appel/", {"call": call.pk, "notes": "Joint M. Martin, box redémarrée"})
    client.post(f"{base}/diagnostic/", {"text": "Coupure du lien internet du site"})
    call.refresh_from_db()
    alert.refresh_from_db()
    assert call.done_by == personas.technician
    assert alert.diagnosis_due_at is None  # the level-1 timer stopped
    notes = list(alert.request.comments.filter(internal=True).values_list("body", flat=True))
    assert any("box redémarrée" in n for n in notes)
    assert any("Coupure du lien" in n for n in notes)


def test_it_changes_an_alerts_impact_from_the_board(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.technician)
    url = f"/exploitation/surveillance/alertes/{world['alert'].pk}/impact/"
    client.post(url, {"impact": "significant"})
    assert MonitoringAlert.objects.get().impact == "significant"
    response = client.post(url, {"impact": "catastrophic"}, follow=True)
    assert "impact" in response.content.decode()
    assert MonitoringAlert.objects.get().impact == "significant"


def _error_of(response, field: str) -> str:  # type: ignore[no-untyped-def]
    form_errors = [
        str(e)
        for key in ("form", "server_form", "section_form", "plan_form", "visit_form")
        if response.context and key in response.context
        for e in response.context[key].errors.get(field, [])
    ]
    assert form_errors, f"no error on {field}"
    assert f'id="id_{field}_error"' in response.content.decode()
    return form_errors[0]


def test_it_names_the_field_of_a_bad_site(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.technician)
    contract = world["a"].contract
    response = client.post(
        "/exploitation/surveillance/sites/",
        {"contract": contract.pk, "name": "Annexe", "users_count": "0"},
    )
    assert response.status_code == 200
    _error_of(response, "users_count")
    quadra = personas.client_a.contracts.get(reference="A-1")
    response = client.post(
        "/exploitation/surveillance/sites/",
        {"contract": quadra.pk, "name": "Annexe", "users_count": "4"},
    )
    _error_of(response, "contract")  # not a monitoring contract: not even offered
    assert Site.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"form": "serveur", "hostname": "srv compta", "os": "windows"}, "hostname"),
        ({"form": "serveur", "hostname": "SRV-COMPTA-01", "os": "windows"}, "hostname"),
        ({"form": "serveur", "hostname": "srv-new", "os": "amiga"}, "os"),
        ({"form": "document", "section": "Cuisine", "text": "x"}, "section"),
        ({"form": "planifier", "year": "1990"}, "year"),
        ({"form": "visite", "visit": "", "done_on": "2026-11-20", "report": "ok"}, "visit"),
        ({"form": "visite", "done_on": "2026-11-20", "report": ""}, "report"),
        ({"form": "visite", "done_on": "2026-12-20", "report": "ok"}, "done_on"),
        ({"form": "visite", "done_on": "24/11/2026x", "report": "ok"}, "done_on"),
    ],
)
def test_it_names_the_field_of_bad_input_on_the_site_page(client, personas, world, data, field):  # type: ignore[no-untyped-def]
    site = world["a"].site
    data = dict(data)
    if data["form"] == "visite" and "visit" not in data:
        data["visit"] = site.visits.order_by("planned_for").first().pk
    client.force_login(personas.technician)
    response = client.post(f"/exploitation/surveillance/sites/{site.pk}/", data)
    assert response.status_code == 200
    _error_of(response, field)
    assert Server.objects.count() == 3


def test_it_adds_a_server_and_records_a_visit_from_the_site_page(client, personas, world):  # type: ignore[no-untyped-def]
    site = world["a"].site
    visit = site.visits.order_by("planned_for").first()
    client.force_login(personas.technician)
    url = f"/exploitation/surveillance/sites/{site.pk}/"
    response = client.post(
        url, {"form": "serveur", "hostname": "srv-sql-03", "role": "SQL", "os": "windows"}
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {"form": "visite", "visit": visit.pk, "done_on": "2026-11-20", "report": "RAS, disques OK"},
    )
    assert response.status_code == 302
    response = client.post(
        url, {"form": "document", "section": "Antivirus", "text": "ESET Protect, console cloud"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "ESET Protect, console cloud" in page
    assert "srv-sql-03" in page
    assert "Visite du 20/11/2026" in page and "RAS, disques OK" in page


def test_it_sets_and_clears_an_impact_override(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.technician)
    url = "/exploitation/surveillance/impacts/"
    page = client.get(url).content.decode()
    assert "Temps processeur" in page and "(cpu)" in page
    server = world["a"].servers[1]
    assert (
        client.post(url, {"rule": "cpu", "server": server.pk, "impact": "none"}).status_code == 302
    )
    assert ImpactSetting.objects.get().server == server
    client.post(url, {"rule": "cpu", "server": server.pk, "impact": ""})
    assert not ImpactSetting.objects.exists()
    response = client.post(url, {"rule": "no-such-rule", "impact": "none"})
    _error_of(response, "rule")
    response = client.post(url, {"rule": "cpu", "impact": "catastrophic"})
    _error_of(response, "impact")
