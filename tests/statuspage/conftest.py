"""A vendor page to look at: Cegid (Quadra) services of clients A and B, with incidents and
maintenances made through ``livret.status.services``; a real SMTP server; a clean cache."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller

PARIS = ZoneInfo("Europe/Paris")
NOW = "2026-11-24 10:00"  # a Tuesday


def at(text: str) -> datetime:
    """``2026-11-24 10:00`` in Paris time."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class Collector:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    collector: Collector = field(default_factory=Collector)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        parser = BytesParser(policy=default_policy)
        return [parser.parsebytes(raw) for _, raw in self.collector.received]  # type: ignore[misc]


@pytest.fixture
def smtp(settings) -> Any:  # type: ignore[no-untyped-def]
    """A real SMTP server on 127.0.0.1; Django's SMTP backend points at it."""
    server = SmtpServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Cegid <statut@editeur.test>"
    settings.SITE_URL = "https://statut.editeur.test"
    yield server
    server.stop()
