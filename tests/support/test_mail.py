"""Mail out (outbox → real SMTP server) and mail in (the mail gate) — SPEC REQ-1, REQ-2.

Every outgoing mail goes through Django's SMTP backend to an aiosmtpd server listening on
127.0.0.1 during the test; the test reads what arrived there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import pytest
from django.utils import timezone

from livret.mail import outbox
from livret.mail.models import OutgoingMail
from livret.mail.outbox import MAX_ATTEMPTS, send_pending
from livret.support import services
from livret.support.mailgate import REFUSAL_SUBJECT, ingest, strip_quoted
from livret.support.models import Attachment, Comment, Request, State
from livret.support.services import NewRequest
from tests.helpers.cli import run_livret
from tests.helpers.clock import PARIS, at
from tests.helpers.smtp import Collector, smtp_server, subject_of

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def smtp(settings) -> Any:
    """A real SMTP server on 127.0.0.1; Django's SMTP backend points at it."""
    with smtp_server(settings) as server:
        settings.DEFAULT_FROM_EMAIL = "Support Quadra <support@editeur.test>"
        settings.MAIL_GATE_ADDRESS = "demandes@editeur.test"
        yield server


# --------------------------------------------------------------------------- helpers


def anomaly(title: str = "La saisie des écritures plante") -> NewRequest:
    return NewRequest(kind="anomaly", title=title, description="Erreur ERR-42", priority="high")


def file(personas, title: str = "La saisie des écritures plante") -> Request:
    return services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=anomaly(title),
        at=at("2026-11-19 10:00"),
    )


def mail(
    sender: str = "Utilisateur A <User-A@Client-A.test>",
    subject: str = "Impossible de clôturer le mois",
    text: str | None = "Bonjour,\n\nLa clôture affiche « ERR-42 ».\n\nCordialement,\nA.",
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A realistic RFC 5322 message as a mail program writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Support <demandes@editeur.test>"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 19, 10, 0, tzinfo=PARIS))
    message["Message-ID"] = make_msgid(domain="client-a.test")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


def sent(now: datetime | None = None) -> int:
    return send_pending(now or datetime.now(tz=PARIS))


# --------------------------------------------------------------------------- outbox


def test_it_sends_the_acknowledgement_with_the_request_number(personas, smtp) -> None:
    request = file(personas)
    assert sent() == 1
    [message] = smtp.messages
    assert smtp.recipients() == [["user-a@client-a.test"]]
    assert request.number in subject_of(message)
    assert subject_of(message).startswith(f"[{request.number}] Accusé de réception")
    body = message.get_content()
    assert f"Votre demande {request.number} a été enregistrée le 19/11/2026 à 10:00" in body
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Message-ID"] == f"<{request.number}@editeur.test>"
    assert message["Reply-To"] == "demandes@editeur.test"
    assert message["Auto-Submitted"] == "auto-generated"
    row = OutgoingMail.objects.get(reason="acknowledgement")
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)
    assert sent() == 0  # never twice
    assert len(smtp.messages) == 1


def test_it_mails_state_changes_and_replies_threaded_under_the_request(personas, smtp) -> None:
    request = file(personas)
    tech = personas.technician
    services.take_in_charge(request, tech, at=at("2026-11-19 10:30"))
    services.qualify(request, tech, 2, at=at("2026-11-19 11:00"))
    services.comment(request, tech, "Pouvez-vous tester en V8 ?", at=at("2026-11-19 11:10"))
    services.comment(request, personas.user_a, "Note du client", at=at("2026-11-19 11:20"))
    # acknowledgement, pickup, qualification, the technician's reply to the client, and the
    # client's note notified to the technician in charge (his own pickup notifies nobody:
    # no team, no lead)
    assert sent() == 5
    subjects = [subject_of(m) for m in smtp.messages]
    assert subjects == [
        f"[{request.number}] Accusé de réception : La saisie des écritures plante",
        f"[{request.number}] Votre demande est prise en charge",
        f"[{request.number}] Votre demande est qualifiée",
        f"[{request.number}] Nouvelle réponse",
        f"[{request.number}] Nouveau message du client : La saisie des écritures plante",
    ]
    assert smtp.messages[4]["To"] == "tech@vendor.test"
    root = f"<{request.number}@editeur.test>"
    ids = {m["Message-ID"] for m in smtp.messages}
    assert len(ids) == 5
    for message in smtp.messages[1:]:
        assert message["In-Reply-To"] == root
        assert message["References"] == root
    assert "criticité 2" in smtp.messages[2].get_content()
    assert "Pouvez-vous tester en V8 ?" in smtp.messages[3].get_content()


