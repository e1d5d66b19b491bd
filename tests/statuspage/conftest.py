"""A vendor page to look at: Cegid (Quadra) services of clients A and B, with incidents and
maintenances made through ``livret.status.services``; a real SMTP server; a clean cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine

from tests.helpers.clock import at
from tests.helpers.smtp import smtp_server

NOW = "2026-11-24 10:00"  # a Tuesday


@pytest.fixture(autouse=True)
def empty_cache():  # type: ignore[no-untyped-def]
    """Each test starts with no cached page (ids are reused after a rolled-back test)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """Now is Tuesday 24 November 2026, 10:00 in Paris; ``clock.move_to(at(...))`` moves it."""
    with time_machine.travel(at(NOW), tick=False) as traveller:
        yield traveller


@dataclass
class Page:
    """Client A's private service, client B's public one, and what happens to them.

    * ``a``: "Quadra — Client A" (A-1), not public;
    * ``b``: "Quadra — Client B" (B-1), public as "Quadra Entreprise On Demand";
    * ``a_incident``: an ongoing incident on A's service only (A's business);
    * ``b_incident``: a published ongoing incident on B's public service;
    * ``maintenance``: a published planned maintenance of B's service, Thursday night;
    * ``a_maintenance``: a planned maintenance of A's service only.
    """

    personas: Any
    tech: Any
    a: Any
    b: Any
    a_incident: Any = None
    b_incident: Any = None
    maintenance: Any = None
    a_maintenance: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def page(personas, clock) -> Page:  # type: ignore[no-untyped-def]
    from livret.status import services

    tech = personas.technician
    made_at = at("2026-11-02 09:00")
    a = services.create_service(
        tech, personas.client_a.contracts.get(), name="Quadra — Client A", at=made_at
    )
    b = services.create_service(
        tech,
        personas.client_b.contracts.get(),
        name="Quadra — Client B",
        public=True,
        public_label="Quadra Entreprise On Demand",
        at=made_at,
    )
    world = Page(personas, tech, a, b)
    world.a_incident = services.declare_incident(
        tech,
        [a],
        "Lenteurs sur le dossier de Client A",
        "service",
        at("2026-11-24 08:00"),
        "Nous analysons des lenteurs sur votre dossier.",
        at=at("2026-11-24 08:05"),
    )
    world.b_incident = services.declare_incident(
        tech,
        [b],
        "Connexions impossibles",
        "service",
        at("2026-11-24 09:00"),
        "Les connexions échouent ; nous analysons.",
        at=at("2026-11-24 09:10"),
    )
    world.maintenance = services.plan_maintenance(
        tech,
        [b],
        "Mise à jour de la base de données",
        at("2026-11-26 22:00"),
        at("2026-11-27 02:00"),
        blocking=True,
        description="Interruption complète pendant la fenêtre.",
        announced_at=at("2026-11-24 09:30"),
    )
    world.a_maintenance = services.plan_maintenance(
        tech,
        [a],
        "Migration du serveur de Client A",
        at("2026-11-27 22:00"),
        at("2026-11-28 01:00"),
        blocking=False,
        announced_at=at("2026-11-24 09:30"),
        public=False,
    )
    return world


# --------------------------------------------------------------------------- SMTP


@pytest.fixture
def smtp(settings) -> Any:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1; Django's SMTP backend points at it."""
    with smtp_server(settings) as server:
        settings.DEFAULT_FROM_EMAIL = "Cegid <statut@editeur.test>"
        settings.SITE_URL = "https://statut.editeur.test"
        yield server
