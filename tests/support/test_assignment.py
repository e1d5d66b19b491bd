"""Who works a request: its team, routed by offer at filing, and its technician (issue 12).

Routing and assignment are the vendor's business: hidden from the client in the trail (which
they still extend, REQ-11), and they leave the SLA clocks alone (REQ-4..7).
"""

from __future__ import annotations

import pytest

from livret.errors import NotAllowed, ServiceError, WrongState
from livret.support import services
from livret.support.audit import chain_breaks
from livret.tenants.models import Role
from tests.helpers.clock import at
from tests.helpers.desk import staff, team
from tests.helpers.support import anomaly

pytestmark = pytest.mark.django_db


def filed(personas, when: str = "2026-11-19 10:00"):
    return services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly(),
        at=at(when),
    )


# The personas' contracts are on Quadra: which team gets the request?
ROUTING = [
    pytest.param([], None, id="no team: none"),
    pytest.param([("Quadra", ["quadra-entreprise"])], "Quadra", id="the team of the offer"),
    pytest.param(
        [("Expert", ["expert-on-demand"]), ("Général", [])], "Général", id="else the catch-all"
    ),
    pytest.param([("Expert", ["expert-on-demand"])], None, id="no team takes it: none"),
    pytest.param(
        [("Autres", []), ("Quadra", ["quadra-entreprise", "preventcare"])],
        "Quadra",
        id="the offer's team before the catch-all",
    ),
    pytest.param(
        [("Zêta", ["quadra-entreprise"]), ("Alpha", ["quadra-entreprise"])],
        "Alpha",
        id="two teams claim it: the first by name",
    ),
]


@pytest.mark.parametrize(("teams", "expected"), ROUTING)
def test_it_routes_a_new_request_to_the_team_of_its_offer(personas, teams, expected) -> None:
    for name, offers in teams:
        team(name, offers)
    request = filed(personas)
    assert (request.team.name if request.team else None) == expected
    registered = request.events.get(kind="registered")
    assert registered.data.get("team") == (request.team.slug if request.team else None)
    assert list(request.events.values_list("kind", flat=True)) == ["registered"]  # one event


def test_it_names_the_team_at_filing_and_hides_later_moves_from_the_client(
    client, personas
) -> None:
    team("Support Quadra", ["quadra-entreprise"])
    other = team("Support général", [])
    request = filed(personas)
    assert request.events.get(kind="registered").data == {
        "priority": "critical",
        "kind": "anomaly",
        "channel": "portal",
        "team": "support-quadra",
    }
    services.set_team(request, other, personas.technician)
    services.take(request, personas.technician)
    moved = request.events.get(kind="team-set")
    assert moved.data == {"team": other.slug, "name": "Support général"}
    assert moved.visible_to_client is False
    assert [c.broken for c in chain_breaks()] == [None]
    client.force_login(personas.user_a)
    answer = client.get(f"/api/requests/{request.number}/events").json()
    assert [e["kind"] for e in answer] == ["registered"]


def test_it_assigns_reassigns_and_unassigns_without_touching_the_clocks(personas) -> None:
    request = filed(personas)
    before = (request.state, request.pickup_due_at, request.next_alert_at, request.breached)
    alice = staff("alice", name="Alice Martin")
    request = services.take(request, personas.technician, at=at("2026-11-19 10:05"))
    assert request.assignee == personas.technician
    request = services.assign(request, alice, personas.technician, at=at("2026-11-19 10:10"))
    request = services.assign(request, alice, personas.technician)  # the same: nothing recorded
    request = services.unassign(request, alice, at=at("2026-11-19 10:20"))
    request.refresh_from_db()
    assert request.assignee is None
    assert (request.state, request.pickup_due_at, request.next_alert_at, request.breached) == before
    events = list(request.events.filter(kind__in=["assigned", "unassigned"]).order_by("seq"))
    assert [(e.kind, e.data) for e in events] == [
        (
            "assigned",
            {
                "assignee": "tech@vendor.test",
                "assignee_id": personas.technician.pk,
                "previous": None,
            },
        ),
        (
            "assigned",
            {"assignee": "Alice Martin", "assignee_id": alice.pk, "previous": "tech@vendor.test"},
        ),
        ("unassigned", {"previous": "Alice Martin"}),
    ]
    assert not any(e.visible_to_client for e in events)
    assert [c.broken for c in chain_breaks()] == [None]


