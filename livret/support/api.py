"""Support requests over the JSON API (SPEC REQ-1..11, issue 4 "Interfaces").

Every route needs a caller (``livret.api.auth``). Handlers stay thin: parse, reach the object
through ``livret.support.access`` (another tenant's request, attachment or contract is 404,
never 403, so a number reveals nothing), call the service function, serialise. A refused
action is ``{"code", "message", "field"}`` with the service's status (400 bad value, 403 not
allowed for this role, 409 wrong state) and ``Http404`` becomes ``{"code": "not-found"}``, both
in ``livret.api.errors``. The bodies and answers are in ``livret.support.schemas``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from livret.api.auth import api_auth
from livret.api.errors import ERRORS, Error
from livret.errors import NotFound, ServiceError
from livret.support import idempotency, reports, search, services
from livret.support.access import (
    access_attachment,
    access_contract,
    access_request,
    visible_requests,
)
from livret.support.downloads import download_response
from livret.support.models import (
    Attachment,
    BillableProposal,
    Comment,
    Request,
    RequestEvent,
    State,
    queue_order,
)
from livret.support.schemas import (
    MAX_ID,
    AttachmentOut,
    CommentIn,
    CommentOut,
    EventOut,
    FixIn,
    NewRequestIn,
    OptionalReasonIn,
    PriorityIn,
    ProposalIn,
    ProposalOut,
    QualifyIn,
    QuestionIn,
    ReasonIn,
    RemoteSessionIn,
    RemoteSessionOut,
    RequestDetail,
    RequestFilters,
    RequestPage,
    TextIn,
)
from livret.support.services import NewRequest
from livret.tenants.access import is_vendor

logger = logging.getLogger(__name__)

router = Router(tags=["support"], auth=api_auth())

_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,32}$")


# --------------------------------------------------------------------------- plumbing


def _request(user: User, number: str) -> Request:
    if not _NUMBER.match(number):
        raise Http404("Aucune demande de ce numéro.")
    return access_request(user, number)


def _username(user: User) -> str | None:
    return user.get_username() if user is not None else None


def _summary(req: Request) -> dict[str, Any]:
    return {
        "number": req.number,
        "title": req.title,
        "kind": req.kind,
        "channel": req.channel,
        "state": req.state,
        "state_label": str(State(req.state).label),
        "priority": req.priority,
        "criticity": req.criticity,
        "client": req.client.slug,
        "contract_id": req.contract_id,
        "contract": req.contract.reference,
        "filer": _username(req.filer),
        "assignee": _username(req.assignee),
        "priority_line": req.priority_line,
        "billable": req.billable,
        "registered_at": _utc(req.registered_at),
        "picked_up_at": _utc(req.picked_up_at),
        "closed_at": _utc(req.closed_at),
        "next_deadline_at": _utc(req.next_deadline_at),
        "breached": req.breached,
    }


def _events(user: User, req: Request) -> list[RequestEvent]:
    events = req.events.all()
    if not is_vendor(user):
        events = events.filter(visible_to_client=True)
    return list(events)


def _event(event: RequestEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "actor": event.actor_label,
        "data": event.data,
        "visible_to_client": event.visible_to_client,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_by": _username(attachment.uploaded_by),
        "created_at": attachment.created_at,
        "url": f"/api/attachments/{attachment.pk}",
    }


def _comment(note: Comment) -> dict[str, Any]:
    return {
        "id": note.pk,
        "author": _username(note.author),
        "body": note.body,
        "internal": note.internal,
        "created_at": note.created_at,
    }


def _proposal(proposal: BillableProposal) -> dict[str, Any]:
    return {
        "service": proposal.service,
        "description": proposal.description,
        "amount_eur": proposal.amount_eur,
        "credits": proposal.credits,
        "created_at": proposal.created_at,
    }


def _utc(instant: datetime | None) -> datetime | None:
    return instant.astimezone(UTC) if instant is not None else None


def _detail(user: User, req: Request, *, new: bool = False) -> dict[str, Any]:
    """The full view of a request; ``new``: just filed, so no attachment, proposal or session
    can exist yet (three queries saved on the busiest route)."""
    now = timezone.now()
    all_events = list(req.events.all())
    state = services.sla_state(req, all_events)
    calendar = services.policy(req.contract).calendar if state.clocks else None
    clocks = []
    for clock in state.clocks.values():
        left = (
            int(clock.business_left(calendar, now).total_seconds())
            if calendar is not None and clock.running
            else None
        )
        clocks.append(
            {
                "clock": clock.clock.value,
                "allowed": clock.allowed.label_fr(),
                "started_at": _utc(clock.started_at),
                "due_at": _utc(clock.due_at),
                "running": clock.running,
                "paused_since": _utc(clock.paused_since),
                "stopped_at": _utc(clock.stopped_at),
                "met": clock.met(now),
                "business_seconds_left": left,
            }
        )
    vendor = is_vendor(user)
    proposal = None if new else getattr(req, "proposal", None)
    return {
        **_summary(req),
        "breached": [c.value for c in state.breached_clocks(now)],
        "description": req.description,
        "context": req.context,
        "error_messages": req.error_messages,
        "menu_path": req.menu_path,
        "not_an_anomaly": req.not_an_anomaly,
        "eligibility_issues": req.eligibility_issues,
        "deadlines": {
            "pickup": _utc(req.pickup_due_at),
            "action_plan": _utc(req.action_plan_due_at),
            "fix": _utc(req.fix_due_at),
            "validation": _utc(req.validation_due_at),
        },
        "clocks": clocks,
        "attachments": []
        if new
        else [
            _attachment(a)
            for a in req.attachments.select_related("uploaded_by").order_by("created_at", "pk")
        ],
        "proposal": _proposal(proposal) if proposal is not None else None,
        "remote_sessions": []
        if new
        else [
            {
                "id": s.pk,
                "technician": _username(s.technician),
                "starts_at": _utc(s.starts_at),
                "ends_at": _utc(s.ends_at),
            }
            for s in req.sessions.select_related("technician").order_by("starts_at", "pk")
        ],
        "events": [_event(e) for e in all_events if vendor or e.visible_to_client],
    }


def _act(
    request: HttpRequest, number: str, action: Callable[[Request, Any], object]
) -> dict[str, Any]:
    """Run one transition on a visible request and answer its new detail."""
    user = request.auth
    action(_request(user, number), user)
    return _detail(user, access_request(user, number))


# --------------------------------------------------------------------------- requests


@router.post(
    "/requests",
    response={201: RequestDetail, ERRORS: Error},
    openapi_extra={
        "parameters": [
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": False,
                "description": "files once per user and key for 24 hours (docs/api.md)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        ]
    },
)
def create_request(request: HttpRequest, payload: NewRequestIn) -> Status[dict[str, Any]]:
    """File a request (REQ-1, REQ-2) on one of your organisation's contracts; channel "api".

    With an ``Idempotency-Key`` header, the same key from the same user within 24 hours files
    nothing new and answers the first filing again (``livret.support.idempotency``).
    """
    user = request.auth
    key = idempotency.key_of(request.headers)
    if key is None:
        return Status(201, _file(user, payload)[1])

    def file() -> tuple[Request, dict[str, Any]]:
        filed, answer = _file(user, payload)
        return filed, RequestDetail.model_validate(answer).model_dump(mode="json")

    body = payload.model_dump(mode="json")
    return Status(201, idempotency.file_once(user, key, body, timezone.now(), file))


def _file(user: User, payload: NewRequestIn) -> tuple[Request, dict[str, Any]]:
    """File the request of ``payload``; return it with its answer."""
    contract = access_contract(user, payload.contract_id)
    filed = services.file_request(
        filer=user,
        contract=contract,
        channel="api",
        new=NewRequest(
            kind=payload.kind,
            title=payload.title,
            description=payload.description,
            context=payload.context,
            error_messages=payload.error_messages,
            menu_path=payload.menu_path,
            priority=payload.priority,
        ),
    )
    filed.client = contract.client  # already loaded with the contract
    return filed, _detail(user, filed, new=True)


@router.get("/requests", response={200: RequestPage, ERRORS: Error})
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    """The requests you may see, found by ``q`` if given (full-text search: clients never by
    a word of an internal note). Vendor staff get the technician queue order (REQ-9)."""
    user = request.auth
    vendor = is_vendor(user)
    found = visible_requests(user)
    if filters.state is not None:
        found = found.filter(state=filters.state)
    if filters.kind is not None:
        found = found.filter(kind=filters.kind)
    if filters.client:
        found = found.filter(client__slug=filters.client)
    if filters.mine:
        found = found.filter(assignee=user) if vendor else found.filter(filer=user)
    if filters.breached is not None:
        late = ~Q(breached=[]) | Q(next_deadline_at__lt=timezone.now())
        found = found.filter(late) if filters.breached else found.exclude(late)
    found = search.matching(found, filters.q or "", user)
    found = queue_order(found) if vendor else found.order_by("-registered_at", "-pk")
    page = found[filters.offset : filters.offset + filters.limit]
    return {
        "count": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_summary(r) for r in page],
    }


@router.get("/requests/{number}", response={200: RequestDetail, ERRORS: Error})
def get_request(request: HttpRequest, number: str) -> dict[str, Any]:
    """One request: deadlines, business time left per running clock, breaches, eligibility
    issues and the audit trail you may see (clients never see internal events)."""
    user = request.auth
    return _detail(user, _request(user, number))


@router.get("/requests/{number}/events", response={200: list[EventOut], ERRORS: Error})
def list_events(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """The hash-chained audit trail (REQ-11), as far as you may see it."""
    user = request.auth
    return [_event(e) for e in _events(user, _request(user, number))]


# --------------------------------------------------------------------------- transitions


@router.post("/requests/{number}/take", response={200: RequestDetail, ERRORS: Error})
def take(request: HttpRequest, number: str) -> dict[str, Any]:
    """Vendor: take the request in charge (stops the pickup clock, REQ-4)."""
    return _act(request, number, lambda r, u: services.take_in_charge(r, u))


@router.post("/requests/{number}/priority", response={200: RequestDetail, ERRORS: Error})
def set_priority(request: HttpRequest, number: str, payload: PriorityIn) -> dict[str, Any]:
    """Change the priority; the pickup deadline is recomputed from registration."""
    return _act(request, number, lambda r, u: services.set_priority(r, u, payload.priority))


@router.post("/requests/{number}/qualify", response={200: RequestDetail, ERRORS: Error})
def qualify(request: HttpRequest, number: str, payload: QualifyIn) -> dict[str, Any]:
    """Vendor: criticity 1, 2 or 3 starts REQ-6's clocks; null qualifies it as no anomaly."""
    return _act(request, number, lambda r, u: services.qualify(r, u, payload.criticity))