def test_it_keeps_mail_pending_while_smtp_is_down_and_sends_it_once_back(personas, smtp) -> None:
    file(personas, "Première")
    file(personas, "Seconde")
    smtp.stop()
    t0 = datetime.now(tz=PARIS)
    assert send_pending(t0) == 0
    first, second = OutgoingMail.objects.order_by("pk")
    assert (first.status, first.attempts) == ("pending", 1)
    assert "Connection refused" in first.last_error or "Errno" in first.last_error
    # the run stopped at the first failure: the second row was not tried
    assert (second.status, second.attempts) == ("pending", 0)
    # back-off: the first row is not retried before one minute, the second one is tried now
    assert send_pending(t0 + timedelta(seconds=30)) == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 1)

    smtp.start()
    assert send_pending(t0 + timedelta(seconds=45)) == 0  # both still waiting
    assert len(smtp.messages) == 0
    assert send_pending(t0 + timedelta(minutes=2)) == 2  # delays elapsed: both sent
    assert send_pending(t0 + timedelta(hours=5)) == 0
    subjects = sorted(subject_of(m) for m in smtp.messages)
    assert len(subjects) == 2  # none lost, none twice
    assert "Première" in subjects[0] and "Seconde" in subjects[1]
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {"sent"}
    first.refresh_from_db()
    assert (first.attempts, first.last_error) == (2, "")


def test_it_gives_up_after_eight_attempts_and_logs_it(personas, smtp, caplog) -> None:
    file(personas)
    smtp.stop()
    now = datetime.now(tz=PARIS)
    with caplog.at_level(logging.WARNING, logger="livret.mail"):
        for _ in range(MAX_ATTEMPTS + 2):
            send_pending(now)
            now += timedelta(hours=2)
    row = OutgoingMail.objects.get()
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.last_error
    assert any(r.levelno == logging.ERROR and "failed after 8" in r.message for r in caplog.records)


def test_it_reclaims_a_mail_left_sending_by_a_dead_worker(personas, smtp) -> None:
    """Issue 13, item 16: a claim is a lease; a crash delays a mail by less than 2 minutes."""
    request = file(personas)
    now = datetime.now(tz=PARIS)
    stuck = OutgoingMail.objects.get()
    recent = OutgoingMail.objects.create(
        thread=request.number,
        to=["user-a@client-a.test"],
        subject=f"[{request.number}] En cours d'envoi",
        body="…",
        reason="state",
        created_at=now,
    )
    OutgoingMail.objects.filter(pk=stuck.pk).update(
        status="sending", attempts=1, claimed_at=now - timedelta(minutes=3)
    )
    OutgoingMail.objects.filter(pk=recent.pk).update(
        status="sending", attempts=1, claimed_at=now - timedelta(seconds=30)
    )
    assert send_pending(now) == 1
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)
    assert (recent.status, recent.attempts) == ("sending", 1)  # its worker may still be alive
    assert [subject_of(m) for m in smtp.messages] == [stuck.subject]


