"""Incidents declared by the vendor: cause, timeline, resolution, reclassification (AVL-2, AVL-4),
each change written with its StatusEvent in the same transaction."""

from __future__ import annotations

import pytest
import time_machine

from livret.errors import NotAllowed, ServiceError, WrongState
from livret.status import services
from livret.status.models import Cause, IncidentStatus, ServiceState, StatusEvent
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    """Now is Tuesday 17 November 2026, 12:00 in Paris, unless a test says otherwise."""
    with time_machine.travel(at("2026-11-17 12:00"), tick=False):
        yield


def kinds() -> list[str]:
    return list(StatusEvent.objects.order_by("pk").values_list("kind", flat=True))


def test_it_runs_an_incident_from_declaration_to_resolution_with_events(world) -> None:
    incident = services.declare_incident(
        world.tech,
        [world.a],
        "Lenteurs à la connexion",
        "service",
        at("2026-11-17 10:00"),
        "Nous analysons des lenteurs.",
        at=at("2026-11-17 10:05"),
    )
    assert incident.status == IncidentStatus.INVESTIGATING
    world.a.refresh_from_db()
    assert world.a.state == ServiceState.DEGRADED  # a declared, ongoing incident
    services.post_incident_update(
        world.tech,
        incident,
        "identified",
        "Un serveur de base de données est saturé.",
        at=at("2026-11-17 10:30"),
    )
    services.resolve_incident(
        world.tech,
        incident,
        at("2026-11-17 11:15"),
        "Service rétabli.",
        at=at("2026-11-17 11:20"),
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.ended_at == at("2026-11-17 11:15")
    timeline = list(incident.updates.values_list("status", "message"))
    assert timeline == [
        ("investigating", "Nous analysons des lenteurs."),
        ("identified", "Un serveur de base de données est saturé."),
        ("resolved", "Service rétabli."),
    ]
    world.a.refresh_from_db()
    assert world.a.state == ServiceState.OPERATIONAL
    assert kinds() == [
        "incident.created",
        "service.state",  # operational → perturbed
        "incident.updated",
        "incident.resolved",
        "service.state",  # back to operational
    ]
    created = StatusEvent.objects.get(kind="incident.created")
    assert created.public is True  # published incident on a public service
    assert created.clients == [world.personas.client_a.pk]
    assert created.data["services"] == [world.a.pk]
    assert created.data["cause"] == "service"
    assert created.incident == incident


def test_it_keeps_events_of_a_private_service_off_the_public_page(world) -> None:
    services.declare_incident(
        world.tech, [world.b], "Coupure", "service", at("2026-11-17 10:00"), "Coupure."
    )
    event = StatusEvent.objects.get(kind="incident.created")
    assert event.public is False  # service B is not on the public page
    assert event.clients == [world.personas.client_b.pk]


def test_it_lets_only_vendor_staff_declare_an_incident(world) -> None:
    with pytest.raises(NotAllowed):
        services.declare_incident(
            world.personas.user_a, [world.a], "x", "service", at("2026-11-17 10:00"), "x"
        )
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cause": "panne"}, "cause"),
        ({"title": "  "}, "title"),
        ({"message": ""}, "message"),
        ({"services": []}, "services"),
        ({"started_at": at("2026-11-17 12:00")}, "started_at"),  # after "now"
    ],
)
def test_it_names_the_field_of_a_bad_declaration(world, change, field) -> None:
    arguments = {
        "services": [world.a],
        "title": "Coupure",
        "cause": "service",
        "started_at": at("2026-11-17 10:00"),
        "message": "Coupure.",
    }
    arguments.update(change)
    with pytest.raises(ServiceError) as refused:
        services.declare_incident(world.tech, **arguments, at=at("2026-11-17 11:00"))
    assert refused.value.field == field
    assert refused.value.status == 400


def test_it_refuses_an_end_before_the_start_or_in_the_future(world) -> None:
    incident = services.declare_incident(
        world.tech, [world.a], "Coupure", "service", at("2026-11-17 10:00"), "Coupure."
    )
    with pytest.raises(ServiceError) as before:
        services.resolve_incident(world.tech, incident, at("2026-11-17 09:00"), "fini")
    assert before.value.field == "ended_at"
    with pytest.raises(ServiceError) as future:
        services.resolve_incident(
            world.tech, incident, at("2026-11-17 13:00"), "fini", at=at("2026-11-17 12:00")
        )
    assert "futur" in future.value.message


def test_it_refuses_to_update_a_resolved_incident(world) -> None:
    incident = services.declare_incident(
        world.tech, [world.a], "Coupure", "service", at("2026-11-17 10:00"), "Coupure."
    )
    services.resolve_incident(world.tech, incident, at("2026-11-17 10:30"), "fini")
    with pytest.raises(WrongState):
        services.post_incident_update(world.tech, incident, "monitoring", "encore ?")
    with pytest.raises(ServiceError) as resolved_again:
        services.resolve_incident(world.tech, incident, at("2026-11-17 10:30"), "fini")
    assert resolved_again.value.status == 409


def test_it_reclassifies_a_resolved_incident_and_records_the_previous_cause(world) -> None:
    """AVL-2: the cause decides whether the downtime counts; a change is on record."""
    incident = services.declare_incident(
        world.tech, [world.a], "Coupure", "service", at("2026-11-17 10:00"), "Coupure."
    )
    services.resolve_incident(world.tech, incident, at("2026-11-17 10:30"), "fini")
    services.reclassify_incident(world.tech, incident, "out-of-perimeter")
    incident.refresh_from_db()
    assert incident.cause == Cause.OUT_OF_PERIMETER
    event = StatusEvent.objects.filter(kind="incident.updated").get()
    assert event.data["previous_cause"] == "service"
    assert event.data["cause"] == "out-of-perimeter"
    assert event.public is False  # a contractual matter, for the client concerned
    with pytest.raises(ServiceError) as same:
        services.reclassify_incident(world.tech, incident, "out-of-perimeter")
    assert same.value.field == "cause"


def test_it_publishes_a_draft_and_changes_its_cause_in_one_update(world) -> None:
    from livret.status.models import Incident

    incident = Incident.objects.create(
        title="Indisponibilité détectée",
        status=IncidentStatus.DRAFT,
        public=False,
        started_at=at("2026-11-17 10:00"),
        created_at=at("2026-11-17 10:00"),
        updated_at=at("2026-11-17 10:00"),
    )
    incident.services.set([world.a])
    services.post_incident_update(
        world.tech,
        incident,
        "identified",
        "Coupure du lien chez le client.",
        cause="client-equipment",
        public=True,
    )
    incident.refresh_from_db()
    assert (incident.status, incident.cause, incident.public) == (
        "identified",
        "client-equipment",
        True,
    )
    assert [e.public for e in StatusEvent.objects.filter(kind="incident.updated")] == [False, True]
