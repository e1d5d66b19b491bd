"""``make run``'s mail sink (``python -m livret.mail.sink``) prints each mail decoded (issue 12):
RFC 2047 subjects, quoted-printable and base64 bodies come out as UTF-8 text."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from livret.mail.outbox import send_pending
from livret.mail.services import queue_mail
from tests.helpers.net import free_port

SUBJECT = "Accusé de réception : écran figé à la clôture"
TEXT = "Bonjour Élise Durand,\n\nVotre demande a été enregistrée ; délai : 4 h ouvrées.\n"


@pytest.fixture
def sink() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "livret.mail.sink", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "ascii"},  # a terminal that cannot print UTF-8
        start_new_session=True,
    )
    assert process.stdout is not None
    assert "printing the mails sent to" in process.stdout.readline()
    try:
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def printed(process: subprocess.Popen[str], mails: int) -> str:
    """What the sink printed, once it has printed ``mails`` mails (then stopped)."""
    time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=10)
    assert output.count("\nmail ") == mails, output
    return output


def message(encoding: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "L'équipe support <support@editeur.test>"
    mail["To"] = "elise.durand@client.test"
    mail["Subject"] = SUBJECT
    mail.set_content(TEXT, cte=encoding)
    return mail


@pytest.mark.parametrize("encoding", ["base64", "quoted-printable"])
def test_it_prints_subject_and_body_decoded(sink, encoding: str) -> None:
    port, process = sink
    mail = message(encoding)
    raw = mail.as_string()
    assert "=?utf-8?" in raw and SUBJECT not in raw and "Élise" not in raw  # encoded on the wire
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(mail)
    output = printed(process, 1)
    assert f"Subject: {SUBJECT}" in output
    assert "From: L'équipe support <support@editeur.test>" in output
    assert "To: elise.durand@client.test" in output
    assert TEXT.strip() in output
    assert "=?utf-8?" not in output and "=C3=A9" not in output


@pytest.mark.django_db
def test_it_prints_the_outbox_mails_as_sent(sink, settings) -> None:
    """The real path of ``make run``: the outbox sends through Django's SMTP backend."""
    port, process = sink
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    queue_mail(
        ["elise.durand@client.test"],
        SUBJECT,
        "Votre demande a été enregistrée.",
        reason="acknowledgement",
        names=["Élise Durand"],
        vendor="Cegid",
    )
    assert send_pending(datetime.now(tz=UTC)) == 1
    output = printed(process, 1)
    assert f"Subject: {SUBJECT}" in output
    assert "Bonjour Élise Durand,\n\nVotre demande a été enregistrée." in output
    assert "L'équipe support Cegid" in output
