"""queue_mail: the one way into the outbox (docs/decisions/0007), and the mail app's layer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction

from livret.errors import ServiceError
from livret.mail.models import OutgoingMail
from livret.mail.outbox import build_message
from livret.mail.services import queue_mail
from tests.conftest import imported_modules

MAIL_APP = Path(__file__).resolve().parents[2] / "livret" / "mail"
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_it_queues_a_pending_row_with_its_thread() -> None:
    to = ["user-a@client-a.test"]
    mail = queue_mail(to, "Objet", "Texte", reason="state", thread="DEM-2026-000042", now=NOW)
    stored = OutgoingMail.objects.get()
    assert stored == mail
    assert (stored.to, stored.subject) == (to, "Objet")
    # every mail is a letter: greeting, the text, the signature (issue 12)
    assert stored.body == "Bonjour,\n\nTexte\n\nCordialement,\nL'équipe support livret\n"
    assert (stored.reason, stored.thread, stored.status) == ("state", "DEM-2026-000042", "pending")
    assert (stored.attempts, stored.created_at) == (0, NOW)


@pytest.mark.django_db
def test_it_threads_a_mail_by_its_thread_and_leaves_the_others_alone() -> None:
    threaded = queue_mail(["a@client-a.test"], "S", "B", reason="state", thread="DEM-2026-000042")
    alone = queue_mail(["a@client-a.test"], "S", "B", reason="password-reset")
    headers = build_message(threaded).extra_headers
    assert headers["X-Livret-Request"] == "DEM-2026-000042"
    assert headers["In-Reply-To"].startswith("<DEM-2026-000042@")
    assert alone.thread == ""
    assert "In-Reply-To" not in build_message(alone).extra_headers


@pytest.mark.django_db
@pytest.mark.parametrize("to", [[], ["sans-arobase"], ["a@client-a.test", "a@b@c.test"], [""]])
def test_it_refuses_missing_or_malformed_recipients(to: list[str]) -> None:
    with pytest.raises(ServiceError) as refused:
        queue_mail(to, "Objet", "Texte", reason="state")
    assert (refused.value.code, refused.value.field) == ("invalid", "to")
    assert not OutgoingMail.objects.exists()


@pytest.mark.django_db
def test_it_writes_nothing_when_the_callers_transaction_rolls_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_mail(["a@client-a.test"], "Objet", "Texte", reason="state")
        raise RuntimeError("the change failed")
    assert not OutgoingMail.objects.exists()


def test_it_imports_no_domain_app_in_the_mail_app() -> None:
    """The mail app is a base layer: the apps that send mail import it, never the reverse."""
    allowed = {"livret.admin", "livret.errors", "livret.ops.worker"}
    offenders = [
        f"{file}: {module}"
        for file, module in imported_modules(MAIL_APP)
        if module.startswith("livret.")
        and not module.startswith("livret.mail")
        and module not in allowed
    ]
    assert offenders == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "subject", ["Objet\r\nBcc: x@y", "Objet \n Bcc: x@y", "Objet\rBcc: x@y", "Objet\u2028Bcc: x@y"]
)
def test_it_folds_a_subject_onto_one_line_so_the_mail_can_be_sent(subject: str) -> None:
    """issue 13, item 9: a subject with CR/LF was queued as is and refused by Django at send
    time (header injection): the mail failed silently. It is folded into a space instead."""
    queued = queue_mail(["a@client-a.test"], subject, "Texte", reason="state")
    assert queued.subject == "Objet Bcc: x@y"
    message = build_message(queued).message()
    assert message["Subject"] == "Objet Bcc: x@y"
    assert "Bcc" not in message


@pytest.mark.django_db
def test_it_greets_the_people_it_names_and_signs_with_the_vendor(settings) -> None:
    """issue 12: "Bonjour <full name>," first, the vendor's team last."""
    one = queue_mail(["a@client-a.test"], "S", "Texte", reason="state", names=["Jean Martin"],
                     vendor="Cegid")  # fmt: skip
    assert one.body.startswith("Bonjour Jean Martin,\n\nTexte\n")
    assert one.body.endswith("\n\nCordialement,\nL'équipe support Cegid\n")
    two = queue_mail(["a@x.test", "b@x.test"], "S", "T", reason="state",
                     names=["Thomas Petit", "", "Sophie Lambert"])  # fmt: skip
    assert two.body.startswith("Bonjour Thomas Petit et Sophie Lambert,\n")
    settings.VENDOR_NAME = "Éditions Exemple"
    three = queue_mail(["a@x.test"], "S", "T", reason="state")
    assert three.body.startswith("Bonjour,\n") and three.body.endswith("support Éditions Exemple\n")
