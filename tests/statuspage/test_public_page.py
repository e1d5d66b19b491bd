"""The public status page ("météo", MNT-3) and its private variant: what each persona sees.

Tenancy (ACC-3): the public page never names a client nor shows a non-public service; client B
never sees client A's private services or incidents; vendor staff see everything.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from livret.status import services
from livret.status.models import StatusEvent
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "client_a", "client_b", "technician"]


def browser(page, who: str) -> Client:
    client = Client()
    user = {
        "anonymous": None,
        "client_a": page.personas.user_a,
        "client_b": page.personas.user_b,
        "technician": page.tech,
    }[who]
    if user is not None:
        client.force_login(user)
    return client


def text_of(response) -> str:
    """What a reader sees: the page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.parametrize("who", PERSONAS)
def test_it_shows_the_public_page_the_same_to_everyone_without_client_names(page, who) -> None:
    """MNT-3: public services under their public label, their published incident and
    maintenance; never a client's name, a private service or a private incident."""
    response = browser(page, who).get("/statut/cegid/")
    assert response.status_code == 200
    html = text_of(response)
    assert "État des services — Cegid" in html
    assert "Quadra Entreprise On Demand" in html
    assert "Perturbé" in html  # B's public service, with its published incident
    assert "Connexions impossibles" in html
    assert "Les connexions échouent ; nous analysons." in html  # the incident's timeline
    assert "Mise à jour de la base de données" in html
    assert "jeudi 26/11/2026 22:00" in html  # planned maintenance, Paris time
    for secret in ("Client A", "Client B", "Lenteurs", "Migration du serveur"):
        assert secret not in html, f"{who} sees {secret!r} on the public page"


def test_it_says_all_is_well_when_every_public_service_is_operational(page) -> None:
    services.resolve_incident(
        page.tech, page.b_incident, at("2026-11-24 09:40"), "Rétabli.", at=at("2026-11-24 09:45")
    )
    html = text_of(Client().get("/statut/cegid/"))
    assert "Tous les services sont opérationnels." in html
    assert "Opérationnel" in html
    assert "Aucun incident en cours." in html
    assert "Connexions impossibles" in html  # now in the 90-day history


def test_it_answers_404_for_an_unknown_vendor(page) -> None:
    assert Client().get("/statut/inconnu/").status_code == 404
    assert Client().get("/statut/inconnu/statut.json").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "technician"])
def test_it_lists_the_vendors_with_a_status_page(page, who) -> None:
    html = browser(page, who).get("/statut/").content.decode()
    assert 'href="/statut/cegid/"' in html
    assert 'href="/statut/eksae/"' in html  # "Eksaé" → eksae


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_it_takes_a_client_to_its_own_vendors_page(page, who) -> None:
    """issue 12: the menu's "État des services" leads a client to its vendor's page (its
    contracts are all Cegid's), never to the list of every vendor."""
    response = browser(page, who).get("/statut/")
    assert response.status_code == 302
    assert response["Location"] == "/statut/cegid/mon-espace/"


def test_it_shows_the_monthly_availability_against_the_target_with_a_chart(page) -> None:
    """AVL-3: TD per month for the public production service, target 99 % (Q), chart and
    table; the current month is provisional (the ongoing incident counts until now)."""
    raw = Client().get("/statut/cegid/").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in raw
    assert 'aria-label="Disponibilité mensuelle de Quadra Entreprise On Demand"' in raw
    html = text_of(Client().get("/statut/cegid/"))
    assert "Disponibilité mensuelle" in html
    # Service created in November, contract since January: June..November are shown.
    assert "Service 06/2026 07/2026 08/2026 09/2026 10/2026 11/2026* Objectif" in html
    assert "Quadra Entreprise On Demand 100 % 100 % 100 % 100 % 100 %" in html
    assert "99 %" in html  # Q's target
    # November: 60 min of counted downtime (09:00-10:00) inside PRT.
    data = json.loads(Client().get("/statut/cegid/statut.json").content)
    november = next(r for r in data["availability"] if r["month"] == "2026-11")
    assert november["target"] == 99.0
    assert november["provisional"] is True
    assert 99.0 < november["td"] < 100.0


