"""Every state change of a support request (SPEC REQ-1..11).

Each function is atomic: it locks the request, checks who may do it and from which state,
appends its event to the hash-chained audit trail, recomputes the stored deadlines from the
whole history (``livret.core.sla.replay``) and queues the mails in the same transaction (the
worker sends them). Views, the API, the mail gate and the CLI all call these functions.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from livret.core import sla
from livret.core.audit import GENESIS, event_hash
from livret.core.calendar import BusinessCalendar, calendar_for
from livret.core.filetypes import sniff_content_type
from livret.errors import NotAllowed, ServiceError, WrongState
from livret.mail.services import queue_mail
from livret.offers.models import OfferVersion
from livret.support.models import (
    OPEN_STATES,
    Attachment,
    BillableProposal,
    Comment,
    Kind,
    RemoteSession,
    Request,
    RequestEvent,
    SlaAlert,
    State,
)
from livret.tenants.access import is_vendor, membership, require_vendor
from livret.tenants.models import Contract, Role

# --------------------------------------------------------------------------- who is who


def _require_client_of(user: Any, request: Request) -> None:
    member = membership(user)
    if not (member and member.client_id == request.client_id) and not is_vendor(user):
        raise NotAllowed("not-your-request", "cette demande n'est pas celle de votre organisation")


def _label(user: Any) -> str:
    if user is None:
        return "livret"
    name = user.get_full_name() or user.get_username()
    return f"{name} (éditeur)" if is_vendor(user) else name


# --------------------------------------------------------------------------- SLA plumbing


@lru_cache(maxsize=512)
def _policy_for_version(version_id: int, formula: str, territory: str) -> sla.SlaPolicy:
    # Offer versions are immutable (OFF-5): a policy per (version, formula, territory) is stable.
    offer = OfferVersion.objects.get(pk=version_id).offer
    return sla.policy_for(offer, formula, territory)


def policy(contract: Contract) -> sla.SlaPolicy:
    """The SLA rules of a contract: its offer version, formula and territory."""
    return _policy_for_version(contract.offer_version_id, contract.formula, contract.territory)


def support_calendar(contract: Contract, role: str = "support") -> BusinessCalendar:
    """A calendar of the contract's offer (formula and territory applied)."""
    return _calendar(contract.offer_version_id, role, contract.formula, contract.territory)


@lru_cache(maxsize=512)
def _calendar(version_id: int, role: str, formula: str, territory: str) -> BusinessCalendar:
    offer = OfferVersion.objects.get(pk=version_id).offer
    return calendar_for(offer, role, formula, territory)


def has_sla(request: Request) -> bool:
    """Only anomalies/incidents carry SLA clocks; usage, customer-service and out-of-scope
    requests have no pickup commitment (Q art. 15, art. 16)."""
    return request.kind == Kind.ANOMALY


def _core_events(events: Iterable[RequestEvent]) -> list[sla.Event]:
    known = {k.value for k in sla.EventKind}
    out = []
    for event in events:
        if event.kind in known:
            out.append(
                sla.Event(
                    sla.EventKind(event.kind),
                    event.at,
                    priority=event.data.get("priority"),
                    criticity=event.data.get("criticity"),
                )
            )
    return out


def sla_state(request: Request, events: Iterable[RequestEvent] | None = None) -> sla.SlaState:
    """Replay the request's events into its clocks (empty for requests without SLA)."""
    if not has_sla(request):
        return sla.SlaState()
    history = request.events.all() if events is None else events
    return sla.replay(policy(request.contract), _core_events(history))


def recompute(
    request: Request,
    now: datetime | None = None,
    events: Iterable[RequestEvent] | None = None,
    *,
    new: bool = False,
) -> None:
    """Store the deadlines the event history gives (not saved: the caller saves).

    ``new``: the request was created in this transaction, so it has no alert yet and
    ``events`` are all its events (two queries saved on the filing path).
    """
    now = now or timezone.now()
    state = sla_state(request, events)
    clocks = state.clocks

    def due(clock: sla.Clock) -> datetime | None:
        return clocks[clock].due_at if clock in clocks else None

    request.pickup_due_at = due(sla.Clock.PICKUP)
    request.action_plan_due_at = due(sla.Clock.ACTION_PLAN)
    request.fix_due_at = due(sla.Clock.FIX)
    request.validation_due_at = due(sla.Clock.VALIDATION)
    request.next_deadline_at = state.next_deadline()
    request.breached = [c.value for c in state.breached_clocks(now)]
    sent = set() if new or not request.pk else _sent(request)
    planned = sla.alerts(policy(request.contract), state, sent) if clocks else []
    request.next_alert_at = planned[0].send_at if planned else None


