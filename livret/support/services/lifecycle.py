"""The transitions of a request (SPEC REQ-3..7, REQ-10): the vendor's actions then the
client's. Each is atomic: lock, check who and from which state, record, recompute, mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.core.calendar import BusinessCalendar
from livret.errors import ServiceError, WrongState
from livret.support.models import BillableProposal, RemoteSession, Request, State
from livret.support.services.clocks import save_with_deadlines, support_calendar
from livret.support.services.staff import notify_assigned, notify_client_reply
from livret.support.services.trail import (
    actor_label,
    expect_state,
    locked,
    mail_about,
    non_empty,
    record_event,
    require_client_of,
)
from livret.tenants.access import require_vendor

# --------------------------------------------------------------------------- vendor actions


@transaction.atomic
def take_in_charge(request: Request, technician: User, *, at: datetime | None = None) -> Request:
    """REQ-4: a technician takes the request in charge (stops the pickup clock)."""
    require_vendor(technician)
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.REGISTERED, State.REOPENED, action="prendre en charge")
    request.state = State.TAKEN_IN_CHARGE
    request.assignee = technician
    if request.picked_up_at is None:
        request.picked_up_at = at
    record_event(request, "taken-in-charge", technician, at, {"assignee": actor_label(technician)})
    save_with_deadlines(request, at)
    mail_about(
        request,
        "state",
        "Votre demande est prise en charge",
        f"Votre demande est prise en charge par {actor_label(technician)}.",
    )
    notify_assigned(request, technician, technician, at=at)
    return request


@transaction.atomic
def set_priority(
    request: Request, actor: User, priority: str, *, at: datetime | None = None
) -> Request:
    """Q: re-set the priority; the pickup deadline is recomputed from registration."""
    require_client_of(actor, request)
    if priority not in ("critical", "high", "moderate"):
        raise ServiceError("invalid", f"priorité inconnue « {priority} »", field="priority")
    at = at or timezone.now()
    request = locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est close")
    request.priority = priority
    record_event(request, "priority-set", actor, at, {"priority": priority})
    save_with_deadlines(request, at)
    return request


@transaction.atomic
def qualify(
    request: Request, technician: User, criticity: int | None, *, at: datetime | None = None
) -> Request:
    """REQ-5: qualified and reproduced; criticity 1/2/3 starts REQ-6's clocks (None: not an
    anomaly)."""
    require_vendor(technician)
    if criticity not in (1, 2, 3, None):
        raise ServiceError("invalid", "la criticité est 1, 2 ou 3", field="criticity")
    at = at or timezone.now()
    request = locked(request)
    expect_state(
        request, State.TAKEN_IN_CHARGE, State.QUALIFIED, State.REOPENED, action="qualifier"
    )
    request.state = State.QUALIFIED
    request.criticity = criticity
    request.not_an_anomaly = criticity is None
    record_event(request, "qualified", technician, at, {"criticity": criticity})
    save_with_deadlines(request, at)
    text = f"criticité {criticity}" if criticity else "hors anomalie"
    mail_about(
        request, "state", "Votre demande est qualifiée", f"Votre demande est qualifiée ({text})."
    )
    return request


@transaction.atomic
def deliver_action_plan(
    request: Request, technician: User, text: str, *, at: datetime | None = None
) -> Request:
    """REQ-6: the corrective action plan of a criticity-1 anomaly."""
    require_vendor(technician)
    non_empty(text, "text")
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.QUALIFIED, action="fournir un plan d'action")
    if request.criticity != 1:
        raise WrongState("wrong-state", "un plan d'action concerne une anomalie de criticité 1")
    request.state = State.ACTION_PLAN_DELIVERED
    request.action_plan_delivered_at = at
    record_event(request, "action-plan-delivered", technician, at, {"text": text})
    save_with_deadlines(request, at)
    mail_about(request, "state", "Plan d'action corrective", f"Plan d'action :\n\n{text}")
    return request


@transaction.atomic
def deliver_fix(
    request: Request,
    technician: User,
    text: str,
    *,
    workaround: bool = False,
    at: datetime | None = None,
) -> Request:
    """REQ-6: a fix or workaround; the client then validates it (C: within 3 business days)."""
    require_vendor(technician)
    non_empty(text, "text")
    at = at or timezone.now()
    request = locked(request)
    expect_state(
        request, State.QUALIFIED, State.ACTION_PLAN_DELIVERED, action="livrer une correction"
    )
    request.state = State.AWAITING_VALIDATION
    request.fix_delivered_at = at
    record_event(request, "fix-delivered", technician, at, {"text": text, "workaround": workaround})
    save_with_deadlines(request, at)
    what = "solution de contournement" if workaround else "correction"
    due = request.validation_due_at
    deadline = f"\nMerci de la valider avant le {timezone.localtime(due):%d/%m/%Y}." if due else ""
    mail_about(request, "state", f"Livraison d'une {what}", f"{text}{deadline}")
    return request


@transaction.atomic
def ask_client(
    request: Request, technician: User, question: str, *, at: datetime | None = None
) -> Request:
    """REQ-6b: wait for the client's information; the action-plan and fix clocks pause."""
    require_vendor(technician)
    non_empty(question, "question")
    at = at or timezone.now()
    request = locked(request)
    expect_state(
        request,
        State.TAKEN_IN_CHARGE,
        State.QUALIFIED,
        State.ACTION_PLAN_DELIVERED,
        State.REOPENED,
        action="demander une information",
    )
    request.state_before_wait = request.state
    request.state = State.WAITING_FOR_CLIENT
    record_event(request, "waiting-for-client", technician, at, {"question": question})
    save_with_deadlines(request, at)
    mail_about(request, "waiting", "Nous avons besoin d'informations", question)
    return request


