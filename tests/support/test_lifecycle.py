"""The whole life of a request through the service functions (REQ-1..7, REQ-11)."""

from __future__ import annotations

import pytest

from livret.errors import NotAllowed, ServiceError, WrongState
from livret.mail.models import OutgoingMail
from livret.support import services
from livret.support.models import State
from livret.support.services import NewRequest
from tests.helpers.clock import at
from tests.helpers.support import anomaly

pytestmark = pytest.mark.django_db


def test_it_runs_a_criticity_1_anomaly_from_filing_to_closing(personas) -> None:
    contract = personas.client_a.contracts.get()
    request = services.file_request(
        filer=personas.user_a, contract=contract, new=anomaly(), at=at("2026-11-19 10:00")
    )
    assert request.number == f"DEM-2026-{request.pk:06d}"
    assert request.pickup_due_at == at("2026-11-19 15:30")  # Q art. 14: critical 4 h
    assert request.next_alert_at == at("2026-11-19 14:30")  # 75 % of 4 h
    ack = OutgoingMail.objects.get(reason="acknowledgement")
    assert request.number in ack.subject and "19/11/2026 à 15:30" in ack.body

    tech = personas.technician
    services.take_in_charge(request, tech, at=at("2026-11-19 11:00"))
    request = services.qualify(request, tech, 1, at=at("2026-11-19 11:30"))
    # 12 business hours: Thu 11:30-17:30 (4.5 h), Fri 6.5 h, Mon 09:00-10:00
    assert request.action_plan_due_at == at("2026-11-23 10:00")
    request = services.ask_client(request, tech, "Quelle version ?", at=at("2026-11-19 14:00"))
    request = services.client_answers(request, personas.user_a, "V8", at=at("2026-11-19 16:00"))
    # paused 2 business hours (REQ-6b): the deadline moves to Monday 12:00
    assert request.action_plan_due_at == at("2026-11-23 12:00")
    assert request.state == State.QUALIFIED
    request = services.deliver_action_plan(request, tech, "Plan", at=at("2026-11-20 10:00"))
    request = services.deliver_fix(request, tech, "Correctif", at=at("2026-11-24 10:00"))
    assert request.state == State.AWAITING_VALIDATION
    request = services.validate(request, personas.user_a, at=at("2026-11-24 11:00"))
    assert request.state == State.CLOSED
    assert request.next_alert_at is None
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds == [
        "registered",
        "taken-in-charge",
        "qualified",
        "waiting-for-client",
        "client-answered",
        "action-plan-delivered",
        "fix-delivered",
        "validated",
    ]


def test_it_refuses_an_illegal_transition_with_a_clear_message(personas) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly(),
        at=at("2026-11-19 10:00"),
    )
    with pytest.raises(WrongState, match="impossible de valider"):
        services.validate(request, personas.user_a)
    with pytest.raises(NotAllowed):
        services.take_in_charge(request, personas.user_a)
    with pytest.raises(NotAllowed):
        services.comment(request, personas.user_b, "intrus")


def test_it_refuses_a_phone_request_without_portal_request_for_quadra(personas) -> None:
    contract = personas.client_a.contracts.get()
    with pytest.raises(ServiceError, match="création préalable de la demande") as raised:
        services.record_phone_request(
            technician=personas.technician, contract=contract, filer=personas.user_a, new=anomaly()
        )
    assert raised.value.code == "portal-request-required"


def test_it_refuses_bad_filing_input_naming_the_field(personas) -> None:
    contract = personas.client_a.contracts.get()
    bad = NewRequest(kind="anomaly", title=" ", description="x")
    with pytest.raises(ServiceError) as raised:
        services.file_request(filer=personas.user_a, contract=contract, new=bad)
    assert raised.value.field == "title"


def test_it_refuses_filing_on_another_clients_contract(personas) -> None:
    with pytest.raises(NotAllowed):
        services.file_request(
            filer=personas.user_a, contract=personas.client_b.contracts.get(), new=anomaly()
        )