@router.post("/requests/{number}/action-plan", response={200: RequestDetail, ERRORS: Error})
def action_plan(request: HttpRequest, number: str, payload: TextIn) -> dict[str, Any]:
    """Vendor: the corrective action plan of a criticity-1 anomaly."""
    return _act(request, number, lambda r, u: services.deliver_action_plan(r, u, payload.text))


@router.post("/requests/{number}/fix", response={200: RequestDetail, ERRORS: Error})
def fix(request: HttpRequest, number: str, payload: FixIn) -> dict[str, Any]:
    """Vendor: a fix or a workaround; the client then validates or rejects it."""
    return _act(
        request,
        number,
        lambda r, u: services.deliver_fix(r, u, payload.text, workaround=payload.workaround),
    )


@router.post("/requests/{number}/ask", response={200: RequestDetail, ERRORS: Error})
def ask(request: HttpRequest, number: str, payload: QuestionIn) -> dict[str, Any]:
    """Vendor: ask the client for information (REQ-6b pauses the delivery clocks)."""
    return _act(request, number, lambda r, u: services.ask_client(r, u, payload.question))


@router.post("/requests/{number}/answer", response={200: RequestDetail, ERRORS: Error})
def answer(request: HttpRequest, number: str, payload: TextIn) -> dict[str, Any]:
    """Answer the vendor's question; the paused clocks resume."""
    return _act(request, number, lambda r, u: services.client_answers(r, u, payload.text))


