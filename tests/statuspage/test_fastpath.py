"""The public status page's fast path (MNT-3, 1,000 requests/s): a plain anonymous visit skips
the session, authentication and message middlewares, and answers exactly what the full stack
would (headers, language, CSRF cookie, host check, 404)."""

from __future__ import annotations

import pytest
from django.test import Client

from livret.statuspage import fastpath

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/statut/cegid/", "/statut/cegid/statut.json"])
def test_it_answers_a_plain_visit_with_the_full_stacks_headers(page, url) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Language"] == "fr"
    assert "Cookie" in response["Vary"]
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs


def test_it_gives_a_plain_visit_its_csrf_cookie_httponly_free_and_samesite(page) -> None:
    response = Client().get("/statut/cegid/")
    cookie = response.cookies["csrftoken"]
    assert cookie.value and cookie["samesite"] == "Lax"


def test_it_follows_the_language_cookie(page) -> None:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get("/statut/cegid/")
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_it_refuses_a_host_outside_allowed_hosts_like_the_full_stack(page) -> None:
    assert Client(HTTP_HOST="evil.example").get("/statut/cegid/").status_code == 400


def test_it_leaves_an_unknown_vendor_to_the_full_stacks_french_404(page) -> None:
    response = Client().get("/statut/inconnu/")
    assert response.status_code == 404
    assert "introuvable" in response.content.decode().lower()


@pytest.mark.parametrize(
    ("path", "cookies", "query", "fast"),
    [
        ("/statut/cegid/", {}, "", True),
        ("/statut/cegid/statut.json", {}, "", True),
        ("/statut/cegid/", {"sessionid": "x"}, "", False),
        ("/statut/cegid/", {"messages": "x"}, "", False),
        ("/statut/cegid/", {}, "a=1", False),
        ("/statut/cegid/mon-espace/", {}, "", False),
        ("/statut/cegid/flux.atom", {}, "", False),
    ],
)
def test_it_takes_only_plain_visits_of_the_page_and_its_json(path, cookies, query, fast) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get(path, QUERY_STRING=query)
    request.COOKIES.update(cookies)
    taken = bool(fastpath.PUBLIC_PATH.match(request.path_info)) and fastpath._plain_visit(request)
    assert taken is fast