def _sent(request: Request) -> set[tuple[sla.Clock, sla.AlertLevel, datetime]]:
    """Alerts already recorded, keyed by clock, level and the clock run they warned."""
    return {
        (sla.Clock(a.clock), sla.AlertLevel(a.level), a.clock_started_at)
        for a in request.alerts.all()
    }


def _record(
    request: Request,
    kind: str,
    actor: Any,
    at: datetime,
    data: dict[str, Any] | None = None,
    *,
    visible_to_client: bool = True,
) -> RequestEvent:
    """Append one event to the request's chain (REQ-11)."""
    seq = request.event_count + 1
    label = _label(actor)
    payload = {
        "request": request.number,
        "seq": seq,
        "at": _hashed_instant(at),
        "kind": kind,
        "actor": label,
        "data": data or {},
    }
    prev = request.last_event_hash or GENESIS
    digest = event_hash(prev, payload)
    event = RequestEvent.objects.create(
        request=request,
        seq=seq,
        at=at,
        kind=kind,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=label,
        data=data or {},
        visible_to_client=visible_to_client,
        prev_hash=prev,
        hash=digest,
    )
    request.event_count = seq
    request.last_event_hash = digest
    return event


def _hashed_instant(at: datetime) -> str:
    # The database gives instants back in UTC: hash them in UTC, to the microsecond.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_payload(event: RequestEvent) -> dict[str, Any]:
    """The hashed content of a stored event (what ``livret audit verify`` re-hashes)."""
    return {
        "request": event.request.number if hasattr(event, "request") else None,
        "seq": event.seq,
        "at": _hashed_instant(event.at),
        "kind": event.kind,
        "actor": event.actor_label,
        "data": event.data,
    }


def _save(request: Request, now: datetime) -> None:
    recompute(request, now)
    request.save()


def _mail(
    request: Request, reason: str, subject: str, body: str, to: list[str] | None = None
) -> None:
    recipients = to if to is not None else [request.filer_email or request.filer.email]
    recipients = [r for r in recipients if r]
    if not recipients:
        return
    queue_mail(
        recipients,
        f"[{request.number}] {subject}",
        f"{body}\n\n{settings.SITE_URL}/demandes/{request.number}/\n",
        reason=reason,
        thread=request.number,
    )


def _locked(request: Request) -> Request:
    # Serialise changes to one request (FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    # transactions already serialise writers).
    return (
        Request.objects.select_for_update().select_related("contract", "filer").get(pk=request.pk)
    )


def _expect(request: Request, *states: object, action: str) -> None:
    if request.state not in states:
        allowed = ", ".join(str(State(s).label) for s in states)
        raise WrongState(
            "wrong-state",
            f"impossible de {action} : la demande est « {State(request.state).label} » "
            f"(possible depuis : {allowed})",
        )


# --------------------------------------------------------------------------- filing


@dataclass(frozen=True)
class NewRequest:
    """What a filer gives (REQ-2)."""

    kind: str
    title: str
    description: str
    context: str = ""
    error_messages: str = ""
    menu_path: str = ""
    priority: str = "moderate"


def eligibility_issues(contract: Contract) -> list[dict[str, str]]:
    """REQ-8: the offer's support conditions this contract does not meet (flagged, not refused)."""
    support = contract.offer_version.offer.support
    issues: list[dict[str, str]] = []
    for rule in support.eligibility if support else []:
        failed = (
            (rule.id == "users-trained" and not contract.users_trained)
            or (rule.id == "remote-assistance" and not contract.remote_assistance)
            or (
                rule.id == "supported-version"
                and rule.latest_major_versions is not None
                and contract.product_major_version is not None
                and contract.latest_major_version is not None
                and contract.latest_major_version - contract.product_major_version
                >= rule.latest_major_versions
            )
        )
        if failed:
            issues.append({"rule": rule.id, "label": rule.label, "source": rule.source})
    return issues


