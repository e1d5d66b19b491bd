"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers.net import free_port


class Collector:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """The server on ``port``; ``messages`` are what it received, parsed."""

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

    def recipients(self) -> list[list[str]]:
        """The envelope recipients of each message, in order."""
        return [rcpt for rcpt, _ in self.collector.received]


@contextmanager
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A started server that Django's SMTP backend sends to (no login, no TLS)."""
    server = SmtpServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def subject_of(message: EmailMessage) -> str:
    """The Subject header: Django folds a long encoded one, the parser keeps the folding space."""
    return str(message["Subject"]).strip()
