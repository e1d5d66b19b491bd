"""Services on the personas' Quadra contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest


@dataclass
class StatusWorld:
    """Client A's and client B's production services (Q, target 99 %) and the technician."""

    a: Any
    b: Any
    tech: Any
    personas: Any


@pytest.fixture
def world(personas) -> StatusWorld:  # type: ignore[no-untyped-def]
    from livret.status import services

    tech = personas.technician
    a = services.create_service(
        tech,
        personas.client_a.contracts.get(),
        name="Quadra — Client A",
        public=True,
        public_label="Quadra Entreprise On Demand",
    )
    b = services.create_service(tech, personas.client_b.contracts.get(), name="Quadra — Client B")
    return StatusWorld(a, b, tech, personas)


@pytest.fixture
def contract_of(versions, personas):  # type: ignore[no-untyped-def]
    """Make another contract for client A: ``contract_of("carrus-saas", territory="972")``."""
    from livret.tenants.services import create_contract

    made = iter(range(1, 100))

    def make(offer_id: str, **terms: Any) -> Any:
        return create_contract(
            client=terms.pop("client", personas.client_a),
            reference=f"T-{offer_id}-{next(made)}",
            offer_version=versions[offer_id],
            start_date=terms.pop("start_date", date(2026, 1, 5)),
            **terms,
        )

    return make