def _validate_new(new: NewRequest) -> None:
    if new.kind not in Kind.values:
        raise ServiceError("invalid", f"type inconnu « {new.kind} »", field="kind")
    if not new.title.strip():
        raise ServiceError("invalid", "l'objet est obligatoire", field="title")
    if len(new.title) > 200:
        raise ServiceError("invalid", "l'objet dépasse 200 caractères", field="title")
    if not new.description.strip():
        raise ServiceError("invalid", "la description est obligatoire", field="description")
    if new.priority not in ("critical", "high", "moderate"):
        raise ServiceError("invalid", f"priorité inconnue « {new.priority} »", field="priority")


def file_request(
    *,
    filer: Any,
    contract: Contract,
    new: NewRequest,
    channel: str = "portal",
    at: datetime | None = None,
    recorded_by: Any = None,
    filer_email: str = "",
) -> Request:
    """REQ-1: register a request, acknowledge it by mail, start its clocks."""
    at = at or timezone.now()
    _validate_new(new)
    member = membership(filer)
    if not (member and member.client_id == contract.client_id):
        raise NotAllowed("not-your-contract", "ce contrat n'est pas celui de votre organisation")
    # Everything read-only happens before the write transaction: on SQLite that transaction
    # holds the database's single write lock, so it must be short.
    formula = contract.offer_version.offer.formulas[contract.formula]
    issues = eligibility_issues(contract)
    policy(contract)  # warm the per-process cache outside the lock
    with transaction.atomic():
        request = Request.objects.create(
            client_id=contract.client_id,
            contract=contract,
            kind=new.kind,
            channel=channel,
            title=new.title.strip(),
            description=new.description,
            context=new.context,
            error_messages=new.error_messages,
            menu_path=new.menu_path,
            priority=new.priority,
            filer=filer,
            filer_email=filer_email or filer.email,
            priority_line=formula.priority_line,
            eligibility_issues=issues,
            billable=new.kind == Kind.OUT_OF_SCOPE,
            registered_at=at,
        )
        request.number = f"DEM-{at.year}-{request.pk:06d}"
        events = [
            _record(
                request,
                "registered",
                recorded_by or filer,
                at,
                {"priority": new.priority, "kind": new.kind, "channel": channel},
            )
        ]
        if issues:
            events.append(_record(request, "eligibility-flagged", None, at, {"issues": issues}))
        recompute(request, at, events, new=True)
        request.save()
        due = request.pickup_due_at
        promise = (
            f"Délai de prise en charge : au plus tard le "
            f"{timezone.localtime(due):%d/%m/%Y à %H:%M}."
            if due
            else "Cette demande n'entre pas dans les engagements de délai de prise en charge."
        )
        _mail(
            request,
            "acknowledgement",
            f"Accusé de réception : {request.title}",
            f"Bonjour,\n\nVotre demande {request.number} a été enregistrée le "
            f"{timezone.localtime(at):%d/%m/%Y à %H:%M}.\n{promise}",
        )
    return request


@transaction.atomic
def record_phone_request(
    *,
    technician: Any,
    contract: Contract,
    filer: Any,
    new: NewRequest,
    portal_request: Request | None = None,
    at: datetime | None = None,
) -> Request:
    """REQ-1: a call taken by a technician. Q: the call needs a portal request first."""
    require_vendor(technician)
    at = at or timezone.now()
    support = contract.offer_version.offer.support
    if portal_request is not None:
        if portal_request.contract_id != contract.pk:
            raise ServiceError(
                "invalid", "cette demande n'est pas de ce contrat", field="portal_request"
            )
        request = _locked(portal_request)
        _record(request, "phone-call", technician, at, {"summary": new.description})
        _save(request, at)
        return request
    if support and support.phone_requires_portal_request:
        raise ServiceError(
            "portal-request-required",
            "la création préalable de la demande depuis l'espace client est nécessaire pour "
            f"accéder au Support par téléphone ({support.source})",
            field="portal_request",
        )
    return file_request(
        filer=filer, contract=contract, new=new, channel="phone", at=at, recorded_by=technician
    )


# --------------------------------------------------------------------------- vendor actions


