"""The SLA plumbing of requests (SPEC REQ-4..7): policies, stored deadlines, alerts.

The rules are in ``livret.core.sla``; here each request's event history is replayed into its
clocks and the deadlines stored on the row, and the worker records the alerts that fall due.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django.db import transaction
from django.utils import timezone

from livret.core import sla
from livret.core.calendar import BusinessCalendar, calendar_for
from livret.offers.models import OfferVersion
from livret.support.models import OPEN_STATES, Kind, Request, RequestEvent, SlaAlert
from livret.support.services.staff import tell_staff
from livret.support.services.trail import record_event
from livret.tenants.models import Contract


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


def save_with_deadlines(request: Request, now: datetime) -> None:
    """Recompute the stored deadlines, then save the request."""
    recompute(request, now)
    request.save()


@transaction.atomic
def send_due_alerts(request_id: int, now: datetime) -> list[SlaAlert]:
    """Record the alerts due for one request and tell its staff, once each (unique row).

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
        record_event(
            request,
            f"sla-{alert.level.value}",
            None,
            now,
            {"clock": alert.clock.value, "crossed_at": alert.due_at.isoformat()},
        )
        _queue_alert_mail(request, alert, now)
    recompute(request, now)
    # A breach alert recorded at the very deadline instant still marks the clock breached.
    for alert in created:
        if alert.level == sla.AlertLevel.BREACH and alert.clock not in request.breached:
            request.breached = [*request.breached, alert.clock]
    request.save()
    return created


def _queue_alert_mail(request: Request, alert: sla.Alert, now: datetime | None = None) -> None:
    """Tell the request's staff (``staff.staff_to_tell``) of a 75 % warning or a breach, each
    person as they chose (in the app, by mail)."""
    labels = {
        "pickup": "prise en charge",
        "action-plan": "plan d'action",
        "fix": "correction",
    }
    what = labels.get(alert.clock.value, alert.clock.value)
    when = timezone.localtime(alert.due_at)
    if alert.level is sla.AlertLevel.WARNING:
        kind = "sla-warning"
        title = f"75 % du délai de {what} consommé"
        body = (
            f"Le délai de {what} de la demande {request.number} « {request.title} » arrive "
            f"à 75 % ({when:%d/%m %H:%M})."
        )
    else:
        kind = "sla-breach"
        title = f"Délai de {what} dépassé"
        body = (
            f"Le délai de {what} de la demande {request.number} « {request.title} » est "
            f"dépassé depuis {when:%d/%m %H:%M}."
        )
    tell_staff(request, kind, title, body, at=now)
