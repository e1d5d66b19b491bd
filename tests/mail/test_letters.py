"""Mails greet the person and sign with the vendor (issue 12): each writer's mail, read as it
arrives at a real SMTP server (tests/helpers/smtp.py). Links go to LIVRET_SITE_URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from livret.mail.outbox import send_pending
from livret.support import services
from livret.support.mailgate import ingest
from livret.support.services import NewRequest
from tests.helpers.clock import PARIS, at
from tests.helpers.smtp import smtp_server, subject_of

pytestmark = pytest.mark.django_db
SITE = "https://support.editeur.test"


@pytest.fixture
def smtp(settings) -> Any:
    with smtp_server(settings) as server:
        settings.SITE_URL = SITE
        settings.VENDOR_NAME = "Éditions Exemple"
        yield server


@pytest.fixture
def named(personas) -> Any:
    """The personas with their names, as the demo's people have them."""
    for user, first, last in (
        (personas.user_a, "Claire", "Dupont"),
        (personas.user_b, "Marc", "Leroy"),
        (personas.technician, "Thomas", "Petit"),
    ):
        user.first_name, user.last_name = first, last
        user.save()
    return personas


def read_all() -> int:
    return send_pending(datetime.now(tz=PARIS))


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    """The body as read, line ends as in Python (SMTP carries CRLF)."""
    return message.get_content().replace("\r\n", "\n")


def texts(smtp) -> list[str]:  # type: ignore[no-untyped-def]
    return [text_of(m) for m in smtp.messages]


def file_request(personas) -> Any:  # type: ignore[no-untyped-def]
    return services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Écran figé à la clôture", description="Bloqué."),
        at=at("2026-11-19 10:00"),
    )


def test_the_acknowledgement_greets_the_filer_and_is_signed_by_the_vendor(named, smtp) -> None:
    request = file_request(named)
    read_all()
    [text] = texts(smtp)
    assert text.startswith("Bonjour Claire Dupont,\n\nVotre demande ")
    assert f"{SITE}/demandes/{request.number}/" in text
    assert text.rstrip().endswith("Cordialement,\nL'équipe support Cegid")  # Quadra's vendor
    assert text.count("Bonjour") == 1
    assert "user-a" not in text.replace("user-a@client-a.test", "")  # no login


def test_the_question_and_the_clients_answer_greet_their_reader(named, smtp) -> None:
    request = file_request(named)
    services.take_in_charge(request, named.technician, at=at("2026-11-19 10:30"))
    services.ask_client(
        request, named.technician, "Quelle version utilisez-vous ?", at=at("2026-11-19 11:00")
    )
    services.client_answers(request, named.user_a, "La V8.2.", at=at("2026-11-19 11:30"))
    read_all()
    question = next(t for t in texts(smtp) if "Quelle version" in t)
    assert question.startswith("Bonjour Claire Dupont,")
    assert question.rstrip().endswith("L'équipe support Cegid")
    [answer] = [
        text_of(m)
        for rcpt, m in zip(smtp.recipients(), smtp.messages, strict=True)
        if rcpt == ["tech@vendor.test"]
    ]
    assert answer.startswith("Bonjour Thomas Petit,") and "La V8.2." in answer
    # a staff notification: signed, then the footer that says why it was sent
    assert "Cordialement,\nL'équipe support Cegid\n\n-- \nVous recevez ce courriel" in answer


def test_a_password_reset_greets_and_links_to_the_site_url(named, smtp) -> None:
    Client().post(
        "/compte/oubli/", {"email": "user-a@client-a.test"}, HTTP_HOST="localhost"
    )  # the request came in by another name than LIVRET_SITE_URL
    read_all()
    [message] = smtp.messages
    text = text_of(message)
    assert text.startswith("Bonjour Claire Dupont,")
    assert f"{SITE}/compte/oubli/" in text and "http://localhost" not in text
    assert text.rstrip().endswith("L'équipe support Éditions Exemple")  # LIVRET_VENDOR_NAME
    assert "réinitialisation" in subject_of(message).lower()


def test_a_status_subscription_is_signed_by_its_vendor(named, smtp) -> None:
    from livret.statuspage import services as statuspage

    statuspage.subscribe_email("cegid", "", timezone.now(), user=named.user_b)
    statuspage.subscribe_email("cegid", "visiteur@exemple.test", timezone.now())
    read_all()
    mine, visitor = texts(smtp)
    assert mine.startswith("Bonjour Marc Leroy,\n\nVous avez demandé")
    assert visitor.startswith("Bonjour,\n\nVous avez demandé")
    assert f"{SITE}/statut/confirmation/" in visitor
    for text in (mine, visitor):
        assert text.rstrip().endswith("Cordialement,\nL'équipe support Cegid")


def test_a_mail_gate_refusal_greets_and_signs(named, smtp) -> None:
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "inconnu@ailleurs.test"
    mail["To"] = "demandes@editeur.test"
    mail["Subject"] = "Problème d'accès"
    mail.set_content("Bonjour, je n'arrive pas à me connecter.")
    ingest(mail.as_bytes(), now=at("2026-11-19 10:00"))
    read_all()
    [text] = texts(smtp)
    assert text.startswith("Bonjour,\n\nNous avons bien reçu votre message « Problème d'accès »")
    assert f"{SITE}/" in text
    assert text.rstrip().endswith("L'équipe support Éditions Exemple")