@transaction.atomic
def take_in_charge(request: Request, technician: Any, *, at: datetime | None = None) -> Request:
    """REQ-4: a technician takes the request in charge (stops the pickup clock)."""
    require_vendor(technician)
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.REGISTERED, State.REOPENED, action="prendre en charge")
    request.state = State.TAKEN_IN_CHARGE
    request.assignee = technician
    if request.picked_up_at is None:
        request.picked_up_at = at
    _record(request, "taken-in-charge", technician, at, {"assignee": _label(technician)})
    _save(request, at)
    _mail(
        request,
        "state",
        "Votre demande est prise en charge",
        f"Votre demande est prise en charge par {_label(technician)}.",
    )
    return request


@transaction.atomic
def set_priority(
    request: Request, actor: Any, priority: str, *, at: datetime | None = None
) -> Request:
    """Q: re-set the priority; the pickup deadline is recomputed from registration."""
    _require_client_of(actor, request)
    if priority not in ("critical", "high", "moderate"):
        raise ServiceError("invalid", f"priorité inconnue « {priority} »", field="priority")
    at = at or timezone.now()
    request = _locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est close")
    request.priority = priority
    _record(request, "priority-set", actor, at, {"priority": priority})
    _save(request, at)
    return request


@transaction.atomic
def qualify(
    request: Request, technician: Any, criticity: int | None, *, at: datetime | None = None
) -> Request:
    """REQ-5: qualified and reproduced; criticity 1/2/3 starts REQ-6's clocks (None: not an
    anomaly)."""
    require_vendor(technician)
    if criticity not in (1, 2, 3, None):
        raise ServiceError("invalid", "la criticité est 1, 2 ou 3", field="criticity")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.TAKEN_IN_CHARGE, State.QUALIFIED, State.REOPENED, action="qualifier")
    request.state = State.QUALIFIED
    request.criticity = criticity
    request.not_an_anomaly = criticity is None
    _record(request, "qualified", technician, at, {"criticity": criticity})
    _save(request, at)
    text = f"criticité {criticity}" if criticity else "hors anomalie"
    _mail(request, "state", "Votre demande est qualifiée", f"Votre demande est qualifiée ({text}).")
    return request


@transaction.atomic
def deliver_action_plan(
    request: Request, technician: Any, text: str, *, at: datetime | None = None
) -> Request:
    """REQ-6: the corrective action plan of a criticity-1 anomaly."""
    require_vendor(technician)
    _non_empty(text, "text")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.QUALIFIED, action="fournir un plan d'action")
    if request.criticity != 1:
        raise WrongState("wrong-state", "un plan d'action concerne une anomalie de criticité 1")
    request.state = State.ACTION_PLAN_DELIVERED
    request.action_plan_delivered_at = at
    _record(request, "action-plan-delivered", technician, at, {"text": text})
    _save(request, at)
    _mail(request, "state", "Plan d'action corrective", f"Plan d'action :\n\n{text}")
    return request


@transaction.atomic
def deliver_fix(
    request: Request,
    technician: Any,
    text: str,
    *,
    workaround: bool = False,
    at: datetime | None = None,
) -> Request:
    """REQ-6: a fix or workaround; the client then validates it (C: within 3 business days)."""
    require_vendor(technician)
    _non_empty(text, "text")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.QUALIFIED, State.ACTION_PLAN_DELIVERED, action="livrer une correction")
    request.state = State.AWAITING_VALIDATION
    request.fix_delivered_at = at
    _record(request, "fix-delivered", technician, at, {"text": text, "workaround": workaround})
    _save(request, at)
    what = "solution de contournement" if workaround else "correction"
    due = request.validation_due_at
    deadline = f"\nMerci de la valider avant le {timezone.localtime(due):%d/%m/%Y}." if due else ""
    _mail(request, "state", f"Livraison d'une {what}", f"{text}{deadline}")
    return request


@transaction.atomic
def ask_client(
    request: Request, technician: Any, question: str, *, at: datetime | None = None
) -> Request:
    """REQ-6b: wait for the client's information; the action-plan and fix clocks pause."""
    require_vendor(technician)
    _non_empty(question, "question")
    at = at or timezone.now()
    request = _locked(request)
    _expect(
        request,
        State.TAKEN_IN_CHARGE,
        State.QUALIFIED,
        State.ACTION_PLAN_DELIVERED,
        State.REOPENED,
        action="demander une information",
    )
    request.state_before_wait = request.state
    request.state = State.WAITING_FOR_CLIENT
    _record(request, "waiting-for-client", technician, at, {"question": question})
    _save(request, at)
    _mail(request, "waiting", "Nous avons besoin d'informations", question)
    return request


