"""OFF-5: offer files become immutable versions; contracts keep the version they signed."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from livret.core.offer import load_offer_text, load_preset
from livret.offers.models import OfferVersion
from livret.offers.services import import_builtin_presets, import_offer
from livret.tenants.models import Client
from livret.tenants.services import create_contract, migrate_contract

pytestmark = pytest.mark.django_db


def _changed_quadra(target: str = "target_percent = 99.0", new: str = "target_percent = 99.2"):
    text = load_preset("quadra-entreprise").text.replace(target, new)
    return load_offer_text(text, "quadra-changed.toml")


def test_it_imports_the_five_presets_once() -> None:
    first = import_builtin_presets()
    again = import_builtin_presets()
    assert [r.created for r in first] == [True] * 5
    assert [r.created for r in again] == [False] * 5
    assert OfferVersion.objects.count() == 5
    assert {r.version.number for r in first} == {1}


def test_it_turns_a_changed_file_into_a_new_version_and_keeps_pinned_contracts(versions) -> None:
    v1 = versions["quadra-entreprise"]
    client = Client.objects.create(name="Client", slug="client")
    contract = create_contract(
        client=client, reference="Q-1", offer_version=v1, start_date=date(2026, 1, 5)
    )
    result = import_offer(_changed_quadra(), "quadra-changed.toml")
    assert result.created and result.version.number == 2
    contract.refresh_from_db()
    assert contract.offer_version == v1  # OFF-5: keeps the signed version
    assert contract.offer_version.offer.availability.target_percent == 99.0
    migrate_contract(contract, result.version)
    contract.refresh_from_db()
    assert contract.offer_version.number == 2
    assert contract.offer_version.offer.availability.target_percent == 99.2


def test_it_refuses_to_edit_a_stored_version(versions) -> None:
    version = versions["quadra-entreprise"]
    version.name = "Something else"
    with pytest.raises(ValueError, match="immutable"):
        version.save()
    assert OfferVersion.objects.get(pk=version.pk).name == "Quadra Entreprise On Demand"


def test_it_refuses_a_migration_the_new_version_forbids(versions) -> None:
    client = Client.objects.create(name="Client", slug="client")
    contract = create_contract(
        client=client,
        reference="Q-1",
        offer_version=versions["quadra-entreprise"],
        start_date=date(2026, 1, 5),
        territory="6AE",
    )
    narrower = import_offer(
        _changed_quadra('sold_in = ["metropolitan"]', 'sold_in = ["metropole"]'), "narrow.toml"
    ).version
    with pytest.raises(ValidationError) as raised:
        migrate_contract(contract, narrower)
    assert "territory" in raised.value.message_dict
    contract.refresh_from_db()
    assert contract.offer_version.number == 1


def test_it_refuses_to_migrate_to_another_offer(versions) -> None:
    client = Client.objects.create(name="Client", slug="client")
    contract = create_contract(
        client=client,
        reference="Q-1",
        offer_version=versions["quadra-entreprise"],
        start_date=date(2026, 1, 5),
    )
    with pytest.raises(ValueError, match="not carrus-saas"):
        migrate_contract(contract, versions["carrus-saas"])