@transaction.atomic
def close(
    request: Request, actor: User, reason: str = "", *, at: datetime | None = None
) -> Request:
    """The vendor closes a request (answered question, resolved, validated by phone)."""
    require_vendor(actor)
    at = at or timezone.now()
    request = locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est déjà close")
    request.state = State.CLOSED
    request.closed_at = at
    record_event(request, "closed", actor, at, {"reason": reason})
    save_with_deadlines(request, at)
    mail_about(
        request, "state", "Votre demande est clôturée", reason or "Votre demande est clôturée."
    )
    return request


@transaction.atomic
def cancel(
    request: Request, actor: User, reason: str = "", *, at: datetime | None = None
) -> Request:
    """Cancel an open request (the filer or the vendor)."""
    require_client_of(actor, request)
    at = at or timezone.now()
    request = locked(request)
    if not request.is_open:
        raise WrongState("wrong-state", "la demande est déjà close")
    request.state = State.CANCELLED
    request.closed_at = at
    record_event(request, "cancelled", actor, at, {"reason": reason})
    save_with_deadlines(request, at)
    return request


# REQ-3: what one proposal may ask (numeric(10, 2) holds far more; a larger figure is a typo).
MAX_AMOUNT_EUR = Decimal(1_000_000)
MAX_CREDITS = 10_000


def _amount(value: Any) -> Decimal | None:
    """A proposal's amount: none, or a finite number of euros, above 0, at most
    :data:`MAX_AMOUNT_EUR`, with two decimals at most."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ServiceError(
            "invalid", "montant : un nombre d'euros est attendu (ex. 450.00)", field="amount_eur"
        )
    if not 0 < amount <= MAX_AMOUNT_EUR:
        raise ServiceError("invalid", "montant : entre 0,01 et 1 000 000 € HT", field="amount_eur")
    if amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("invalid", "montant : deux décimales au plus", field="amount_eur")
    return amount.quantize(Decimal("0.01"))


def _credits(value: Any) -> int | None:
    """A proposal's service credits: none, or a whole number from 1 to :data:`MAX_CREDITS`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_CREDITS:
        raise ServiceError(
            "invalid", f"crédits : un nombre entier de 1 à {MAX_CREDITS}", field="credits"
        )
    return value


@transaction.atomic
def propose_billable(
    request: Request,
    technician: User,
    *,
    service: str,
    description: str,
    amount_eur: Any = None,
    credits: int | None = None,
    at: datetime | None = None,
) -> BillableProposal:
    """REQ-3: turn out-of-scope work into a paid proposal, never dropped silently (the amount
    and the credits bounded by :func:`_amount` and :func:`_credits`, for pages and API alike)."""
    require_vendor(technician)
    non_empty(description, "description")
    amount_eur = _amount(amount_eur)
    credits = _credits(credits)
    at = at or timezone.now()
    request = locked(request)
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
    record_event(
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
    save_with_deadlines(request, at)
    mail_about(request, "proposal", "Proposition de prestation", description)
    return proposal


@transaction.atomic
def book_remote_assistance(
    request: Request,
    technician: User,
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
    request = locked(request)
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
    record_event(
        request,
        "remote-session",
        technician,
        at,
        {"starts_at": starts_at.isoformat(), "minutes": minutes},
    )
    save_with_deadlines(request, at)
    mail_about(
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
    request: Request, user: User, text: str, *, at: datetime | None = None
) -> Request:
    """REQ-6b: the client's answer resumes the paused clocks."""
    require_client_of(user, request)
    non_empty(text, "text")
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.WAITING_FOR_CLIENT, action="répondre")
    request.state = request.state_before_wait or State.TAKEN_IN_CHARGE
    request.state_before_wait = ""
    record_event(request, "client-answered", user, at, {"text": text})
    save_with_deadlines(request, at)
    notify_client_reply(request, user, text, at)
    return request


@transaction.atomic
def validate(request: Request, user: User, *, at: datetime | None = None) -> Request:
    """The client validates the delivered fix or workaround: the request is closed."""
    require_client_of(user, request)
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.AWAITING_VALIDATION, action="valider")
    request.state = State.CLOSED
    request.closed_at = at
    record_event(request, "validated", user, at)
    save_with_deadlines(request, at)
    return request


@transaction.atomic
def reject(request: Request, user: User, reason: str, *, at: datetime | None = None) -> Request:
    """The client rejects the delivery: back to qualified, the delivery clocks restart."""
    require_client_of(user, request)
    non_empty(reason, "reason")
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.AWAITING_VALIDATION, action="refuser la livraison")
    request.state = State.QUALIFIED
    request.action_plan_delivered_at = request.fix_delivered_at = None
    record_event(request, "rejected", user, at, {"reason": reason})
    save_with_deadlines(request, at)
    return request


@transaction.atomic
def reopen(request: Request, user: User, reason: str, *, at: datetime | None = None) -> Request:
    """Reopen a closed request; it is taken in charge and qualified again."""
    require_client_of(user, request)
    non_empty(reason, "reason")
    at = at or timezone.now()
    request = locked(request)
    expect_state(request, State.CLOSED, action="rouvrir")
    request.state = State.REOPENED
    request.closed_at = None
    request.action_plan_delivered_at = request.fix_delivered_at = None
    record_event(request, "reopened", user, at, {"reason": reason})
    save_with_deadlines(request, at)
    return request