@transaction.atomic
def close(request: Request, actor: Any, reason: str = "", *, at: datetime | None = None) -> Request:
    """The vendor closes a request (answered question, resolved, validated by phone)."""
    require_vendor(actor)
    at = at or timezone.now()
    request = _locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est déjà close")
    request.state = State.CLOSED
    request.closed_at = at
    _record(request, "closed", actor, at, {"reason": reason})
    _save(request, at)
    _mail(request, "state", "Votre demande est clôturée", reason or "Votre demande est clôturée.")
    return request


@transaction.atomic
def cancel(
    request: Request, actor: Any, reason: str = "", *, at: datetime | None = None
) -> Request:
    """Cancel an open request (the filer or the vendor)."""
    _require_client_of(actor, request)
    at = at or timezone.now()
    request = _locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est déjà close")
    request.state = State.CANCELLED
    request.closed_at = at
    _record(request, "cancelled", actor, at, {"reason": reason})
    _save(request, at)
    return request


@transaction.atomic
def propose_billable(
    request: Request,
    technician: Any,
    *,
    service: str,
    description: str,
    amount_eur: Any = None,
    credits: int | None = None,
    at: datetime | None = None,
) -> BillableProposal:
    """REQ-3: turn out-of-scope work into a paid proposal, never dropped silently."""
    require_vendor(technician)
    _non_empty(description, "description")
    at = at or timezone.now()
    request = _locked(request)
    if hasattr(request, "proposal"):
        raise WrongState("already-proposed", "une proposition existe déjà pour cette demande")
    proposal = BillableProposal.objects.create(
        request=request,
        service=service,
        description=description,
        amount_eur=amount_eur,
        credits=credits,
        created_at=at,
    )
    request.billable = True
    _record(
        request,
        "billable-proposal",
        technician,
        at,
        {
            "service": service,
            "amount_eur": str(amount_eur) if amount_eur else None,
            "credits": credits,
        },
    )
    _save(request, at)
    _mail(request, "proposal", "Proposition de prestation", description)
    return proposal


@transaction.atomic
def book_remote_assistance(
    request: Request,
    technician: Any,
    starts_at: datetime,
    minutes: int,
    *,
    at: datetime | None = None,
) -> RemoteSession:
    """REQ-10: remote sessions only inside support hours; a refusal proposes the next slot."""
    require_vendor(technician)
    if minutes <= 0 or minutes > 8 * 60:
        raise ServiceError(
            "invalid", "la durée est comprise entre 1 et 480 minutes", field="minutes"
        )
    at = at or timezone.now()
    if not at - timedelta(days=1) <= starts_at <= at + timedelta(days=366):
        raise ServiceError(
            "invalid", "la séance se programme dans l'année qui vient", field="starts_at"
        )
    request = _locked(request)
    offer = request.contract.offer_version.offer
    role = (
        offer.support.remote_assistance.calendar
        if offer.support and offer.support.remote_assistance
        else "support"
    )
    calendar = support_calendar(request.contract, role)
    length = timedelta(minutes=minutes)
    if not _fits(calendar, starts_at, length):
        slot = next_slot(calendar, max(starts_at, at), length)
        raise ServiceError(
            "outside-support-hours",
            "la téléassistance se programme pendant les horaires d'ouverture du Support ; "
            f"prochain créneau possible : {timezone.localtime(slot):%d/%m/%Y %H:%M}",
            field="starts_at",
        )
    session = RemoteSession.objects.create(
        request=request, technician=technician, starts_at=starts_at, ends_at=starts_at + length
    )
    _record(
        request,
        "remote-session",
        technician,
        at,
        {"starts_at": starts_at.isoformat(), "minutes": minutes},
    )
    _save(request, at)
    _mail(
        request,
        "remote",
        "Téléassistance programmée",
        f"Séance de téléassistance le {timezone.localtime(starts_at):%d/%m/%Y à %H:%M} "
        f"({minutes} minutes).",
    )
    return session


def _fits(calendar: BusinessCalendar, start: datetime, length: timedelta) -> bool:
    return (
        calendar.is_open(start) and calendar.business_time_between(start, start + length) == length
    )


