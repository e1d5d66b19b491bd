"""The mail gate: requests and replies that arrive by e-mail (SPEC REQ-1, REQ-2).

An MTA pipes each message to ``livret mail ingest``, which calls :func:`ingest`:

- the sender is the ``From`` address; it must be the e-mail of one active user with a client
  membership, otherwise a polite refusal is queued to the sender and nothing is created;
- a subject (or, failing that, ``In-Reply-To``/``References``) carrying the number of a request
  the sender may see threads the message into that request: the client's answer when the
  request waits for the client, a comment otherwise; quoted text is removed;
- any other message files a new anomaly on the e-mail channel (a number of another client is
  just text: a new request is filed, nothing leaks);
- every attachment is kept; garbled input returns a result with a reason, never a traceback.

Database errors are not caught here: the command turns them into EX_TEMPFAIL so the MTA
delivers the message again later. The whole ingestion is one transaction, so a retried
message never leaves half a request behind, and the ``Message-ID`` is remembered in the
request's audit trail so a message delivered twice is filed once.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.errors import ServiceError
from livret.mail.models import OutgoingMail
from livret.mail.outbox import gate_address
from livret.mail.services import is_address, queue_mail
from livret.support import access, services
from livret.support.models import Request, RequestEvent, State
from livret.support.services import NewRequest
from livret.tenants.models import Contract
from livret.text import without_control_characters

log = logging.getLogger("livret.mailgate")

NUMBER = re.compile(r"\bDEM-\d{4}-\d{6,}\b", re.IGNORECASE)
MAX_TITLE = 200
REFUSAL_SUBJECT = "Votre message n'a pas pu être enregistré"
# One refusal per address and hour at most: a refusal never feeds a mail loop.
REFUSAL_QUIET = timedelta(hours=1)


@dataclass
class IngestResult:
    """What the gate did with one message.

    ``outcome``: ``created`` (new request), ``threaded`` (comment or client answer),
    ``refused`` (unknown sender, refusal queued), ``ignored`` (automatic reply, duplicate,
    empty reply) or ``unparsable`` (no usable sender; the command exits 2).
    """

    outcome: str
    reason: str = ""
    sender: str = ""
    request_number: str | None = None
    action: str = ""  # "filed", "comment" or "client-answer"
    attachments: list[str] = field(default_factory=list)
    skipped_attachments: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the MTA's log."""
        parts = [self.outcome]
        if self.request_number:
            parts.append(self.request_number)
        if self.action:
            parts.append(self.action)
        if self.sender:
            parts.append(f"from {self.sender}")
        if self.attachments:
            parts.append(f"{len(self.attachments)} attachment(s)")
        if self.skipped_attachments:
            parts.append(f"{len(self.skipped_attachments)} attachment(s) refused")
        if self.reason:
            parts.append(f"({self.reason})")
        return " ".join(parts)


# --------------------------------------------------------------------------- parsing


@dataclass
class Parsed:
    sender: str
    subject: str
    message_id: str
    references: str
    text: str
    attachments: list[tuple[str, bytes]]
    automatic: str  # why this is an automatic message ("" for a person's mail)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # garbled header: the parser keeps it, reading it may fail
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _sender(message: Message) -> str:
    try:
        header = message.get("From")
        addresses = getattr(header, "addresses", ())
    except Exception:
        return ""
    for address in addresses:
        spec = (address.addr_spec or "").strip()
        if is_address(spec):  # well-formed: a refusal can be queued to it
            return spec.lower()
    return ""


def _automatic(message: Message, sender: str) -> str:
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-reply header"
    if sender in _own_addresses():
        return f"sent by livret itself ({sender})"
    local = sender.partition("@")[0]
    if local in ("mailer-daemon", "postmaster") or local.startswith(("noreply", "no-reply")):
        return f"automatic sender {sender}"
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        return "delivery report"
    return ""


def _own_addresses() -> set[str]:
    from django.conf import settings

    own = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), gate_address().lower()}
    return own - {""}


