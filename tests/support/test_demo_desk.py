"""The demo's desk (issue 12): two teams led by the demo lead with the technician in them,
canned responses with their variables, every demo request in the team of its offer; run
again, nothing is duplicated."""

from __future__ import annotations

import pytest
import time_machine

from livret.support.models import CannedResponse, Request, RequestEvent, Team
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-11-30 16:00"), tick=False):
        yield


def counts() -> tuple[int, int, int, int]:
    return (
        Team.objects.count(),
        CannedResponse.objects.count(),
        Request.objects.count(),
        RequestEvent.objects.count(),
    )


def test_the_demo_routes_its_requests_to_two_teams_once() -> None:
    from livret.demo import _load_data, _load_desk, _load_requests

    _load_data()
    _load_desk()
    _load_requests()
    teams = {t.slug: t for t in Team.objects.all()}
    assert set(teams) == {"support-quadra", "support-general"}
    assert teams["support-quadra"].offers == ["quadra-entreprise"]
    assert teams["support-general"].offers == []  # every other offer
    for team in teams.values():
        assert team.lead.username == "admin"
        assert [m.username for m in team.members.all()] == ["technicien"]
    routed = {
        r.title: (r.contract.offer_version.offer_id, r.team.slug)
        for r in Request.objects.select_related("team", "contract__offer_version")
    }
    assert routed == {
        "Impossible de valider les écritures de caisse": ("quadra-entreprise", "support-quadra"),
        "Édition du grand livre incomplète": ("quadra-entreprise", "support-quadra"),
        "Dossier client inaccessible": ("expert-on-demand", "support-general"),
        "Changement d'adresse de facturation": ("quadra-entreprise", "support-quadra"),
    }
    bodies = " ".join(CannedResponse.objects.values_list("body", flat=True))
    for variable in ("{client}", "{nom}", "{numero}", "{echeance}"):
        assert variable in bodies
    assert CannedResponse.objects.filter(team__isnull=True).count() == 1  # for every team
    first = counts()
    _load_data()
    _load_desk()
    _load_requests()
    assert counts() == first


def test_an_older_demo_gets_its_requests_routed_once() -> None:
    from livret.demo import _load_data, _load_desk, _load_requests

    _load_data()
    _load_requests()  # a demo made before the teams existed
    assert not Request.objects.filter(team__isnull=False).exists()
    _load_desk()
    open_requests = Request.objects.exclude(state__in=["closed", "cancelled"])
    assert all(r.team is not None for r in open_requests)
    moves = RequestEvent.objects.filter(kind="team-set").count()
    assert moves == open_requests.count()
    _load_desk()
    assert RequestEvent.objects.filter(kind="team-set").count() == moves
