"""Queue an outgoing mail: the one way every app writes to the outbox (docs/decisions/0007)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from livret.errors import ServiceError
from livret.mail.letters import letter
from livret.mail.models import OutgoingMail

# Every character Python's str.splitlines() breaks a line on, with the blanks around it.
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def is_address(address: str) -> bool:
    """A well-formed e-mail address (``name@domain.tld``, no display name)."""
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def one_line(subject: str) -> str:
    """``subject`` on one line: each line break (with the blanks around it) folded into a space.

    A header holding CR or LF is refused by Django when the mail is sent (header injection), so
    a subject is folded before it is queued and such a mail never fails.
    """
    return _LINE_BREAKS.sub(" ", subject).strip()


def queue_mail(
    to: list[str],
    subject: str,
    body: str,
    *,
    reason: str,
    thread: str | None = None,
    now: datetime | None = None,
    names: Sequence[str] = (),
    vendor: str | None = None,
) -> OutgoingMail:
    """Write a ``pending`` outbox row; the worker's ``mail`` job sends it (``livret.mail.outbox``).

    Call it inside the transaction of the change the mail reports: the row is written
    atomically with that change, so a change that rolls back sends nothing, and nothing is sent
    before the commit (the sender reads committed rows only). ``reason`` says why the mail
    exists (``acknowledgement``, ``refusal``, ``sla-warning``…); ``thread`` (a request number)
    gives the mail its conversation's threading headers. ``now`` is the row's creation time
    (default: now). The subject is folded onto one line (:func:`one_line`).

    The body is the message itself: the mail greets ``names`` (the recipients' full names:
    "Bonjour Jean Martin,", or "Bonjour," when none is known) and is signed by ``vendor`` (the
    contract's vendor; default LIVRET_VENDOR_NAME), by :func:`livret.mail.letters.letter`.

    Raises ServiceError (field ``to``) when there is no recipient or one is not a well-formed
    address.
    """
    row = _row(to, subject, letter(body, names=names, vendor=vendor), reason, thread, now)
    row.save(force_insert=True)
    return row


def queue_mails(
    mails: Sequence[tuple[list[str], str, str]],
    *,
    reason: str,
    thread: str | None = None,
    now: datetime | None = None,
) -> list[OutgoingMail]:
    """:func:`queue_mail` for several mails (to, subject, body) of one reason, in one INSERT:
    each is checked the same way, and none is written if one is refused. Each body is already
    a whole letter (:func:`livret.mail.letters.letter`), as the notifications write theirs."""
    rows = [_row(to, subject, body, reason, thread, now) for to, subject, body in mails]
    return OutgoingMail.objects.bulk_create(rows)


def _row(
    to: list[str], subject: str, body: str, reason: str, thread: str | None, now: datetime | None
) -> OutgoingMail:
    if not to:
        raise ServiceError("invalid", "Destinataires : au moins une adresse requise", field="to")
    for address in to:
        if not is_address(address):
            raise ServiceError(
                "invalid", f"Destinataires : adresse mal formée « {address} »", field="to"
            )
    return OutgoingMail(
        thread=thread or "",
        to=list(to),
        subject=one_line(subject),
        body=body,
        reason=reason,
        created_at=now or timezone.now(),
    )