class SlowCollector(Collector):
    """An SMTP server that takes ``delay`` seconds to accept each message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.django_db(transaction=True)
def test_a_live_sender_renews_its_lease_so_no_other_worker_sends_its_mail(
    personas, smtp, monkeypatch
) -> None:
    """Issue 13, item 16: a slow SMTP server keeps the row with the worker sending it."""
    from django.db import connection

    monkeypatch.setattr(outbox, "LEASE", timedelta(seconds=0.6))
    monkeypatch.setattr(outbox, "RENEW_EVERY", timedelta(seconds=0.1))
    smtp.collector = smtp.controller.handler = SlowCollector(delay=2.0)  # next connections
    file(personas)
    results: list[int] = []

    def first_worker() -> None:
        try:
            results.append(send_pending(timezone.now()))
        finally:
            connection.close()

    sending = threading.Thread(target=first_worker)
    sending.start()
    time.sleep(1.2)  # two leases: without renewal the row would look abandoned
    assert OutgoingMail.objects.get().status == "sending"
    assert send_pending(timezone.now()) == 0  # the second worker leaves it alone
    sending.join()
    assert results == [1]
    assert len(smtp.messages) == 1
    assert OutgoingMail.objects.get().status == "sent"


def test_it_fails_a_row_that_cannot_be_a_message_and_sends_the_others(personas, smtp) -> None:
    request = file(personas)
    broken = OutgoingMail.objects.create(
        thread=request.number,
        to=["user-a@client-a.test"],
        subject="Objet\nBcc: victime@ailleurs.test",  # header injection: never sent
        body="…",
        reason="state",
        created_at=request.registered_at,
    )
    assert sent() == 1
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == ("failed", 1)
    assert "BadHeaderError" in broken.last_error
    assert smtp.recipients() == [["user-a@client-a.test"]]


def test_it_runs_the_outbox_as_a_worker_job(personas, smtp) -> None:
    from livret.ops.worker import Worker, installed_jobs

    jobs = installed_jobs()
    assert [j.name for j in jobs].count("mail") == 1
    file(personas)
    job = next(j for j in jobs if j.name == "mail")
    Worker(jobs=[job]).run_due()
    assert len(smtp.messages) == 1


# --------------------------------------------------------------------------- mail gate


def test_it_files_a_request_from_a_known_sender_with_its_attachment(personas, smtp) -> None:
    message = mail(subject="Impossible de clôturer le mois")
    message.add_attachment(PDF, maintype="application", subtype="octet-stream", filename="x.txt")
    result = ingest(message.as_bytes(), now=at("2026-11-19 10:05"))
    assert (result.outcome, result.action) == ("created", "filed")
    request = Request.objects.get()
    assert result.request_number == request.number
    assert (request.channel, request.kind, request.state) == ("email", "anomaly", "registered")
    assert request.title == "Impossible de clôturer le mois"
    assert "La clôture affiche « ERR-42 »." in request.description
    assert request.filer == personas.user_a
    assert request.filer_email == "user-a@client-a.test"
    assert request.contract == personas.client_a.contracts.get()
    attachment = Attachment.objects.get()
    assert (attachment.request, attachment.filename) == (request, "x.txt")
    assert attachment.content_type == "application/pdf"  # sniffed from the bytes, not the name
    assert attachment.size == len(PDF)
    received = request.events.get(kind="mail-received")
    assert received.data["message_id"] == message["Message-ID"]
    assert received.data["channel_in_offer"] is False  # Q's booklet lists portal and phone
    assert "ne prévoit pas le canal e-mail" in received.data["note"]
    assert list(request.events.values_list("kind", flat=True)) == [
        "registered",
        "mail-received",
        "attachment",
    ]
    assert sent() == 1
    [ack] = smtp.messages
    assert request.number in subject_of(ack)
    assert smtp.recipients() == [["user-a@client-a.test"]]


def test_it_drops_control_characters_from_a_mailed_subject(personas) -> None:
    """issue 13, item 9: filing refuses control characters in a title; the gate drops them
    from the subject instead of ignoring the mail."""
    result = ingest(mail(subject="Clôture\x07 du mois").as_bytes(), now=at("2026-11-19 10:05"))
    assert result.outcome == "created"
    assert Request.objects.get().title == "Clôture du mois"


def test_it_files_a_message_delivered_twice_only_once(personas) -> None:
    raw = mail().as_bytes()
    assert ingest(raw).outcome == "created"
    again = ingest(raw)
    assert (again.outcome, again.reason) == ("ignored", "duplicate Message-ID")
    assert Request.objects.count() == 1


REPLY = """Voici la version : V8.2.