@pytest.mark.parametrize("who", PERSONAS)
def test_it_gives_the_json_summary_in_its_documented_shape(page, who) -> None:
    response = browser(page, who).get("/statut/cegid/statut.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert set(data) == {
        "vendor",
        "generated_at",
        "state",
        "services",
        "ongoing_incidents",
        "planned_maintenance",
        "availability",
    }
    assert data["vendor"] == {"slug": "cegid", "name": "Cegid"}
    assert data["generated_at"] == "2026-11-24T09:00:00+00:00"
    assert data["state"] == "degraded"
    assert data["services"] == [
        {
            "slug": "quadra-entreprise-on-demand",
            "label": "Quadra Entreprise On Demand",
            "offer": "Quadra Entreprise On Demand",
            "environment": "production",
            "state": "degraded",
            "since": "2026-11-24T08:10:00+00:00",
        }
    ]
    [incident] = data["ongoing_incidents"]
    assert incident["title"] == "Connexions impossibles"
    assert incident["services"] == ["quadra-entreprise-on-demand"]
    assert incident["url"].endswith(f"/statut/cegid/incidents/{page.b_incident.pk}/")
    [maintenance] = data["planned_maintenance"]
    assert maintenance["starts_at"] == "2026-11-26T21:00:00+00:00"
    assert maintenance["blocking"] is True
    assert {r["service"] for r in data["availability"]} == {"quadra-entreprise-on-demand"}
    assert [r["month"] for r in data["availability"]] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    text = response.content.decode()
    for secret in ("Client A", "Client B", "Lenteurs", "Migration", "b-1", "a-1"):
        assert secret not in text


# --------------------------------------------------------------------------- cache


def test_it_shows_a_change_at_the_next_request_despite_the_cache(page, clock) -> None:
    """The cached page is keyed by the newest status event: a new incident shows at once."""
    client = Client()
    first = client.get("/statut/cegid/").content.decode()
    assert "Panne de la messagerie" not in first
    services.declare_incident(
        page.tech,
        [page.b],
        "Panne de la messagerie",
        "service",
        at("2026-11-24 09:55"),
        "Les e-mails ne partent plus.",
    )
    assert "Panne de la messagerie" in client.get("/statut/cegid/").content.decode()
    data = json.loads(client.get("/statut/cegid/statut.json").content)
    assert "Panne de la messagerie" in [i["title"] for i in data["ongoing_incidents"]]


def test_it_refreshes_after_an_admin_edit_that_writes_no_event(
    page, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    assert "Quadra Entreprise On Demand" in client.get("/statut/cegid/").content.decode()
    events = StatusEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        page.b.public_label = "Quadra — région Ouest"
        page.b.save(update_fields=["public_label"])
    assert StatusEvent.objects.count() == events  # no event: the page version moved
    html = client.get("/statut/cegid/").content.decode()
    assert "Quadra — région Ouest" in html


def test_it_serves_the_cached_page_in_one_query(page, django_assert_num_queries) -> None:
    client = Client()
    client.get("/statut/cegid/")  # builds and caches
    client.get("/statut/cegid/statut.json")
    with django_assert_num_queries(1):  # the status stamp
        assert client.get("/statut/cegid/").status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/statut/cegid/statut.json").status_code == 200


def test_it_gives_each_cached_visit_a_working_csrf_token_for_the_language_form(page) -> None:
    """The cached page holds a hole for the CSRF token: every visitor gets their own, and the
    language switcher's POST is accepted."""
    visitor = Client(enforce_csrf_checks=True)
    Client().get("/statut/cegid/")  # someone else fills the cache
    response = visitor.get("/statut/cegid/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert token is not None and "livretcsrfhole" not in token[1]
    answer = visitor.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/statut/cegid/", "csrfmiddlewaretoken": token[1]},
    )
    assert answer.status_code == 302
    english = visitor.get("/statut/cegid/").content.decode()
    assert '<html lang="en">' in english


def test_it_keeps_a_returning_visitors_csrf_cookie_on_the_cached_page(page) -> None:
    """A visitor who already holds a CSRF cookie gets a token for that cookie (a login form
    opened in another tab keeps working)."""
    visitor = Client(enforce_csrf_checks=True)
    visitor.get("/connexion/")
    cookie = visitor.cookies["csrftoken"].value
    html = visitor.get("/statut/cegid/").content.decode()
    assert visitor.cookies["csrftoken"].value == cookie
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None and len(token[1]) == 64
    answer = visitor.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/statut/cegid/", "csrfmiddlewaretoken": token[1]},
    )
    assert answer.status_code == 302


def test_it_refuses_the_language_form_with_another_visitors_token(page) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    html = first.get("/statut/cegid/").content.decode()
    second.get("/statut/cegid/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    answer = second.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token[1]}
    )
    assert answer.status_code == 403


