"""Every HTML page carries the Content-Security-Policy (issue 13, item 3)."""

from __future__ import annotations

import pytest

from livret.web.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def test_the_policy_is_the_documented_one() -> None:
    """issue 13, item 3: no inline script, nothing from another site, never framed."""
    assert CONTENT_SECURITY_POLICY == POLICY


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        (None, "/connexion/"),  # the portal's login
        (None, "/admin/login/"),  # the back office's login
        (None, "/"),  # the offers
        ("user_a", "/demandes/"),  # the client portal
        ("technician", "/support/file/"),  # the vendor's pages
        ("technician", "/admin/"),  # the admin back office
        (None, "/page-qui-n-existe-pas/"),  # an error page
    ],
)
def test_every_kind_of_page_has_the_policy(client, personas, persona, url) -> None:
    """issue 13, item 3: the header is on every HTML page, not only on downloads."""
    if persona:
        client.force_login(getattr(personas, persona))
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"] == POLICY


def test_a_json_answer_has_no_page_policy(client, personas) -> None:
    """The policy is for pages: the API's JSON answers are not documents."""
    response = client.get("/api/requests")
    assert response["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" not in response
