"""Working the queue (issue 12): views that combine, pages with counts, the live refresh that
keeps them, the take / assign / team actions, and the three personas on every route."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from livret.support import services
from livret.support.models import Request, Team
from tests.helpers.clock import at
from tests.helpers.desk import NOW, file, login

pytestmark = pytest.mark.django_db


def shown(page: str, desk) -> set[str]:
    return {name for name in ("mine", "waiting", "theirs", "address") if desk[name] in page}


VIEWS = [
    pytest.param("", {"mine", "waiting", "theirs"}, id="all but customer service"),
    pytest.param("vue=mes", {"mine"}, id="mine"),
    pytest.param("vue=equipe", {"mine", "waiting"}, id="my team"),
    pytest.param("vue=non-attribuees", {"waiting"}, id="unassigned"),
    pytest.param("equipe=support-expert", {"theirs"}, id="one team"),
    pytest.param("delai=depasses", {"mine"}, id="overdue"),
    pytest.param("vue=depasses", {"mine"}, id="overdue, a link of the first queue"),
    pytest.param("delai=a-risque", {"mine", "waiting"}, id="at risk"),
    pytest.param("vue=equipe&delai=a-risque&client=client-b", {"waiting"}, id="they combine"),
    pytest.param("vue=non-attribuees&client=client-a", set(), id="combined, none"),
    pytest.param("vue=mes&criticity=2", set(), id="mine and criticity 2"),
    pytest.param(
        "criticity=abc&kind=bogus&vue=x&client=%00",
        {"mine", "waiting", "theirs"},
        id="unknown values ignored",
    ),
]


@pytest.mark.parametrize(("query", "expected"), VIEWS)
def test_the_queue_views_and_filters_combine(client, personas, desk, query, expected) -> None:
    login(client, personas.technician)
    with time_machine.travel(at(NOW), tick=False):
        response = client.get(f"/support/file/?{query}")
    assert response.status_code == 200
    assert shown(response.content.decode(), desk) == expected
    assert f"{len(expected)} demande" in response.content.decode()


def test_the_customer_service_queue_has_its_own_requests(client, personas, desk) -> None:
    page = login(client, personas.technician).get("/support/service-client/").content.decode()
    assert shown(page, desk) == {"address"}
    assert "1 demande — page 1 / 1" in page


def test_a_row_names_the_technician_and_the_team_not_a_login(client, personas, desk) -> None:
    page = login(client, personas.technician).get("/support/file/").content.decode()
    assert "Thomas Leroy" in page and "Alice Martin" in page and "Support Expert" in page
    assert ">tech<" not in page and "alice<" not in page
    assert "sans équipe" not in page  # every row was routed


def test_it_pages_the_queue_with_its_count_and_keeps_the_filters(
    client, personas, desk, small_pages
) -> None:
    for n in range(3):
        file(personas, "user_a", f"Anomalie {n}")
    login(client, personas.technician)
    first = client.get("/support/file/?client=client-a").content.decode()
    assert "5 demandes — page 1 / 3" in first
    assert first.count("<h1>") == 1 and first.count('id="queue-rows"') == 1
    assert 'href="?client=client-a&amp;page=2"' in first and 'rel="prev"' not in first
    numbers = set()
    for page in (1, 2, 3):
        body = client.get(f"/support/file/?client=client-a&page={page}").content.decode()
        assert f"page {page} / 3" in body
        found = {r.number for r in Request.objects.all() if f">{r.number}</a>" in body}
        assert len(found) == (1 if page == 3 else 2) and not found & numbers
        numbers |= found
    assert numbers == set(
        Request.objects.filter(client__slug="client-a")
        .exclude(kind="customer-service")
        .values_list("number", flat=True)
    )
    last = client.get("/support/file/?client=client-a&page=99").content.decode()
    assert "page 3 / 3" in last and 'href="?client=client-a&amp;page=2"' in last
    assert "page 1 / 3" in client.get("/support/file/?page=abc&client=client-a").content.decode()


def test_the_live_refresh_asks_for_the_same_page_and_filters(
    client, personas, desk, small_pages
) -> None:
    login(client, personas.technician)
    page = client.get("/support/file/?vue=equipe&page=2").content.decode()
    assert 'hx-get="/support/file/?vue=equipe&amp;page=2"' in page
    refresh = client.get("/support/file/?vue=equipe&page=2", headers={"HX-Request": "true"})
    rows = refresh.content.decode()
    assert "<html" not in rows and "2 demandes — page 1 / 1" in rows  # clamped to the last page
    assert shown(rows, desk) == {"mine", "waiting"}


def test_the_queue_page_costs_the_same_queries_whatever_its_rows(client, personas, desk) -> None:
    login(client, personas.technician)
    client.get("/support/file/")  # warm the policy caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/support/file/").status_code == 200
        return len(captured)

    before = queries()
    for n in range(6):
        services.assign(file(personas, "user_b", f"Anomalie {n}"), desk["alice"], desk["alice"])
    assert queries() == before


# The three personas on every route of the queue (vendor staff only: 404 for a client).
ROUTES = ["/support/file/", "/support/service-client/", "/support/file/export.csv",
          "/support/service-client/export.csv"]  # fmt: skip


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 404), ("user_b", 404), ("technician", 200)]
)
def test_the_queue_routes_are_for_vendor_staff_only(
    client, personas, desk, path, persona, status
) -> None:
    response = login(client, getattr(personas, persona)).get(path)
    assert response.status_code == status
    if status == 404:
        body = response.content.decode()
        assert all(desk[name] not in body for name in ("mine", "waiting", "theirs", "address"))


def test_the_row_button_takes_the_request_and_comes_back_to_the_same_page(
    client, personas, desk
) -> None:
    login(client, personas.technician)
    queue = "/support/file/?vue=non-attribuees&client=client-b"
    page = client.get(queue).content.decode()
    assert f'action="/demandes/{desk["waiting"]}/m-attribuer/"' in page
    assert f'action="/demandes/{desk["mine"]}/m-attribuer/"' not in page  # already mine
    response = client.post(f"/demandes/{desk['waiting']}/m-attribuer/", {"next": queue})
    assert response.status_code == 302 and response["Location"] == queue
    assert Request.objects.get(number=desk["waiting"]).assignee == personas.technician
    after = client.get(queue).content.decode()
    assert "Demande attribuée : vous en êtes le technicien." in after
    assert desk["waiting"] not in after.split("queue-rows")[1]  # no longer unassigned


def test_it_never_follows_a_next_address_off_the_site(client, personas, desk) -> None:
    login(client, personas.technician)
    response = client.post(
        f"/demandes/{desk['waiting']}/m-attribuer/", {"next": "https://evil.test/"}
    )
    assert response["Location"] == f"/demandes/{desk['waiting']}/"


@pytest.mark.parametrize(
    ("persona", "status", "assigned"),
    [("user_a", 302, False), ("user_b", 404, False), ("technician", 302, True)],
)
def test_only_vendor_staff_take_a_request(
    client, personas, desk, persona, status, assigned
) -> None:
    login(client, getattr(personas, persona))
    response = client.post(f"/demandes/{desk['theirs']}/m-attribuer/", follow=False)
    assert response.status_code == status
    request = Request.objects.get(number=desk["theirs"])
    assert (request.assignee == personas.technician) is assigned
    if persona == "user_a":
        page = unescape(client.get(response["Location"]).content.decode())
        assert "seul le personnel de l'éditeur peut faire cela" in page


def test_the_request_page_actions_assign_and_move_to_a_team(client, personas, desk) -> None:
    login(client, personas.technician)
    number, alice = desk["waiting"], desk["alice"]
    url = f"/demandes/{number}/"
    client.post(f"{url}attribuer/", {"assignee": str(alice.pk)})
    assert Request.objects.get(number=number).assignee == alice
    refused = client.post(f"{url}attribuer/", {"assignee": str(personas.user_a.pk)}, follow=True)
    assert "choisissez un technicien de la liste (ou personne)" in refused.content.decode()
    assert Request.objects.get(number=number).assignee == alice
    done = client.post(f"{url}attribuer/", {"assignee": ""}, follow=True).content.decode()
    assert "Attribution enregistrée." in done
    assert Request.objects.get(number=number).assignee is None
    expert = Team.objects.get(slug="support-expert")
    client.post(f"{url}equipe/", {"team": str(expert.pk)})
    assert Request.objects.get(number=number).team == expert
    refused = client.post(f"{url}equipe/", {"team": "999"}, follow=True).content.decode()
    assert "choisissez une équipe de la liste (ou aucune)" in refused
    client.post(f"{url}equipe/", {"team": ""})
    assert Request.objects.get(number=number).team is None


@pytest.mark.parametrize("action", ["attribuer", "equipe"])
@pytest.mark.parametrize(("persona", "status"), [("user_a", 302), ("user_b", 404)])
def test_clients_cannot_assign_nor_move_a_request(
    client, personas, desk, action, persona, status
) -> None:
    login(client, getattr(personas, persona))
    value = {"assignee": str(personas.technician.pk), "team": str(desk["quadra"].pk)}
    response = client.post(f"/demandes/{desk['theirs']}/{action}/", value)
    assert response.status_code == status
    request = Request.objects.get(number=desk["theirs"])
    assert request.assignee == desk["alice"] and request.team.slug == "support-expert"


def test_the_request_page_offers_the_assignment_forms_to_vendor_staff_only(
    client, personas, desk
) -> None:
    response = login(client, personas.technician).get(f"/demandes/{desk['mine']}/")
    assign, team_form = response.context["assign_form"], response.context["team_form"]
    choices = [label for _, label in assign.fields["assignee"].choices]
    assert choices == ["— personne —", "Alice Martin", "Thomas Leroy"]  # staff, by name
    assert [label for _, label in team_form.fields["team"].choices][1:] == [
        "Support Expert",
        "Support Quadra",
    ]
    client.logout()
    response = login(client, personas.user_a).get(f"/demandes/{desk['mine']}/")
    assert "assign_form" not in response.context


def test_the_client_list_is_paged_with_its_count(client, personas, desk, small_pages) -> None:
    login(client, personas.user_a)  # client A's administrator: the organisation's requests
    first = client.get("/demandes/?etat=toutes").content.decode()
    assert "3 demandes — page 1 / 2" in first and 'href="?etat=toutes&amp;page=2"' in first
    second = client.get("/demandes/?etat=toutes&page=2").content.decode()
    assert "page 2 / 2" in second and 'rel="prev"' in second
    everything = first + second
    assert shown(everything, desk) == {"mine", "theirs", "address"}
    assert 'href="/demandes/export.csv?etat=toutes"' in first


def test_the_client_list_never_shows_another_clients_request(client, personas, desk) -> None:
    page = login(client, personas.user_b).get("/demandes/?etat=toutes").content.decode()
    assert shown(page, desk) == {"waiting"} and "1 demande — page 1 / 1" in page
    client.logout()
    assert login(client, personas.technician).get("/demandes/")["Location"] == "/support/file/"


def test_a_page_lists_every_filter_in_its_export_link(client, personas, desk) -> None:
    page = login(client, personas.technician).get("/support/file/?vue=equipe&page=1")
    href = next(line for line in page.content.decode().splitlines() if "Exporter (CSV)" in line)
    query = parse_qs(urlsplit(href.split('href="')[1].split('"')[0].replace("&amp;", "&")).query)
    assert query == {"vue": ["equipe"]}