def test_it_expires_the_cached_page_when_a_maintenance_starts(page, clock) -> None:
    """Nothing is written at a maintenance's planned start until the worker moves it; the
    cached page still expires then and shows it as ongoing."""
    client = Client()
    assert "Maintenances en cours" not in client.get("/statut/cegid/").content.decode()
    clock.move_to(at("2026-11-26 22:01"))
    assert "Maintenances en cours" in client.get("/statut/cegid/").content.decode()


# --------------------------------------------------------------------------- private variant


def test_it_sends_an_anonymous_visitor_of_the_private_page_to_the_login(page) -> None:
    response = Client().get("/statut/cegid/mon-espace/")
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


def test_it_shows_client_a_its_own_services_incidents_and_maintenance(page) -> None:
    response = browser(page, "client_a").get("/statut/cegid/mon-espace/")
    html = text_of(response)
    assert "Mon espace — état des services Cegid" in html
    assert "Quadra — Client A" in html  # its own service, under its own name
    assert "votre service" in html
    assert "Lenteurs sur le dossier de Client A" in html
    assert "Cause : Service (compté)" in html  # its own incident's cause
    assert "Migration du serveur de Client A" in html
    assert "Quadra Entreprise On Demand" in html  # the public one as well
    assert "Connexions impossibles" in html
    assert "Quadra — Client B" not in html and "Client B" not in html
    assert response.content.decode().count("<svg") == 2  # its own TD and the public one


def test_it_never_shows_client_b_the_private_services_of_client_a(page) -> None:
    client = browser(page, "client_b")
    html = text_of(client.get("/statut/cegid/mon-espace/"))
    assert "Quadra — Client B" in html  # B's own, by name
    for secret in ("Client A", "Lenteurs", "Migration du serveur"):
        assert secret not in html
    assert client.get(f"/statut/cegid/incidents/{page.a_incident.pk}/").status_code == 404
    assert client.get(f"/statut/cegid/maintenances/{page.a_maintenance.pk}/").status_code == 404


def test_it_shows_vendor_staff_every_service_with_its_client(page) -> None:
    html = text_of(browser(page, "technician").get("/statut/cegid/mon-espace/"))
    assert "Quadra — Client A — Client A" in html
    assert "Quadra — Client B — Client B" in html
    assert "Lenteurs sur le dossier de Client A" in html
    assert "Migration du serveur de Client A" in html


# --------------------------------------------------------------------------- detail pages


@pytest.mark.parametrize("who", PERSONAS)
def test_it_shows_a_published_incident_with_its_timeline_to_everyone(page, who) -> None:
    services.post_incident_update(
        page.tech, page.b_incident, "identified", "Un certificat avait expiré."
    )
    response = browser(page, who).get(f"/statut/cegid/incidents/{page.b_incident.pk}/")
    assert response.status_code == 200
    html = text_of(response)
    assert "Connexions impossibles" in html
    assert html.index("Les connexions échouent") < html.index("Un certificat avait expiré.")
    assert "Client A" not in html
    # B's own service, under its own name, for B and the vendor; its public label otherwise
    own = who in ("client_b", "technician")
    assert ("Quadra — Client B" in html) == own
    assert ("Quadra Entreprise On Demand" in html) == (not own)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("client_a", 200), ("client_b", 404), ("technician", 200)],
)
def test_it_shows_a_private_incident_only_to_its_client_and_the_vendor(page, who, status) -> None:
    response = browser(page, who).get(f"/statut/cegid/incidents/{page.a_incident.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 404), ("client_a", 200), ("client_b", 404), ("technician", 200)],
)
def test_it_shows_a_private_maintenance_only_to_its_client_and_the_vendor(
    page, who, status
) -> None:
    path = f"/statut/cegid/maintenances/{page.a_maintenance.pk}/"
    assert browser(page, who).get(path).status_code == status


@pytest.mark.parametrize("who", PERSONAS)
def test_it_shows_a_public_maintenance_to_everyone(page, who) -> None:
    response = browser(page, who).get(f"/statut/cegid/maintenances/{page.maintenance.pk}/")
    assert response.status_code == 200
    html = text_of(response)
    assert "jeudi 26/11/2026 22:00" in html and "vendredi 27/11/2026 02:00" in html
    assert "bloquante" in html


