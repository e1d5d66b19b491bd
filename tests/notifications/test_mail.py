"""The notification mails as the staff read them, through the outbox and a real SMTP server on
127.0.0.1 (tests/helpers/smtp.py): greeted by name, the request's number and link, signed with
the vendor of the request's offer, one mail each, threaded under the request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from livret.mail.outbox import send_pending
from livret.support import services
from tests.helpers.clock import PARIS, at
from tests.helpers.smtp import smtp_server, subject_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings) -> Any:  # type: ignore[no-untyped-def]
    with smtp_server(settings) as server:
        settings.DEFAULT_FROM_EMAIL = "Support Cegid <support@editeur.test>"
        settings.SITE_URL = "https://support.editeur.test"
        yield server


def text(mail: Any) -> str:
    """The body as read (SMTP carries CRLF line ends)."""
    return str(mail.get_content()).replace("\r\n", "\n")


def delivered(smtp: Any, address: str) -> list[Any]:
    send_pending(datetime.now(tz=PARIS))
    return [
        m for m, rcpt in zip(smtp.messages, smtp.recipients(), strict=True) if rcpt == [address]
    ]


def test_the_mail_of_a_client_message_greets_links_and_signs(desk, smtp) -> None:
    request = desk.file(team=desk.team)
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 10:30"))
    services.comment(
        request,
        desk.personas.user_a,
        "L'export s'arrête toujours à 40 %.",
        at=at("2026-11-19 11:00"),
    )
    [mail] = delivered(smtp, "tech@vendor.test")
    assert subject_of(mail) == (
        f"[{request.number}] Nouveau message du client : La saisie des écritures plante"
    )
    assert mail["In-Reply-To"] == f"<{request.number}@editeur.test>"  # in the request's thread
    assert text(mail) == (
        "Bonjour Camille Martin,\n\n"
        f"Agnès Bernard (Client A) a écrit sur la demande {request.number} :\n"
        "« L'export s'arrête toujours à 40 %. »\n\n"
        f"https://support.editeur.test/demandes/{request.number}/\n\n"
        "Cordialement,\n"
        "L'équipe support Cegid\n\n"
        "-- \n"
        "Vous recevez ce courriel selon vos préférences de notification : "
        "https://support.editeur.test/notifications/preferences/\n"
    )
    # the lead gets their own mail (after the new request's and the pickup's), by name
    to_lead = delivered(smtp, "lead@vendor.test")[-1]
    assert subject_of(to_lead) == subject_of(mail)
    assert text(to_lead).startswith("Bonjour Hélène Roux,\n\n")


def test_a_person_without_a_name_is_greeted_without_their_login(desk, smtp) -> None:
    desk.lead_2.first_name = desk.lead_2.last_name = ""
    desk.lead_2.save()
    request = desk.file()
    desk.tell()
    [mail] = delivered(smtp, "lead-2@vendor.test")
    body = text(mail)
    assert body.startswith("Bonjour,\n\nClient A a déposé la demande")
    assert "lead-2" not in body.replace("lead-2@vendor.test", "")
    assert (
        subject_of(mail) == f"[{request.number}] Nouvelle demande : La saisie des écritures plante"
    )


def test_the_breach_mail_names_the_clock_and_the_deadline(desk, smtp) -> None:
    from livret.support import jobs

    request = desk.file(team=desk.team, when="2026-11-19 09:00")
    services.take_in_charge(request, desk.tech, at=at("2026-11-19 09:30"))
    services.qualify(request, desk.tech, 1, at=at("2026-11-19 10:00"))
    jobs.scan_breaches(at("2026-11-30 12:00"))
    mails = delivered(smtp, "tech@vendor.test")
    assert [subject_of(m) for m in mails] == [
        f"[{request.number}] 75 % du délai de plan d'action consommé",
        f"[{request.number}] Délai de plan d'action dépassé",
    ]
    assert (
        f"Le délai de plan d'action de la demande {request.number} « La saisie des écritures "
        "plante » est dépassé depuis 20/11 16:30."
    ) in text(mails[1])
