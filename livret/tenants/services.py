"""Creating, finding and moving contracts to a new offer version (SPEC OFF-3, OFF-5)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from livret.offers.models import OfferVersion
from livret.tenants.models import Client, Contract


@transaction.atomic
def create_contract(
    *,
    client: Client,
    reference: str,
    offer_version: OfferVersion,
    formula: str | None = None,
    options: list[str] | None = None,
    start_date: date,
    named_users: int = 1,
    territory: str = "metropole",
    support_start_date: date | None = None,
) -> Contract:
    """Create a contract after checking it against its offer; ValidationError names the rule."""
    contract = Contract(
        client=client,
        reference=reference,
        offer_version=offer_version,
        formula=formula or offer_version.offer.formula(None)[0],
        options=list(options or []),
        start_date=start_date,
        support_start_date=support_start_date,
        named_users=named_users,
        territory=territory,
    )
    contract.full_clean()
    contract.save()
    return contract


@transaction.atomic
def migrate_contract(contract: Contract, new_version: OfferVersion) -> Contract:
    """OFF-5: move a contract to another version of the same offer, if its terms still hold."""
    if new_version.offer_id != contract.offer_version.offer_id:
        raise ValueError(
            f"contract {contract.reference} is on offer {contract.offer_version.offer_id}, "
            f"not {new_version.offer_id}"
        )
    contract.offer_version = new_version
    contract.full_clean()
    contract.save(update_fields=["offer_version"])
    return contract


def find_contract(reference: str) -> Contract | None:
    """A contract by its reference, else by its number (primary key) when ``reference`` is one."""
    query = Contract.objects.select_related("offer_version")
    found = query.filter(reference=reference).first()
    if found is None and reference.isdigit():
        found = query.filter(pk=int(reference)).first()
    return found