def test_it_keeps_a_probe_draft_and_its_messages_off_the_public_page(page) -> None:
    """A probe-detected downtime starts as an unpublished draft whose message names the probe's
    target: neither the public nor the client whose service it is sees it (issue 12, see
    test_drafts.py); vendor staff do."""
    probe = services.add_probe(page.tech, page.b, kind="http", target="https://b.internal/ping")
    services.resolve_incident(
        page.tech, page.b_incident, at("2026-11-24 09:40"), "Rétabli.", at=at("2026-11-24 09:41")
    )
    services.record_probe_result(probe.pk, False, at("2026-11-24 09:50"), error="timeout")
    public = text_of(Client().get("/statut/cegid/"))
    assert "b.internal" not in public and "Indisponibilité détectée" not in public
    own = text_of(browser(page, "client_b").get("/statut/cegid/mon-espace/"))
    assert "Indisponibilité détectée" not in own and "b.internal" not in own
    staff = text_of(browser(page, "technician").get("/statut/cegid/mon-espace/"))
    assert "Indisponibilité détectée" in staff and "b.internal" in staff


# --------------------------------------------------------------------------- DST


def test_it_shows_a_maintenance_across_the_autumn_dst_change_in_paris_time(page, clock) -> None:
    """Last Sunday of October 2026: 03:00 CEST becomes 02:00 CET. A maintenance from
    Sunday 25 October 01:00 to 04:00 (Paris) lasts four hours and shows Paris times."""
    clock.move_to(at("2026-10-20 10:00"))
    services.plan_maintenance(
        page.tech,
        [page.b],
        "Maintenance de la nuit du changement d'heure",
        at("2026-10-25 01:00"),
        at("2026-10-25 04:00"),
        blocking=True,
        announced_at=at("2026-10-20 10:00"),
    )
    data = json.loads(Client().get("/statut/cegid/statut.json").content)
    [row] = [m for m in data["planned_maintenance"] if "changement" in m["title"]]
    assert (row["starts_at"], row["ends_at"]) == (
        "2026-10-24T23:00:00+00:00",
        "2026-10-25T03:00:00+00:00",
    )
    html = text_of(Client().get("/statut/cegid/"))
    assert "dimanche 25/10/2026 01:00" in html and "dimanche 25/10/2026 04:00" in html


def test_it_shows_a_maintenance_across_the_spring_dst_change_in_paris_time(page, clock) -> None:
    """Last Sunday of March 2026: 02:00 CET jumps to 03:00 CEST. Sunday 29 March 01:00 to
    04:00 (Paris) is two real hours: 00:00Z to 02:00Z."""
    clock.move_to(at("2026-03-20 10:00"))
    services.plan_maintenance(
        page.tech,
        [page.b],
        "Maintenance de la nuit du passage à l'heure d'été",
        at("2026-03-29 01:00"),
        at("2026-03-29 04:00"),
        blocking=True,
        announced_at=at("2026-03-20 10:00"),
    )
    data = json.loads(Client().get("/statut/cegid/statut.json").content)
    [row] = [m for m in data["planned_maintenance"] if "été" in m["title"]]
    assert (row["starts_at"], row["ends_at"]) == (
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T02:00:00+00:00",
    )
    html = text_of(Client().get("/statut/cegid/"))
    assert "dimanche 29/03/2026 01:00" in html and "dimanche 29/03/2026 04:00" in html


@pytest.mark.parametrize(
    ("values", "target", "floor"),
    [
        ([100.0, 100.0, 99.744], 99.0, 98.0),  # Q: the target line sits inside the chart
        ([100.0, 99.9], 99.85, 99.0),  # S
        ([100.0, 100.0], None, 99.0),  # no target: still a visible scale
        ([100.0, 91.2], 99.5, 90.0),  # a bad month stays on the chart
        ([0.0], 99.0, 0.0),
    ],
)
def test_it_starts_the_availability_axis_just_under_the_values_and_target(
    values, target, floor
) -> None:
    """AVL-3 values sit near 100 %: a 0-100 axis would draw identical bars."""
    from livret.statuspage.charts import axis_floor

    assert axis_floor(values, target) == floor


@pytest.mark.parametrize("who", PERSONAS)
def test_the_status_page_has_the_content_security_policy(page, who) -> None:
    """issue 13, item 3: the fast path (anonymous) and the full stack both send it."""
    client = browser(page, who)
    client.get("/statut/cegid/")  # the second anonymous visit comes from the cache
    response = client.get("/statut/cegid/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