def next_slot(calendar: BusinessCalendar, after: datetime, length: timedelta) -> datetime:
    """The first start at or after ``after``, on a quarter hour, where ``length`` fits."""
    candidate = calendar.next_opening(after)
    quarter = timedelta(minutes=15)
    for _ in range(4 * 24 * 31):
        if _fits(calendar, candidate, length):
            return candidate
        candidate = calendar.next_opening(candidate + quarter)
    raise ServiceError("no-slot", "aucun créneau dans le mois qui vient")


# --------------------------------------------------------------------------- client actions


@transaction.atomic
def client_answers(
    request: Request, user: Any, text: str, *, at: datetime | None = None
) -> Request:
    """REQ-6b: the client's answer resumes the paused clocks."""
    _require_client_of(user, request)
    _non_empty(text, "text")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.WAITING_FOR_CLIENT, action="répondre")
    request.state = request.state_before_wait or State.TAKEN_IN_CHARGE
    request.state_before_wait = ""
    _record(request, "client-answered", user, at, {"text": text})
    _save(request, at)
    _tell_assignee(request, "Le client a répondu", text)
    return request


@transaction.atomic
def validate(request: Request, user: Any, *, at: datetime | None = None) -> Request:
    """The client validates the delivered fix or workaround: the request is closed."""
    _require_client_of(user, request)
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.AWAITING_VALIDATION, action="valider")
    request.state = State.CLOSED
    request.closed_at = at
    _record(request, "validated", user, at)
    _save(request, at)
    return request


@transaction.atomic
def reject(request: Request, user: Any, reason: str, *, at: datetime | None = None) -> Request:
    """The client rejects the delivery: back to qualified, the delivery clocks restart."""
    _require_client_of(user, request)
    _non_empty(reason, "reason")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.AWAITING_VALIDATION, action="refuser la livraison")
    request.state = State.QUALIFIED
    request.action_plan_delivered_at = request.fix_delivered_at = None
    _record(request, "rejected", user, at, {"reason": reason})
    _save(request, at)
    return request


@transaction.atomic
def reopen(request: Request, user: Any, reason: str, *, at: datetime | None = None) -> Request:
    """Reopen a closed request; it is taken in charge and qualified again."""
    _require_client_of(user, request)
    _non_empty(reason, "reason")
    at = at or timezone.now()
    request = _locked(request)
    _expect(request, State.CLOSED, action="rouvrir")
    request.state = State.REOPENED
    request.closed_at = None
    request.action_plan_delivered_at = request.fix_delivered_at = None
    _record(request, "reopened", user, at, {"reason": reason})
    _save(request, at)
    return request


@transaction.atomic
def comment(
    request: Request, author: Any, body: str, *, internal: bool = False, at: datetime | None = None
) -> Comment:
    """A message on the request; internal notes are for the vendor only."""
    _require_client_of(author, request)
    _non_empty(body, "body")
    if internal and not is_vendor(author):
        raise NotAllowed("vendor-only", "seul l'éditeur écrit des notes internes")
    at = at or timezone.now()
    request = _locked(request)
    note = Comment.objects.create(
        request=request, author=author, body=body, internal=internal, created_at=at
    )
    _record(
        request,
        "comment",
        author,
        at,
        {"comment": note.pk, "internal": internal},
        visible_to_client=not internal,
    )
    _save(request, at)
    if not internal and is_vendor(author):
        _mail(request, "reply", "Nouvelle réponse", body)
    elif not is_vendor(author):
        _tell_assignee(request, "Nouveau message du client", body)
    return note


@transaction.atomic
def note(
    request: Request,
    kind: str,
    data: dict[str, Any],
    *,
    actor: Any = None,
    at: datetime | None = None,
    visible_to_client: bool = True,
) -> Request:
    """Append an informative event (mail received, …) to the audit trail; no state change."""
    at = at or timezone.now()
    request = _locked(request)
    _record(request, kind, actor, at, data, visible_to_client=visible_to_client)
    _save(request, at)
    return request


def _tell_assignee(request: Request, subject: str, body: str) -> None:
    """The client wrote: the technician in charge hears of it at once."""
    if request.assignee and request.assignee.email:
        _mail(request, "client-wrote", subject, body, to=[request.assignee.email])


# --------------------------------------------------------------------------- attachments