Le jeu. 19 nov. 2026 à 10:30, Support Quadra <demandes@editeur.test> a écrit :
> Bonjour,
>
> Quelle version utilisez-vous ?
"""


def test_it_threads_a_reply_by_the_number_in_its_subject_as_a_comment(personas, smtp) -> None:
    request = file(personas)
    reply = mail(subject=f"RE: [{request.number}] Accusé de réception", text=REPLY)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    reply.add_attachment(png, maintype="image", subtype="png", filename="ecran.png")
    reply.add_attachment(PDF, maintype="application", subtype="pdf")  # no file name
    result = ingest(reply.as_bytes())
    assert (result.outcome, result.action, result.request_number) == (
        "threaded",
        "comment",
        request.number,
    )
    assert Request.objects.count() == 1
    comment = Comment.objects.get(request=request)
    assert comment.body == "Voici la version : V8.2."
    assert comment.author == personas.user_a
    assert list(Attachment.objects.values_list("filename", "content_type")) == [
        ("ecran.png", "image/png"),
        ("piece-jointe.pdf", "application/pdf"),
    ]
    assert "attachment" in request.events.values_list("kind", flat=True)


def test_it_threads_a_reply_as_the_clients_answer_when_the_request_waits(personas) -> None:
    request = file(personas)
    tech = personas.technician
    services.take_in_charge(request, tech, at=at("2026-11-19 10:20"))
    services.ask_client(request, tech, "Quelle version ?", at=at("2026-11-19 10:30"))
    # the subject was changed by the user: the In-Reply-To header still threads it
    reply = mail(
        subject="ma version",
        text=REPLY,
        headers={"In-Reply-To": f"<{request.number}.7@editeur.test>"},
    )
    result = ingest(reply.as_bytes(), now=at("2026-11-19 11:00"))
    assert (result.outcome, result.action) == ("threaded", "client-answer")
    request.refresh_from_db()
    assert request.state == State.TAKEN_IN_CHARGE
    answered = request.events.get(kind="client-answered")
    assert answered.data["text"] == "Voici la version : V8.2."


def test_it_refuses_an_unknown_sender_politely_and_creates_nothing(personas, smtp) -> None:
    raw = mail(sender="Inconnu <quelquun@ailleurs.test>", subject="Au secours").as_bytes()
    result = ingest(raw)
    assert (result.outcome, result.reason) == ("refused", "unknown-sender")
    assert not Request.objects.exists()
    assert sent() == 1
    [refusal] = smtp.messages
    assert smtp.recipients() == [["quelquun@ailleurs.test"]]
    assert subject_of(refusal) == REFUSAL_SUBJECT
    assert refusal["Auto-Submitted"] == "auto-replied"
    body = refusal.get_content()
    assert body.startswith("Bonjour,")
    assert "« Au secours »" in body and "Aucune demande n'a été créée" in body
    # a second message within the hour: no second refusal (no mail loop)
    assert ingest(raw.replace(b"Au secours", b"Encore")).outcome == "refused"
    assert OutgoingMail.objects.filter(reason="refusal").count() == 1


def test_it_refuses_a_vendor_address_and_an_inactive_user(personas) -> None:
    personas.user_b.is_active = False
    personas.user_b.save()
    for sender in ("tech@vendor.test", "user-b@client-b.test"):
        assert ingest(mail(sender=sender).as_bytes()).outcome == "refused"
    assert not Request.objects.exists()


def test_it_files_a_new_request_when_the_number_is_another_clients(personas) -> None:
    theirs = services.file_request(
        filer=personas.user_b,
        contract=personas.client_b.contracts.get(),
        new=anomaly("Chez B"),
        at=at("2026-11-19 09:00"),
    )
    raw = mail(subject=f"RE: [{theirs.number}] Accusé de réception", text="Bonjour").as_bytes()
    result = ingest(raw)
    assert (result.outcome, result.action) == ("created", "filed")
    assert result.request_number != theirs.number
    mine = Request.objects.get(number=result.request_number)
    assert mine.client == personas.client_a
    assert not Comment.objects.filter(request=theirs).exists()
    assert theirs.events.count() == 1  # untouched


def test_it_reads_an_html_only_mail(personas) -> None:
    html = (
        "<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<p>Bonjour,</p><p>L&#39;export <b>FEC</b> &eacute;choue&nbsp;:<br>ERR-42</p>"
        "<script>alert(1)</script></body></html>"
    )
    result = ingest(mail(text=None, html=html).as_bytes())
    assert result.outcome == "created"
    description = Request.objects.get().description
    assert "<" not in description and "alert" not in description and "color" not in description
    assert "L'export FEC échoue" in description and "ERR-42" in description


def test_it_prefers_the_text_part_of_a_multipart_alternative(personas) -> None:
    ingest(mail(text="Texte brut", html="<p>Version HTML</p>").as_bytes())
    assert Request.objects.get().description == "Texte brut"


def test_it_never_raises_on_garbage(personas) -> None:
    samples = [
        b"",
        b"\x00\xff\xfe garbage \x80\x81",
        bytes(range(256)) * 4,
        b"Subject: =?utf-8?b?////?=\r\n\r\nno sender",
        b"From: <<<@@>>>\r\nSubject: x\r\n\r\nbody",
        b"From: nobody\r\n\r\nbody",
    ]
    for raw in samples:
        assert ingest(raw).outcome == "unparsable", raw
    broken = (
        b"From: user-a@client-a.test\r\nSubject: =?utf-8?q?caf=C3?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain; charset=unknown-8bit\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64\xff\r\n"
        b"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n"
    )
    result = ingest(broken)  # unterminated multipart, bad charset and base64: still filed
    assert result.outcome == "created", result
    assert Request.objects.count() == 1


def test_it_ignores_automatic_replies(personas, smtp) -> None:
    request = file(personas)
    out_of_office = mail(
        subject=f"Réponse automatique : [{request.number}] Accusé de réception",
        text="Je suis absent jusqu'au 30 novembre.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    result = ingest(out_of_office.as_bytes())
    assert result.outcome == "ignored"
    own = mail(sender="demandes@editeur.test", subject="boucle")
    assert ingest(own.as_bytes()).outcome == "ignored"
    assert not Comment.objects.exists()
    bounce = mail(sender="MAILER-DAEMON@client-a.test", subject="Undelivered Mail")
    assert ingest(bounce.as_bytes()).outcome == "ignored"
    assert not OutgoingMail.objects.filter(reason="refusal").exists()


def test_it_strips_quoted_text_of_common_mail_programs() -> None:
    gmail = (
        "D'accord, merci.\n\n"
        "Le jeu. 19 nov. 2026 à 10:30, Support <s@e.test>\na écrit :\n\n> Bonjour"
    )
    outlook = "Merci.\n\n-----Message d'origine-----\nDe : Support\nObjet : [DEM-2026-000001]"
    english = "Thanks.\n\nOn Thu, Nov 19, 2026 at 10:30 AM Support <s@e.test> wrote:\n> Hi"
    assert strip_quoted(gmail) == "D'accord, merci."
    assert strip_quoted(outlook) == "Merci."
    assert strip_quoted(english) == "Thanks."
    assert strip_quoted("> tout cité") == ""


# --------------------------------------------------------------------------- command


@pytest.mark.slow
def test_it_exits_with_the_codes_an_mta_understands(tmp_path, smtp, monkeypatch) -> None:
    fresh = tmp_path / "unmigrated"
    fresh.mkdir()
    unknown = mail(sender="quelquun@ailleurs.test", subject="Bonjour").as_string()
    result = run_livret("mail", "ingest", data_dir=fresh, stdin=unknown)
    assert result.returncode == 75, result.stderr  # EX_TEMPFAIL: the MTA will retry
    assert "Traceback" not in result.stderr

    data = tmp_path / "data"
    data.mkdir()
    migrate = run_livret("manage", "migrate", "--no-input", data_dir=data)
    assert migrate.returncode == 0, migrate.stderr
    result = run_livret("mail", "ingest", data_dir=data, stdin=unknown)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused")
    for garbage in ("", "pas un message\n", "\x00\x01\x02"):
        result = run_livret("mail", "ingest", data_dir=data, stdin=garbage)
        assert result.returncode == 2, (garbage, result.stderr)
        assert "Traceback" not in result.stderr

    monkeypatch.setenv("LIVRET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LIVRET_SMTP_PORT", str(smtp.port))
    result = run_livret("mail", "send-pending", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sent 1 mail(s)"
    assert smtp.recipients() == [["quelquun@ailleurs.test"]]
    assert subject_of(smtp.messages[0]) == REFUSAL_SUBJECT
