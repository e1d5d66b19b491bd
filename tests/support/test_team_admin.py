"""Teams and canned responses are set in the admin (issue 12); a team's offers must be
offers that exist, or nothing would be routed to it."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model

from livret.support.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, personas):  # type: ignore[no-untyped-def]
    boss = get_user_model().objects.create_superuser("chef", "chef@vendor.test", "pw-chef-2026")
    client.force_login(boss)
    return client


def add_team(client, offers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/support/team/add/",
        {"name": "Support Quadra", "slug": "support-quadra", "offers": offers, "lead": ""},
    )


@pytest.mark.parametrize(
    ("offers", "message"),
    [
        ('["quadra"]', "offre inconnue : quadra (offres importées : carrus-saas, eksae-contact"),
        ('"quadra-entreprise"', "une liste d'identifiants d'offres"),
        ("[1, 2]", "une liste d'identifiants d'offres"),
    ],
)
def test_it_refuses_offers_that_route_nothing(admin_client, offers, message) -> None:
    response = add_team(admin_client, offers)
    assert response.status_code == 200 and message in unescape(response.content.decode())
    assert not Team.objects.exists()


@pytest.mark.parametrize("offers", ['["quadra-entreprise", "preventcare"]', "[]"])
def test_it_saves_a_team_with_known_offers_or_none(admin_client, offers) -> None:
    assert add_team(admin_client, offers).status_code == 302
    assert Team.objects.get().slug == "support-quadra"


@pytest.mark.parametrize("persona", ["user_a", "user_b", "technician"])
def test_only_who_may_administer_reaches_the_teams(client, personas, persona) -> None:
    client.force_login(getattr(personas, persona))
    response = client.get("/admin/support/team/")
    assert response.status_code in (302, 403)
    assert "Support" not in response.content.decode()
