"""French interface first; English by choice through Django i18n (ADR 0008).

The language comes only from the cookie set by ``/i18n/setlang/``: the browser's
``Accept-Language`` never switches it, and the booklets stay French in English mode.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def choose(client, language: str, next_url: str = "/") -> None:  # type: ignore[no-untyped-def]
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.cookies["django_language"].value == language


def test_it_stays_french_whatever_the_browser_sends(client, versions) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html
    assert "Aller au contenu" in html
    assert "Se connecter" in html
    assert "Skip to content" not in html


def test_it_offers_an_accessible_language_switcher(client, versions) -> None:
    html = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert '<label for="language-select">Langue</label>' in html
    assert '<select id="language-select" name="language">' in html
    assert '<option value="en" lang="en">English</option>' in html
    assert "csrfmiddlewaretoken" in html


def test_it_switches_to_english_and_back(client, personas) -> None:
    choose(client, "en")
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en">' in home
    assert "Skip to content" in home
    assert "Service booklets, written as data" in home
    assert "Sign in" in home

    login = client.get(_login_url()).content.decode()
    assert '<html lang="en">' in login
    assert "Forgot your password?" in login

    client.force_login(personas.user_a)
    requests = client.get(_request_list_url()).content.decode()
    assert '<html lang="en">' in requests
    assert "Client A requests" in requests
    assert "New request" in requests
    assert "Next deadline" in requests
    assert "Mes demandes" not in requests

    choose(client, "fr")
    requests = client.get(_request_list_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr">' in requests
    assert "Demandes de Client A" in requests
    assert "Prochain délai" in requests


def test_the_booklet_stays_french_in_english_mode(client, versions) -> None:
    choose(client, "en")
    html = client.get("/offres/quadra-entreprise/").content.decode()
    assert '<html lang="en">' in html
    assert "HTML document" in html  # the page around the booklet is English
    assert '<article class="booklet" lang="fr">' in html
    assert "Sommaire" in html  # the booklet itself is the contract's French text
    assert "Ce livret est généré à partir des données" in html


def test_an_unknown_language_cookie_falls_back_to_french(client, versions) -> None:
    client.cookies["django_language"] = "de"
    assert '<html lang="fr">' in client.get("/").content.decode()


def _login_url() -> str:
    from django.urls import reverse

    return reverse("login")


def _request_list_url() -> str:
    from django.urls import reverse

    return reverse("request-list")


def test_it_translates_states_clocks_and_form_labels_too(client, personas) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from livret.support import services
    from livret.support.services import NewRequest

    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Écran figé", description="x", priority="critical"),
        at=datetime(2026, 11, 19, 10, tzinfo=ZoneInfo("Europe/Paris")),
    )
    client.force_login(personas.user_a)
    choose(client, "en")
    page = client.get(f"/demandes/{request.number}/").content.decode()
    assert "Registered" in page and "Anomaly / incident" in page and "Critical" in page
    assert "Taken in charge" in page or "Request registered" in page
    form = client.get("/demandes/nouvelle/").content.decode()
    assert "Request type" in form and "Copy the exact text of the message." in form
    choose(client, "fr")
    page = client.get(f"/demandes/{request.number}/").content.decode()
    assert "Enregistrée" in page and "Anomalie / incident" in page