def _attachment_name(filename: str | None, content_type: str) -> str:
    if filename:
        return filename
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"piece-jointe{extension}"


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(self.skip - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body (tags dropped, entities decoded)."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces
        return re.sub(r"<[^>]*>", " ", html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except Exception:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        content = payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        return content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else ""


def _parts(message: Message) -> tuple[str, list[tuple[str, bytes]]]:
    """The text of the body (text/plain preferred, else HTML stripped) and the attachments."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[tuple[str, bytes]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except Exception:
            disposition, filename = None, None
        if (
            disposition == "attachment"
            or (filename and disposition != "inline")
            or (filename and not content_type.startswith("text/"))
        ):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                attachments.append((_attachment_name(filename, content_type), payload))
            continue
        if content_type == "text/plain":
            plain.append(_content(part))
        elif content_type == "text/html":
            html.append(_content(part))
        elif not content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                attachments.append((_attachment_name(filename, content_type), payload))
    text = "\n\n".join(t.strip() for t in plain if t.strip())
    if not text:
        text = "\n\n".join(html_to_text(h) for h in html if h.strip())
    return text.replace("\r\n", "\n").strip(), attachments


def parse(raw: bytes) -> Parsed | None:
    """The parts of a message the gate uses; None when it has no usable sender."""
    try:
        message = BytesParser(policy=default_policy).parsebytes(raw)
    except Exception:
        return None
    sender = _sender(message)
    if not sender:
        return None
    try:
        text, attachments = _parts(message)
    except Exception:
        log.warning("mail from %s: body unreadable", sender, exc_info=True)
        text, attachments = "", []
    return Parsed(
        sender=sender,
        subject=_header(message, "Subject"),
        message_id=_header(message, "Message-ID")[:500],
        references=f"{_header(message, 'In-Reply-To')} {_header(message, 'References')}",
        text=text,
        attachments=attachments,
        automatic=_automatic(message, sender),
    )


_ATTRIBUTION = re.compile(r"^(le|on)\b.*(a écrit|wrote)\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"^.*(a écrit|wrote)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(message d'origine|original message|message transféré|forwarded message)",
    re.IGNORECASE,
)


def strip_quoted(text: str) -> str:
    """A reply without the quoted message: ``>`` lines and the « Le … a écrit : » line."""
    kept: list[str] = []
    for line in text.splitlines():
        if _ORIGINAL.match(line):
            break  # Outlook-style: everything below is the previous message
        if line.lstrip().startswith(">"):
            continue
        if _ATTRIBUTION.match(line.strip()):
            continue
        if (
            _ATTRIBUTION_END.match(line.strip())
            and kept
            and kept[-1].strip().lower().startswith(("le ", "on "))
        ):
            kept.pop()  # an attribution wrapped over two lines
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


# --------------------------------------------------------------------------- decisions


def _sender_user(address: str) -> tuple[Any, str]:
    """The one active client user with this address, or None and why not."""
    users = list(
        get_user_model()
        .objects.filter(
            email__iexact=address,
            is_active=True,
            membership__client__isnull=False,
            membership__client__active=True,
        )
        .select_related("membership")
        .order_by("pk")
    )
    if not users:
        return None, "unknown-sender"
    if len({u.membership.client_id for u in users}) > 1:
        return None, "ambiguous-sender"
    return users[0], ""


def _thread_target(user: User, parsed: Parsed) -> Request | None:
    """The request the message answers: a number in the subject, else in the references."""
    visible = access.visible_requests(user)
    for source in (parsed.subject, parsed.references):
        for number in NUMBER.findall(source):
            found = visible.filter(number=number.upper()).first()
            if found is not None:
                return found
    return None


def email_contract(client_id: int) -> tuple[Contract | None, bool]:
    """The client's contract whose offer takes e-mail requests, else its first contract.

    The second value tells whether the offer lists the e-mail channel (the seeds' offers list
    portal and phone only: the request is accepted anyway and the gap noted in the trail).
    """
    contracts = list(
        Contract.objects.filter(client_id=client_id)
        .select_related("offer_version")
        .order_by("start_date", "pk")
    )
    for contract in contracts:
        support = contract.offer_version.offer.support
        if support is not None and "email" in support.channels:
            return contract, True
    return (contracts[0], False) if contracts else (None, False)


def _already_ingested(client_id: int, message_id: str) -> Request | None:
    if not message_id:
        return None
    event = (
        RequestEvent.objects.filter(
            kind="mail-received", request__client_id=client_id, data__message_id=message_id
        )
        .select_related("request")
        .first()
    )
    return event.request if event else None


def _note(request: Request, kind: str, data: dict[str, Any], at: datetime) -> None:
    """Append a gate event to the request's audit trail."""
    services.note(request, kind, data, at=at)


def _attach(
    request: Request, user: User, parsed: Parsed, at: datetime, result: IngestResult
) -> None:
    for filename, content in parsed.attachments:
        try:
            attachment = services.add_attachment(request, user, filename, content, at=at)
        except ServiceError as error:
            result.skipped_attachments.append(f"{filename}: {error.message}")
            _note(
                request,
                "mail-attachment-refused",
                {"filename": filename[:255], "size": len(content), "reason": error.message},
                at,
            )
        else:
            result.attachments.append(attachment.filename)


def _attachment_line(parsed: Parsed) -> str:
    names = ", ".join(name for name, _ in parsed.attachments)
    return f"(pièces jointes : {names})" if names else ""


def _file_new(user: User, parsed: Parsed, at: datetime, result: IngestResult) -> None:
    contract, listed = email_contract(user.membership.client_id)
    if contract is None:
        raise _Refuse("no-contract")
    # A mail is cleaned, not refused, of control characters (issue 13).
    subject = without_control_characters(parsed.subject, multiline=False)
    title = " ".join(subject.split()) or "(sans objet)"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    text = without_control_characters(parsed.text, multiline=True)
    description = text or _attachment_line(parsed) or "(message sans texte)"
    request = services.file_request(
        filer=user,
        contract=contract,
        new=NewRequest(kind="anomaly", title=title, description=description),
        channel="email",
        at=at,
        filer_email=parsed.sender,
    )
    data: dict[str, Any] = {"message_id": parsed.message_id, "from": parsed.sender}
    if not listed:
        data["note"] = "le livret de cette offre ne prévoit pas le canal e-mail ; demande acceptée"
        data["channel_in_offer"] = False
    _note(request, "mail-received", data, at)
    _attach(request, user, parsed, at, result)
    result.request_number = request.number
    result.action = "filed"


def _thread(
    request: Request, user: User, parsed: Parsed, at: datetime, result: IngestResult
) -> None:
    text = strip_quoted(parsed.text) or parsed.text or _attachment_line(parsed)
    text = without_control_characters(text, multiline=True)
    result.request_number = request.number
    if not text:
        result.outcome, result.reason = "ignored", "empty-reply"
        return
    _note(request, "mail-received", {"message_id": parsed.message_id, "from": parsed.sender}, at)
    if request.state == State.WAITING_FOR_CLIENT:
        services.client_answers(request, user, text, at=at)
        result.action = "client-answer"
    else:
        services.comment(request, user, text, at=at)
        result.action = "comment"
    _attach(request, user, parsed, at, result)


class _Refuse(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_REFUSAL_WHY = {
    "unknown-sender": "votre adresse ne correspond à aucun utilisateur d'un client du support",
    "ambiguous-sender": "votre adresse correspond à plusieurs organisations clientes",
    "no-contract": "votre organisation n'a pas de contrat de support en cours",
}


def _refuse(parsed: Parsed, reason: str, now: datetime) -> bool:
    """Queue the polite refusal (at most one per address and hour); True if queued."""
    recent = OutgoingMail.objects.filter(
        reason="refusal", thread="", created_at__gte=now - REFUSAL_QUIET
    ).values_list("to", flat=True)
    if any(parsed.sender in (to or []) for to in recent):
        return False
    subject = parsed.subject or "(sans objet)"
    body = (
        f"Nous avons bien reçu votre message « {subject[:150]} », mais nous n'avons pas pu "
        f"l'enregistrer comme demande de support : {_REFUSAL_WHY.get(reason, reason)}.\n\n"
        "Aucune demande n'a été créée. Si vous êtes client, écrivez-nous depuis l'adresse "
        "e-mail de votre compte, ou déposez votre demande sur le portail :\n"
        f"{_site_url()}/\n\n"
        "Ceci est un message automatique ; merci de ne pas y répondre.\n"
    )
    queue_mail([parsed.sender], REFUSAL_SUBJECT, body, reason="refusal", now=now)
    return True


def _site_url() -> str:
    from django.conf import settings

    return str(settings.SITE_URL).rstrip("/")


# --------------------------------------------------------------------------- entry point


def ingest(raw: bytes, now: datetime | None = None) -> IngestResult:
    """Turn one RFC 5322 message into a new request, a reply, or a refusal.

    Never raises for bad input (the result says why); database errors propagate so that the
    caller can ask the MTA to retry.
    """
    now = now or timezone.now()
    parsed = parse(raw)
    if parsed is None:
        return IngestResult("unparsable", reason="no usable From address")
    result = IngestResult("created", sender=parsed.sender)
    if parsed.automatic:
        result.outcome, result.reason = "ignored", parsed.automatic
        log.info("mail from %s ignored: %s", parsed.sender, parsed.automatic)
        return result
    user, why = _sender_user(parsed.sender)
    try:
        with transaction.atomic():
            if user is None:
                raise _Refuse(why)
            duplicate = _already_ingested(user.membership.client_id, parsed.message_id)
            if duplicate is not None:
                result.outcome, result.reason = "ignored", "duplicate Message-ID"
                result.request_number = duplicate.number
                return result
            target = _thread_target(user, parsed)
            if target is not None:
                result.outcome = "threaded"
                _thread(target, user, parsed, now, result)
            else:
                _file_new(user, parsed, now, result)
    except _Refuse as refusal:
        queued = _refuse(parsed, refusal.reason, now)
        result = IngestResult(
            "refused",
            reason=refusal.reason if queued else f"{refusal.reason}; refusal already sent",
            sender=parsed.sender,
        )
        log.info("mail from %s refused: %s", parsed.sender, refusal.reason)
    except ServiceError as error:
        # A rule of the service refused the message (should not happen: the gate fills every
        # field); report it instead of a traceback. The transaction rolled back.
        log.warning("mail from %s not ingested: %s", parsed.sender, error.message)
        result = IngestResult("ignored", reason=error.message, sender=parsed.sender)
    return result
