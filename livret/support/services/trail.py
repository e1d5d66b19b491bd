"""The steps every state change of a request shares (SPEC REQ-11).

Who may act on a request, locking it, checking the state it is in, appending an event to its
hash-chained audit trail, and queueing a mail about it in the same transaction (the worker
sends it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from livret.core.audit import CURRENT_VERSION, GENESIS, EventFields, event_hash, hashed_content
from livret.errors import NotAllowed, ServiceError, WrongState
from livret.mail.services import queue_mail
from livret.support import search
from livret.support.models import Request, RequestEvent, State
from livret.tenants.access import display_name, full_names, is_vendor, membership
from livret.text import refuse_control_characters


def require_client_of(user: User, request: Request) -> None:
    """Refuse (:class:`NotAllowed`) anyone but the request's client's members and vendor staff."""
    member = membership(user)
    if not (member and member.client_id == request.client_id) and not is_vendor(user):
        raise NotAllowed("not-your-request", "cette demande n'est pas celle de votre organisation")


def actor_label(user: User) -> str:
    """How the trail names an actor: "livret" for the system, vendor staff marked as such."""
    if user is None:
        return "livret"
    name = display_name(user)
    return f"{name} (éditeur)" if is_vendor(user) else name


def record_event(
    request: Request,
    kind: str,
    actor: User,
    at: datetime,
    data: dict[str, Any] | None = None,
    *,
    visible_to_client: bool = True,
) -> RequestEvent:
    """Append one event to the request's chain (REQ-11); its text, if any, becomes searchable."""
    event = RequestEvent(
        request=request,
        seq=request.event_count + 1,
        at=at,
        kind=kind,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label(actor),
        data=data or {},
        visible_to_client=visible_to_client,
        prev_hash=request.last_event_hash or GENESIS,
        hash_version=CURRENT_VERSION,
    )
    event.hash = event_hash(event.prev_hash, event_payload(event))
    event.save(force_insert=True)
    request.event_count = event.seq
    request.last_event_hash = event.hash
    search.index_after(request, event)  # the words it is found by, in the same transaction
    return event


def _hashed_instant(at: datetime) -> str:
    # The database gives instants back in UTC: hash them in UTC, to the microsecond.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_payload(event: RequestEvent) -> dict[str, Any]:
    """The hashed content of an event, in the formula of its ``hash_version`` (what
    ``livret audit verify`` re-hashes): every stored field from version 2 on (REQ-11)."""
    fields = EventFields(
        request=event.request.number if hasattr(event, "request") else None,
        seq=event.seq,
        at=_hashed_instant(event.at),
        kind=event.kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        data=event.data,
        visible_to_client=event.visible_to_client,
    )
    return hashed_content(fields, event.hash_version)


def mail_about(
    request: Request, reason: str, subject: str, body: str, to: list[str] | None = None
) -> None:
    """Queue a mail about the request (to its filer unless ``to`` says otherwise), with its link;
    it greets its readers by name and is signed by the contract's vendor."""
    if to is None:
        recipients = [request.filer_email or request.filer.email]
        names = [request.filer.get_full_name()]
    else:
        recipients = to
        names = full_names(to)
    recipients = [r for r in recipients if r]
    if not recipients:
        return
    queue_mail(
        recipients,
        f"[{request.number}] {subject}",
        f"{body}\n\n{settings.SITE_URL}/demandes/{request.number}/\n",
        reason=reason,
        thread=request.number,
        names=names,
        vendor=request.contract.offer_version.vendor,
    )


def locked(request: Request) -> Request:
    """The request re-read under a row lock, for one change at a time."""
    # Serialise changes to one request (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    # transactions already serialise writers).
    return (
        Request.objects.select_for_update().select_related("contract", "filer").get(pk=request.pk)
    )


def expect_state(request: Request, *states: object, action: str) -> None:
    """Refuse (:class:`WrongState`) the ``action`` unless the request is in one of ``states``."""
    if request.state not in states:
        allowed = ", ".join(str(State(s).label) for s in states)
        raise WrongState(
            "wrong-state",
            f"impossible de {action} : la demande est « {State(request.state).label} » "
            f"(possible depuis : {allowed})",
        )


def non_empty(text: str, field: str) -> None:
    """Refuse a blank text for ``field``, or one with control characters (issue 13; a
    multi-line text: line breaks and tabs allowed)."""
    if not (text or "").strip():
        raise ServiceError("invalid", f"le champ {field} est obligatoire", field=field)
    refuse_control_characters(text, field, f"le champ {field}", multiline=True)