def max_attachment_bytes() -> int:
    """LIVRET_MAX_ATTACHMENT_MB (default 20)."""
    return int(os.environ.get("LIVRET_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024


def attachment_path(attachment: Attachment) -> Path:
    """Where the bytes live: under LIVRET_DATA_DIR/uploads, never under a web root."""
    key = attachment.storage_key
    return Path(settings.UPLOADS_DIR) / key[:2] / key


@transaction.atomic
def add_attachment(
    request: Request, user: Any, filename: str, content: bytes, *, at: datetime | None = None
) -> Attachment:
    """REQ-2: store a file (type sniffed from its bytes), written before the row commits."""
    _require_client_of(user, request)
    if not content:
        raise ServiceError("invalid", "le fichier est vide", field="file")
    if len(content) > max_attachment_bytes():
        limit = max_attachment_bytes() // (1024 * 1024)
        raise ServiceError("too-large", f"le fichier dépasse {limit} Mo", field="file")
    name = Path(filename or "fichier").name[:255] or "fichier"
    at = at or timezone.now()
    request = _locked(request)
    attachment = Attachment(
        request=request,
        uploaded_by=user,
        filename=name,
        content_type=sniff_content_type(content),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    path = attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(content)
    os.replace(temporary, path)  # a crash leaves an orphan file at worst, never a lost one
    attachment.save()
    _record(
        request,
        "attachment",
        user,
        at,
        {"attachment": attachment.pk, "filename": name, "size": len(content)},
    )
    _save(request, at)
    return attachment


# --------------------------------------------------------------------------- worker side


@transaction.atomic
def send_due_alerts(request_id: int, now: datetime) -> list[SlaAlert]:
    """Record the alerts due for one request and queue their mails, once each (unique row).

    Two workers may call this for the same request: the row lock serialises them and the
    unique (request, clock, level) constraint keeps each alert to one row, so to one mail.
    """
    request = Request.objects.select_for_update().select_related("contract").get(pk=request_id)
    if request.state not in OPEN_STATES or not has_sla(request):
        request.next_alert_at = None
        request.save(update_fields=["next_alert_at"])
        return []
    state = sla_state(request)
    sent = _sent(request)
    created: list[SlaAlert] = []
    for alert in sla.alerts(policy(request.contract), state, sent):
        if alert.send_at > now:
            break
        created.append(
            SlaAlert.objects.create(
                request=request,
                clock=alert.clock.value,
                level=alert.level.value,
                clock_started_at=alert.started_at,
                crossed_at=alert.due_at,
                created_at=now,
            )
        )
        _record(
            request,
            f"sla-{alert.level.value}",
            None,
            now,
            {"clock": alert.clock.value, "crossed_at": alert.due_at.isoformat()},
        )
        _queue_alert_mail(request, alert)
    recompute(request, now)
    # A breach alert recorded at the very deadline instant still marks the clock breached.
    for alert in created:
        if alert.level == sla.AlertLevel.BREACH and alert.clock not in request.breached:
            request.breached = [*request.breached, alert.clock]
    request.save()
    return created


def _queue_alert_mail(request: Request, alert: sla.Alert) -> None:
    labels = {
        "pickup": "prise en charge",
        "action-plan": "plan d'action",
        "fix": "correction",
    }
    what = labels.get(alert.clock.value, alert.clock.value)
    when = timezone.localtime(alert.due_at)
    if alert.level is sla.AlertLevel.WARNING:
        subject = f"75 % du délai de {what} consommé"
        body = (
            f"Le délai de {what} de la demande {request.number} arrive à 75 % ({when:%d/%m %H:%M})."
        )
    else:
        subject = f"Délai de {what} dépassé"
        body = (
            f"Le délai de {what} de la demande {request.number} est dépassé "
            f"depuis {when:%d/%m %H:%M}."
        )
    to = [u.email for u in _assignee_and_leads(request) if u.email]
    _mail(request, f"sla-{alert.level.value}", subject, body, to=to)


def _assignee_and_leads(request: Request) -> list[Any]:
    from django.contrib.auth import get_user_model

    leads = list(get_user_model().objects.filter(membership__role=Role.LEAD, is_active=True))
    return ([request.assignee] if request.assignee else []) + [
        u for u in leads if u != request.assignee
    ]


def _non_empty(text: str, field: str) -> None:
    if not (text or "").strip():
        raise ServiceError("invalid", f"le champ {field} est obligatoire", field=field)
