"""Search on the pages and in the API, with the three personas (issue 12): client A finds its
request by a word of a message, client B searching the same word finds nothing, the
technician finds across clients, and a client never finds a request by a word of an internal
note."""

from __future__ import annotations

import pytest

from livret.accounts.services import create_token
from livret.support import services
from livret.support.services import NewRequest
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

MESSAGE_WORD = "thermostat"  # only in a message of A's request
NOTE_WORD = "contentieux"  # only in an internal note on A's request


@pytest.fixture
def requests(personas):
    """A's request with a message and an internal note, another of A's, one of B's."""

    def file(user, title: str, when: str):
        return services.file_request(
            filer=user,
            contract=user.membership.client.contracts.get(),
            new=NewRequest(kind="anomaly", title=title, description="Rien ne s'affiche"),
            at=at(when),
        )

    heating = file(personas.user_a, "Écran de paramétrage vide", "2026-11-23 10:00")
    services.comment(
        heating, personas.user_a, "Le module Thermostats ne répond plus", at=at("2026-11-23 10:30")
    )
    services.comment(
        heating,
        personas.technician,
        "Client en contentieux, voir le commercial",
        internal=True,
        at=at("2026-11-23 10:40"),
    )
    other_a = file(personas.user_a, "Export comptable incomplet", "2026-11-23 11:00")
    of_b = file(personas.user_b, "Impression des bulletins impossible", "2026-11-23 12:00")
    return heating, other_a, of_b


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_client_a_finds_its_request_by_a_word_of_a_message(client, personas, requests) -> None:
    heating, other_a, _ = requests
    html = page(client, personas.user_a, f"/demandes/?etat=toutes&q={MESSAGE_WORD}")
    assert heating.number in html and "Écran de paramétrage vide" in html
    assert other_a.number not in html
    assert f'value="{MESSAGE_WORD}"' in html  # the box keeps what was typed


def test_client_b_searching_the_same_word_finds_nothing(client, personas, requests) -> None:
    heating, _, of_b = requests
    assert of_b.number in page(client, personas.user_b, "/demandes/?etat=toutes")
    html = page(client, personas.user_b, f"/demandes/?etat=toutes&q={MESSAGE_WORD}")
    assert heating.number not in html and of_b.number not in html
    assert "Aucune demande." in html


def test_the_technician_finds_across_clients(client, personas, requests) -> None:
    heating, other_a, of_b = requests
    html = page(client, personas.technician, f"/support/file/?q={MESSAGE_WORD}")
    assert heating.number in html and other_a.number not in html and of_b.number not in html
    html = page(client, personas.technician, "/support/file/?q=impressions")
    assert of_b.number in html and heating.number not in html
    html = page(client, personas.technician, f"/support/file/?q={NOTE_WORD}")
    assert heating.number in html  # the vendor searches its internal notes
    html = page(client, personas.technician, "/support/file/?q=impression&client=client-a")
    assert of_b.number not in html  # the client filter combines with the search


def test_a_client_never_finds_a_request_by_an_internal_note(client, personas, requests) -> None:
    heating, _, _ = requests
    html = page(client, personas.user_a, f"/demandes/?etat=toutes&q={NOTE_WORD}")
    assert heating.number not in html
    assert "Aucune demande." in html


def test_the_search_boxes_are_on_both_lists(client, personas, requests) -> None:
    for user, url in ((personas.user_a, "/demandes/"), (personas.technician, "/support/file/")):
        html = page(client, user, url)
        assert '<label for="f-q">Rechercher</label>' in html
        assert 'type="search" name="q"' in html


def test_a_query_it_cannot_search_is_a_page_saying_why(client, personas, requests) -> None:
    client.force_login(personas.user_a)
    response = client.get("/demandes/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "la recherche dépasse 200 caractères" in response.content.decode()


# --------------------------------------------------------------------------- API


def api_numbers(http, user, **query) -> list[str]:
    token = create_token(user, "tests")
    response = http.get("/api/requests", query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["items"]]


def test_the_api_searches_with_the_same_tenancy(client, personas, requests) -> None:
    heating, _, _ = requests
    assert api_numbers(client, personas.user_a, q=MESSAGE_WORD) == [heating.number]
    assert api_numbers(client, personas.user_b, q=MESSAGE_WORD) == []
    assert api_numbers(client, personas.technician, q=MESSAGE_WORD) == [heating.number]
    assert api_numbers(client, personas.user_a, q=NOTE_WORD) == []
    assert api_numbers(client, personas.technician, q=NOTE_WORD) == [heating.number]
    assert api_numbers(client, personas.technician, q=MESSAGE_WORD, client="client-b") == []


def test_the_api_refuses_a_query_it_cannot_search(client, personas, requests) -> None:
    token = create_token(personas.user_a, "tests")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/requests", {"q": "le de la"}, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "q"
    assert body["message"].startswith("recherche : la recherche ne contient que des mots")
