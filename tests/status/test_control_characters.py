"""Control characters in status texts are refused, naming the field (issue 13, item 8).

A vertical tab in an incident title made the public Atom feed invalid for every reader, and a
NUL made PostgreSQL fail the request (a 500). Titles take no control character at all;
messages and descriptions take line breaks and tabs only."""

from __future__ import annotations

import pytest
import time_machine

from livret.errors import ServiceError
from livret.status import services
from livret.status.models import Incident, Maintenance
from tests.helpers.clock import at
from tests.status.test_api import call
from tests.status.test_pages import browser

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        yield


def declare(world, title: str = "Coupure", message: str = "Coupure.") -> Incident:  # type: ignore[no-untyped-def]
    return services.declare_incident(
        world.tech, [world.a], title, "service", at("2026-11-16 08:00"), message
    )


@pytest.mark.parametrize(
    ("title", "message", "field", "said"),
    [
        ("Panne\x0bdu service", "x", "title", "Titre : caractère de contrôle interdit (U+000B)"),
        ("Panne\x00", "x", "title", "Titre : caractère de contrôle interdit (U+0000)"),
        ("Panne\ndu service", "x", "title", "Titre : saut de ligne ou tabulation interdit"),
        ("Panne", "Nous\x00 cherchons", "message", "Message : caractère de contrôle interdit"),
        ("Panne", "Nous\x1b[31m", "message", "Message : caractère de contrôle interdit (U+001B)"),
    ],
)
def test_the_service_refuses_control_characters_naming_the_field(
    world, title, message, field, said
) -> None:
    """Issue 13, item 8."""
    with pytest.raises(ServiceError) as refused:
        declare(world, title, message)
    assert refused.value.field == field
    assert refused.value.message.startswith(said)
    assert not Incident.objects.exists()


def test_a_message_keeps_its_line_breaks_and_tabs(world) -> None:
    """Issue 13, item 8: multi-line texts accept line breaks (a form's CRLF becomes LF)."""
    incident = declare(world, message="Ligne 1\r\nLigne 2\tfin")
    assert incident.updates.get().message == "Ligne 1\nLigne 2\tfin"


def test_every_status_text_is_checked(world) -> None:
    """Issue 13, item 8: updates, maintenance descriptions and cancel reasons too."""
    incident = declare(world)
    with pytest.raises(ServiceError) as refused:
        services.post_incident_update(world.tech, incident, "identified", "Trou\x0cvé")
    assert refused.value.field == "message"
    with pytest.raises(ServiceError) as refused:
        services.plan_maintenance(
            world.tech,
            [world.a],
            "Montée de version",
            at("2026-11-21 10:00"),
            at("2026-11-21 12:00"),
            True,
            description="Arr\x07êt",
        )
    assert refused.value.field == "description"
    maintenance = services.plan_maintenance(
        world.tech, [world.a], "Montée", at("2026-11-21 10:00"), at("2026-11-21 12:00"), True
    )
    with pytest.raises(ServiceError) as refused:
        services.cancel_maintenance(world.tech, maintenance, "Repor\x0btée")
    assert refused.value.field == "reason"
    maintenance.refresh_from_db()
    assert maintenance.status == "scheduled"
    assert Maintenance.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), [("title", "Cou\x0bpure"), ("message", "Nul\x00")])
def test_the_api_answers_400_naming_the_field(world, field, value) -> None:
    """Issue 13, item 8: a NUL used to reach PostgreSQL and answer 500."""
    payload = {
        "services": [world.a.pk],
        "title": "Coupure",
        "cause": "service",
        "started_at": "2026-11-16T08:00:00+01:00",
        "message": "Coupure.",
        field: value,
    }
    answer = call(world.tech, "post", "/status/incidents", json=payload)
    assert answer.status_code == 400
    assert answer.json()["field"] == field
    assert "caractère de contrôle interdit" in answer.json()["message"]
    assert not Incident.objects.exists()


def test_the_page_shows_the_refusal_on_the_field(world) -> None:
    """Issue 13, item 8."""
    answer = browser(world.tech).post(
        "/exploitation/incidents/nouveau/",
        {
            "services": [str(world.a.pk)],
            "title": "Panne\x0bdu service",
            "cause": "service",
            "started_at": "2026-11-16T08:00",
            "message": "x",
        },
    )
    assert answer.status_code == 200
    errors = answer.context["form"].errors["title"]
    assert errors == [
        "Titre : caractère de contrôle interdit (U+000B), retirez-le (ce champ tient sur une ligne)"
    ]
    assert "caractère de contrôle interdit (U+000B)" in answer.content.decode()
    assert not Incident.objects.exists()
