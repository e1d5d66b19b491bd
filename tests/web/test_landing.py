"""Each role lands where it works (issue 12): after login and on ``/``. A client's people land on
their requests, a technician on the queue, operations on the services board, a lead on the
dashboard; the login's ``next=`` wins when it is a page of the site."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORDS = {
    "admin": "livret-admin-2026",
    "technicien": "livret-tech-2026",
    "exploitation": "livret-ops-2026",
    "martin": "livret-client-2026",
    "durand": "livret-client-2026",
}
LANDINGS = [
    ("martin", "/demandes/", "Demandes de Boulangerie Martin"),  # client administrator
    ("durand", "/demandes/", "Mes demandes"),  # client user
    ("technicien", "/support/file/", "File d'attente du support"),
    ("exploitation", "/exploitation/services/", "Services"),
    ("admin", "/tableau-de-bord/", "Bilan personnalisé"),  # the lead
]


def login(username: str, **extra: str):  # type: ignore[no-untyped-def]
    browser = Client()
    response = browser.post(
        "/connexion/", {"username": username, "password": PASSWORDS[username], **extra}
    )
    return browser, response


@pytest.mark.parametrize(("username", "landing", "heading"), LANDINGS)
def test_it_lands_each_role_where_it_works_after_login(demo, username, landing, heading) -> None:
    browser, response = login(username)
    assert response.status_code == 302
    assert response["Location"] == landing
    page = browser.get(landing).content.decode()
    assert f"<h1>{heading}" in page


@pytest.mark.parametrize(("username", "landing", "heading"), LANDINGS)
def test_home_sends_a_signed_in_person_to_the_same_page(demo, username, landing, heading) -> None:
    browser, _ = login(username)
    response = browser.get("/")
    assert response.status_code == 302 and response["Location"] == landing


def test_the_login_honours_next(demo) -> None:
    _, response = login("technicien", next="/exploitation/incidents/")
    assert response["Location"] == "/exploitation/incidents/"
    _, response = login("martin", next="/portail/disponibilite/")
    assert response["Location"] == "/portail/disponibilite/"


def test_the_login_ignores_a_next_to_another_site(demo) -> None:
    _, response = login("martin", next="https://evil.example/")
    assert response["Location"] == "/demandes/"


def test_a_visitor_sees_the_offers_on_home(demo) -> None:
    html = Client().get("/").content.decode()
    assert "Quadra Entreprise On Demand" in html and "Carrus SaaS" in html
    assert "Se connecter" in html


def test_a_login_without_a_role_sees_home(demo) -> None:
    from django.contrib.auth import get_user_model

    loner = get_user_model().objects.create_user("loner", password="pw-loner-2026")
    browser = Client()
    browser.force_login(loner)
    response = browser.get("/")
    assert response.status_code == 200
    assert "Quadra Entreprise On Demand" in response.content.decode()
