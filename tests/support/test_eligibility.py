"""REQ-8: an ineligible client's request is accepted and flagged with the reasons;
REQ-3: out-of-scope work is flagged billable and offered, never dropped."""

from __future__ import annotations

from datetime import date

import pytest

from livret.mail.models import OutgoingMail
from livret.support import services
from livret.support.services import NewRequest
from livret.tenants.services import create_contract

pytestmark = pytest.mark.django_db

# C §3.1.2: "le Client utilise l'une des deux dernières Mises à Jour majeures"
# (installed major, latest major, users trained, remote assistance, expected rule ids)
CASES = [
    (9, 9, True, True, []),
    (8, 9, True, True, []),  # one behind: still one of the two latest
    (7, 9, True, True, ["supported-version"]),  # two behind: not supported
    (None, 9, True, True, []),  # unknown version: nothing to flag
    (9, 9, False, True, ["users-trained"]),
    (9, 9, True, False, ["remote-assistance"]),
    (6, 9, False, False, ["users-trained", "supported-version", "remote-assistance"]),
]


@pytest.mark.parametrize(("installed", "latest", "trained", "remote", "rules"), CASES)
def test_it_flags_an_eksae_contact_request_with_the_reasons(
    personas, versions, installed, latest, trained, remote, rules
) -> None:
    contract = create_contract(
        client=personas.client_a,
        reference="C-1",
        offer_version=versions["eksae-contact"],
        start_date=date(2026, 1, 5),
    )
    contract.product_major_version, contract.latest_major_version = installed, latest
    contract.users_trained, contract.remote_assistance = trained, remote
    contract.save()
    request = services.file_request(
        filer=personas.user_a,
        contract=contract,
        new=NewRequest(kind="anomaly", title="Plantage", description="Au lancement"),
    )
    assert request.pk is not None  # accepted in every case (REQ-8)
    assert sorted(i["rule"] for i in request.eligibility_issues) == sorted(rules)
    flagged = request.events.filter(kind="eligibility-flagged").exists()
    assert flagged is bool(rules)


def test_it_flags_out_of_scope_work_as_billable_and_records_the_proposal(personas) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="out-of-scope", title="Paramétrer la TVA", description="Nouveau taux"),
    )
    assert request.billable and request.pickup_due_at is None  # no SLA for paid services
    proposal = services.propose_billable(
        request, personas.technician, service="settings", description="Une demi-journée", credits=2
    )
    assert proposal.credits == 2
    assert OutgoingMail.objects.filter(thread=request.number, reason="proposal").exists()


def test_it_gives_no_pickup_clock_to_customer_service_requests(personas) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="customer-service", title="Adresse", description="Changement"),
    )
    assert request.pickup_due_at is None and request.next_alert_at is None  # Q art. 16
