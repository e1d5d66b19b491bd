"""REQ-7: pickup compliance per 12-month period, and REQ-6 deadlines met per criticity."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.utils import timezone

from livret.core import sla
from livret.support.models import Kind, Request, State
from livret.support.services import policy
from livret.tenants.models import Contract


def compliance_report(contract: Contract, now: datetime | None = None) -> dict[str, Any]:
    """Per period: registered, in time, missed, pending, rate against the offer's target."""
    now = now or timezone.now()
    offer = contract.offer_version.offer
    # REQ-7: E, C and S commit to 75 %; an offer without that commitment (Q) gets the same
    # measure with no target, so nothing claims a promise the booklet does not make.
    target = offer.support.compliance if offer.support else None
    target_percent = target.target_percent if target else None
    months = int(target.period.amount) if target else 12
    rows = Request.objects.filter(
        contract=contract, kind=Kind.ANOMALY, pickup_due_at__isnull=False
    ).values_list("registered_at", "pickup_due_at", "picked_up_at", "state")
    records = [
        sla.PickupRecord(reg, due, picked, cancelled=state == State.CANCELLED)
        for reg, due, picked, state in rows
    ]
    zone = policy(contract).calendar.zone
    periods = sla.compliance(
        records,
        support_start=contract.support_start_date or contract.start_date,
        zone=zone,
        now=now,
        target_percent=target_percent or 0.0,
        period_months=months,
    )
    return {
        "contract": contract.reference,
        "offer": contract.offer_version.offer_id,
        "formula": contract.formula,
        "target_percent": target_percent,
        "source": target.source if target else None,
        "computed_at": now.isoformat(),
        "periods": [
            {
                **{
                    k: v
                    for k, v in asdict(p).items()
                    if k not in ("start", "end", "target_percent")
                },
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "rate_percent": p.rate_percent,
                "met": p.met if target_percent is not None else None,
            }
            for p in periods
        ],
        "deliveries": _deliveries(contract, now),
    }


def _deliveries(contract: Contract, now: datetime) -> list[dict[str, Any]]:
    """REQ-6: per criticity, action plans and fixes delivered in time, late, overdue, running."""
    out = []
    for clock, due_field, done_field in (
        ("action-plan", "action_plan_due_at", "action_plan_delivered_at"),
        ("fix", "fix_due_at", "fix_delivered_at"),
    ):
        rows = Request.objects.filter(contract=contract, **{f"{due_field}__isnull": False})
        for criticity in (1, 2):
            subset = list(
                rows.filter(criticity=criticity).values_list(due_field, done_field, "state")
            )
            if not subset:
                continue
            met = sum(1 for due, done, _ in subset if done and done <= due)
            late = sum(1 for due, done, _ in subset if done and done > due)
            overdue = sum(1 for due, done, _ in subset if not done and now > due)
            out.append(
                {
                    "clock": clock,
                    "criticity": criticity,
                    "met": met,
                    "late": late,
                    "overdue": overdue,
                    "running": len(subset) - met - late - overdue,
                }
            )
    return out
