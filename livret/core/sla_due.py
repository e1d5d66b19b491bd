"""The deadline a request would get, from the offer alone (SPEC REQ-4, REQ-6): ``livret sla due``.

The events that start the asked clock are replayed as if they happened at one instant:
registration (pickup), qualification (action plan, fix) or delivery (client validation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livret.core.offer.schema import Offer, Priority
from livret.core.sla import (
    Clock,
    ClockState,
    Event,
    EventKind,
    SlaError,
    SlaPolicy,
    replay,
)


@dataclass(frozen=True)
class DuePreview:
    """One clock of a request that would start at ``start``, with what it was computed for."""

    clock: Clock
    priority: Priority | None
    criticity: int | None
    state: ClockState


def would_be_due(
    offer: Offer,
    policy: SlaPolicy,
    clock: Clock,
    start: datetime,
    *,
    priority: Priority | None = None,
    criticity: int | None = None,
) -> DuePreview:
    """The ``clock`` of a request on ``policy`` whose clock starts at ``start``.

    The criticity defaults to the first the offer names for that clock (REQ-6); the priority
    to moderate where pickup depends on it, as a request's does. SlaError names what the
    offer lacks when it sets no such deadline.
    """
    if criticity is None:
        criticity = _first_criticity(policy, clock)
    targets = offer.support.pickup.get(policy.formula) if offer.support else None
    by_priority = bool(targets and (targets.critical or targets.high or targets.moderate))
    if priority is None and by_priority:
        priority = "moderate"
    events = [Event(EventKind.REGISTERED, start, priority=priority)]
    if clock is not Clock.PICKUP:
        events.append(Event(EventKind.QUALIFIED, start, criticity=criticity))
    if clock is Clock.VALIDATION:
        events.append(Event(EventKind.FIX_DELIVERED, start))
    state = replay(policy, events).clocks.get(clock)
    if state is None:
        raise SlaError(_no_deadline(offer, policy, clock, criticity))
    return DuePreview(clock, priority, None if clock is Clock.PICKUP else criticity, state)


def _first_criticity(policy: SlaPolicy, clock: Clock) -> int | None:
    if clock not in (Clock.ACTION_PLAN, Clock.FIX):
        return None
    rule = policy.action_plan if clock is Clock.ACTION_PLAN else policy.fix
    return min(rule[0]) if rule else None


def _no_deadline(offer: Offer, policy: SlaPolicy, clock: Clock, criticity: int | None) -> str:
    where = f"offer {offer.id}, formula {policy.formula}"
    if clock is Clock.PICKUP:
        return f"{where} has no pickup deadline"
    if clock is Clock.VALIDATION:
        return f"{where} has no client validation deadline"
    rule = policy.action_plan if clock is Clock.ACTION_PLAN else policy.fix
    if rule is None:
        return f"{where} has no {clock.value} deadline"
    known = ", ".join(str(c) for c in sorted(rule[0]))
    return f"{where}: no {clock.value} deadline for criticity {criticity} (only {known})"
