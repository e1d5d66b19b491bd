"""Messages and informative events on a request (SPEC REQ-11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.errors import NotAllowed, ServiceError
from livret.support.models import Comment, CommentKind, Request
from livret.support.services.clocks import save_with_deadlines
from livret.support.services.staff import notify_client_reply
from livret.support.services.trail import (
    locked,
    mail_about,
    non_empty,
    record_event,
    require_client_of,
)
from livret.tenants.access import is_vendor


@transaction.atomic
def comment(
    request: Request,
    author: User,
    body: str,
    *,
    internal: bool = False,
    kind: str = "reply",
    at: datetime | None = None,
) -> Comment:
    """A message on the request; internal notes and phone-call notes are the vendor's."""
    require_client_of(author, request)
    non_empty(body, "body")
    if internal and not is_vendor(author):
        raise NotAllowed("vendor-only", "seul l'éditeur écrit des notes internes")
    if kind not in CommentKind.values:
        raise ServiceError("invalid", f"type de message inconnu « {kind} »", field="kind")
    if kind == CommentKind.PHONE_CALL and not is_vendor(author):
        raise NotAllowed("vendor-only", "seul l'éditeur note un appel téléphonique")
    at = at or timezone.now()
    request = locked(request)
    note = Comment.objects.create(
        request=request, author=author, kind=kind, body=body, internal=internal, created_at=at
    )
    record_event(
        request,
        "comment",
        author,
        at,
        {"comment": note.pk, "internal": internal},
        visible_to_client=not internal,
    )
    save_with_deadlines(request, at)
    if not internal and is_vendor(author):
        subject = "Compte rendu d'appel" if kind == CommentKind.PHONE_CALL else "Nouvelle réponse"
        mail_about(request, "reply", subject, body)
    elif not is_vendor(author):
        notify_client_reply(request, author, body, at)
    return note


@transaction.atomic
def note(
    request: Request,
    kind: str,
    data: dict[str, Any],
    *,
    actor: User | None = None,
    at: datetime | None = None,
    visible_to_client: bool = True,
) -> Request:
    """Append an informative event (mail received, …) to the audit trail; no state change."""
    at = at or timezone.now()
    request = locked(request)
    record_event(request, kind, actor, at, data, visible_to_client=visible_to_client)
    save_with_deadlines(request, at)
    return request