def test_taking_in_charge_still_makes_the_technician_the_assignee(personas) -> None:
    request = services.take_in_charge(filed(personas), personas.technician)
    assert request.assignee == personas.technician


def test_it_moves_a_request_to_another_team_or_to_none(personas) -> None:
    quadra = team("Support Quadra", ["quadra-entreprise"])
    other = team("Support général", [])
    request = filed(personas)
    assert request.team == quadra
    request = services.set_team(request, other, personas.technician)
    request = services.set_team(request, other, personas.technician)  # no-op
    request = services.set_team(request, None, personas.technician)
    request.refresh_from_db()
    assert request.team is None
    moves = [e.data["name"] for e in request.events.filter(kind="team-set").order_by("seq")]
    assert moves == ["Support général", ""]


def _who(personas, name: str):
    if name == "inactive":
        return staff("parti", active=False)
    if name == "lead":
        return staff("chef", Role.LEAD)
    return getattr(personas, name)


# (who acts, to whom, the refusal) — every refusal names its field or says why.
REFUSALS = [
    pytest.param("user_a", "technician", NotAllowed, None, id="a client cannot assign"),
    pytest.param("user_b", "technician", NotAllowed, None, id="nor another client"),
    pytest.param("technician", "user_a", ServiceError, "assignee", id="to a client: refused"),
    pytest.param("technician", "inactive", ServiceError, "assignee", id="to a former employee"),
]


@pytest.mark.parametrize(("actor", "target", "error", "field"), REFUSALS)
def test_it_refuses_an_assignment_with_a_clear_reason(
    personas, actor, target, error, field
) -> None:
    request = filed(personas)
    with pytest.raises(error) as refused:
        services.assign(request, _who(personas, target), _who(personas, actor))
    assert refused.value.field == field
    if field:
        assert "membre actif du personnel de l'éditeur" in refused.value.message
    request.refresh_from_db()
    assert request.assignee is None and not request.events.filter(kind="assigned").exists()


def test_it_lets_a_lead_assign_and_refuses_to_reassign_a_closed_request(personas) -> None:
    request = services.assign(filed(personas), personas.technician, _who(personas, "lead"))
    assert request.assignee == personas.technician
    services.close(request, personas.technician, "Résolu")
    for change in (
        lambda: services.take(request, personas.technician),
        lambda: services.unassign(request, personas.technician),
        lambda: services.set_team(request, None, personas.technician),
    ):
        with pytest.raises(WrongState, match="la demande est close"):
            change()
    with pytest.raises(NotAllowed):
        services.set_team(request, None, personas.user_a)


# Who hears of a request: (assigned?, team members, team lead, actor) -> expected, in order.
TELL = [
    pytest.param("alice", ["bob", "carol"], "dan", None, ["alice", "dan"], id="assignee and lead"),
    pytest.param(None, ["bob", "carol"], "dan", None, ["bob", "carol", "dan"], id="team and lead"),
    pytest.param(None, ["bob", "dan"], "dan", None, ["bob", "dan"], id="the lead once"),
    pytest.param("alice", ["bob"], "dan", "alice", ["dan"], id="not the actor"),
    pytest.param(
        None, ["bob", "gone"], None, None, ["bob", "lead"], id="active only, no lead: the leads"
    ),
    pytest.param(None, ["bob", "client"], "dan", "dan", ["bob"], id="vendor staff only"),
    pytest.param("alice", None, None, None, ["alice", "lead"], id="no team: the vendor's leads"),
    pytest.param(None, None, None, "lead", [], id="no team, no one else"),
]


@pytest.mark.parametrize(("assignee", "members", "lead", "actor", "expected"), TELL)
def test_it_names_the_staff_to_tell(personas, assignee, members, lead, actor, expected) -> None:
    people = {n: staff(n) for n in ("alice", "bob", "carol", "dan")}
    people["gone"] = staff("gone", active=False)
    people["lead"] = staff("lead", Role.LEAD)
    people["client"] = personas.user_b
    request = filed(personas)
    if members is not None:
        request.team = team(
            "Support", [], lead=people.get(lead), members=[people[m] for m in members]
        )
    request.assignee = people.get(assignee)
    request.save()
    told = services.staff_to_tell(request, exclude=people.get(actor))
    assert [u.username for u in told] == expected
