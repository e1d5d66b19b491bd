"""OFF-3: contract validation in the database layer refuses what the offer forbids."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from livret.tenants.models import Client, Contract
from livret.tenants.services import create_contract

pytestmark = pytest.mark.django_db

# (offer, formula, options, named users, territory, field refused, words of the message)
REFUSED = [
    ("quadra-entreprise", None, [], 5, "972", "territory", "Martinique"),
    ("expert-on-demand", "private", [], 5, "974", "territory", "La Réunion"),
    ("expert-on-demand", "premium", [], 5, "metropole", "formula", "premium"),
    (
        "expert-on-demand",
        "private",
        ["personalised-update", "acceptance-environment"],
        300,
        "metropole",
        "named_users",
        "plus de 300",
    ),
    (
        "expert-on-demand",
        "private",
        ["acceptance-environment"],
        500,
        "metropole",
        "options",
        "exige l'option",
    ),
]


@pytest.mark.parametrize(
    ("offer_id", "formula", "options", "users", "territory", "field", "words"), REFUSED
)
def test_it_refuses_what_the_offer_forbids(
    versions, offer_id, formula, options, users, territory, field, words
) -> None:
    client = Client.objects.create(name="Client", slug="client")
    with pytest.raises(ValidationError) as raised:
        create_contract(
            client=client,
            reference="X-1",
            offer_version=versions[offer_id],
            formula=formula,
            options=options,
            named_users=users,
            territory=territory,
            start_date=date(2026, 1, 5),
        )
    messages = raised.value.message_dict
    assert field in messages
    assert any(words in m for m in messages[field])
    assert not Contract.objects.exists()


def test_it_accepts_overseas_contracts_for_carrus_and_defaults_the_formula(versions) -> None:
    client = Client.objects.create(name="Mairie", slug="mairie")
    contract = create_contract(
        client=client,
        reference="S-1",
        offer_version=versions["carrus-saas"],
        territory="972",
        start_date=date(2026, 3, 2),
    )
    assert contract.formula == versions["carrus-saas"].offer.formula(None)[0]
    assert contract.territory == "972"


def test_it_accepts_the_acceptance_environment_above_300_users(versions) -> None:
    client = Client.objects.create(name="Cabinet", slug="cabinet")
    contract = create_contract(
        client=client,
        reference="E-1",
        offer_version=versions["expert-on-demand"],
        formula="private",
        options=["personalised-update", "acceptance-environment"],
        named_users=301,
        start_date=date(2025, 9, 1),
    )
    assert contract.options == ["personalised-update", "acceptance-environment"]