@router.post("/requests/{number}/validate", response={200: RequestDetail, ERRORS: Error})
def validate(request: HttpRequest, number: str) -> dict[str, Any]:
    """Validate the delivered fix or workaround: the request is closed."""
    return _act(request, number, lambda r, u: services.validate(r, u))


@router.post("/requests/{number}/reject", response={200: RequestDetail, ERRORS: Error})
def reject(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    """Reject the delivery: back to qualified, the delivery clocks restart."""
    return _act(request, number, lambda r, u: services.reject(r, u, payload.reason))


@router.post("/requests/{number}/reopen", response={200: RequestDetail, ERRORS: Error})
def reopen(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    """Reopen a closed request."""
    return _act(request, number, lambda r, u: services.reopen(r, u, payload.reason))


@router.post("/requests/{number}/close", response={200: RequestDetail, ERRORS: Error})
def close(request: HttpRequest, number: str, payload: OptionalReasonIn) -> dict[str, Any]:
    """Vendor: close the request."""
    return _act(request, number, lambda r, u: services.close(r, u, payload.reason))


@router.post("/requests/{number}/cancel", response={200: RequestDetail, ERRORS: Error})
def cancel(request: HttpRequest, number: str, payload: OptionalReasonIn) -> dict[str, Any]:
    """Cancel an open request."""
    return _act(request, number, lambda r, u: services.cancel(r, u, payload.reason))


@router.post("/requests/{number}/remote-sessions", response={201: RemoteSessionOut, ERRORS: Error})
def book_remote_session(
    request: HttpRequest, number: str, payload: RemoteSessionIn
) -> Status[dict[str, Any]]:
    """Vendor: book remote assistance inside support hours (REQ-10); a refusal names the next
    possible slot."""
    user = request.auth
    req = _request(user, number)
    if abs(payload.starts_at - timezone.now()) > timedelta(days=2 * 366):
        raise ServiceError("invalid", "la séance doit être dans les deux ans", field="starts_at")
    session = services.book_remote_assistance(req, user, payload.starts_at, payload.minutes)
    return Status(
        201,
        {
            "id": session.pk,
            "technician": _username(user),
            "starts_at": _utc(session.starts_at),
            "ends_at": _utc(session.ends_at),
        },
    )


@router.post("/requests/{number}/proposal", response={201: ProposalOut, ERRORS: Error})
def propose(request: HttpRequest, number: str, payload: ProposalIn) -> Status[dict[str, Any]]:
    """Vendor: turn out-of-scope work into a paid service offer (REQ-3)."""
    user = request.auth
    proposal = services.propose_billable(
        _request(user, number),
        user,
        service=payload.service,
        description=payload.description,
        amount_eur=payload.amount_eur,
        credits=payload.credits,
    )
    return Status(201, _proposal(proposal))


# --------------------------------------------------------------------------- comments, files


@router.get("/requests/{number}/comments", response={200: list[CommentOut], ERRORS: Error})
def list_comments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Messages on the request; internal notes only for vendor staff."""
    user = request.auth
    notes = _request(user, number).comments.select_related("author").order_by("created_at", "pk")
    if not is_vendor(user):
        notes = notes.filter(internal=False)
    return [_comment(n) for n in notes]


@router.post("/requests/{number}/comments", response={201: CommentOut, ERRORS: Error})
def add_comment(request: HttpRequest, number: str, payload: CommentIn) -> Status[dict[str, Any]]:
    """Write a message; ``internal`` notes are for vendor staff only."""
    user = request.auth
    note = services.comment(_request(user, number), user, payload.body, internal=payload.internal)
    return Status(201, _comment(note))


@router.post("/requests/{number}/attachments", response={201: AttachmentOut, ERRORS: Error})
def upload(request: HttpRequest, number: str, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Attach a file (multipart field ``file``); its type is read from its bytes (REQ-2)."""
    user = request.auth
    req = _request(user, number)
    limit = services.max_attachment_bytes()
    if file.size is not None and file.size > limit:
        raise ServiceError(
            "too-large", f"le fichier dépasse {limit // (1024 * 1024)} Mo", field="file"
        )
    name = "".join(ch for ch in (file.name or "") if ch.isprintable())
    attachment = services.add_attachment(req, user, name, file.read())
    return Status(201, _attachment(attachment))


@router.get(
    "/attachments/{attachment_id}",
    response={ERRORS: Error},
    openapi_extra={
        "responses": {
            200: {
                "description": "the file, always as a download",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Download an attachment of a request you may see. Only images, PDF, office documents and
    plain text keep their type; anything else is ``application/octet-stream``."""
    user = request.auth
    if not 0 < attachment_id <= MAX_ID:
        raise Http404("Aucune pièce jointe de ce numéro.")
    attachment = access_attachment(user, attachment_id)
    path = services.attachment_path(attachment)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        logger.error("attachment %s: file %s is missing", attachment.pk, path)
        raise NotFound("file-missing", "le fichier de cette pièce jointe est introuvable") from None
    return download_response(attachment, handle)


# --------------------------------------------------------------------------- reports


@router.get("/contracts/{contract_id}/compliance", response={200: dict[str, Any], ERRORS: Error})
def compliance(request: HttpRequest, contract_id: int) -> dict[str, Any]:
    """REQ-7: pickup compliance per 12-month period and REQ-6 deliveries per criticity."""
    user = request.auth
    if not 0 < contract_id <= MAX_ID:
        raise Http404("Aucun contrat de ce numéro.")
    return reports.compliance_report(access_contract(user, contract_id), timezone.now())
