"""SLA clocks replayed from events (REQ-4, REQ-6, REQ-6b), alerts, compliance (REQ-7),
queue order (REQ-9)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from livret.core.offer import load_preset
from livret.core.sla import (
    AlertLevel,
    Clock,
    Event,
    EventKind,
    PickupRecord,
    alerts,
    compliance,
    policy_for,
    queue_key,
    replay,
)
from tests.helpers.clock import MARTINIQUE, PARIS, at


def policy(offer_id: str, formula: str | None = None, territory: str = "metropole"):
    return policy_for(load_preset(offer_id).offer, formula, territory)


def registered(when: datetime, priority=None) -> Event:
    return Event(EventKind.REGISTERED, when, priority=priority)


# REQ-4 with the seeds' numbers: (offer, formula, territory, priority, registered, due)
PICKUP = [
    # Q art. 14: Critical 4 h, High 6 h, Moderate 8 h; Fri closes 17:00; lunch 12:30-14:00
    ("quadra-entreprise", None, "metropole", "critical", "2026-11-20 16:00", "2026-11-23 12:00"),
    ("quadra-entreprise", None, "metropole", "high", "2026-11-19 10:00", "2026-11-19 17:30"),
    ("quadra-entreprise", None, "metropole", "moderate", "2026-11-19 10:00", "2026-11-20 11:00"),
    # registered at night: the clock starts at the next opening (CAL-4)
    ("quadra-entreprise", None, "metropole", "critical", "2026-11-19 22:00", "2026-11-20 14:30"),
    # lands exactly on a closing time: due 12:30, not 14:00 (CAL-4)
    ("quadra-entreprise", None, "metropole", "critical", "2026-11-19 17:00", "2026-11-20 12:30"),
    # E §12.2: Open 8 h, Private 4 h; support afternoons from 14:30; Private extended 9-18
    ("expert-on-demand", "open", "metropole", None, "2026-11-19 09:00", "2026-11-20 10:30"),
    ("expert-on-demand", "private", "metropole", None, "2026-11-19 15:00", "2026-11-20 10:00"),
    # C §3.1.2 and S §13: 8 business hours on the placeholder hours
    ("eksae-contact", None, "metropole", None, "2026-11-19 09:00", "2026-11-20 10:00"),
    # Alsace: 26 December is a holiday (Q critical on 24 Dec 16:00 → 28 Dec, 25/26 off)
    ("quadra-entreprise", None, "6AE", "critical", "2026-12-24 16:00", "2026-12-28 11:30"),
]


@pytest.mark.parametrize(("offer_id", "formula", "territory", "priority", "start", "due"), PICKUP)
def test_it_computes_the_pickup_deadline_of_the_seed(
    offer_id, formula, territory, priority, start, due
) -> None:
    pol = policy(offer_id, formula, territory)
    state = replay(pol, [registered(at(start), priority)])
    assert state.clocks[Clock.PICKUP].due_at == at(due)


def test_it_runs_carrus_clocks_in_the_overseas_clients_own_zone() -> None:
    # S §5-6: overseas clients' hours are read in their zone; 22 May is a Martinique holiday
    # and 25 May 2026 is Whit Monday: Thu 16:00-17:30, then Tue 09:00-12:30 and 14:00-17:00.
    pol = policy("carrus-saas", None, "972")
    state = replay(pol, [registered(at("2026-05-21 16:00", MARTINIQUE))])
    assert state.clocks[Clock.PICKUP].due_at == at("2026-05-26 17:00", MARTINIQUE)


def test_it_keeps_business_hours_exact_across_the_spring_dst_change() -> None:
    # Friday 27 March 2026 16:00 CET + 4 h → Monday 30 March 12:00 CEST (clocks moved on Sunday)
    state = replay(policy("quadra-entreprise"), [registered(at("2026-03-27 16:00"), "critical")])
    due = state.clocks[Clock.PICKUP].due_at
    assert due == at("2026-03-30 12:00")
    assert due.utcoffset().total_seconds() == 7200


def test_it_keeps_business_hours_exact_across_the_autumn_dst_change() -> None:
    state = replay(policy("quadra-entreprise"), [registered(at("2026-10-23 16:00"), "moderate")])
    due = state.clocks[Clock.PICKUP].due_at
    assert due == at("2026-10-26 17:30")
    assert due.utcoffset().total_seconds() == 3600


def test_it_has_no_pickup_clock_for_a_formula_without_support() -> None:
    pol = policy("expert-on-demand", "connect")
    assert not pol.has_pickup
    assert Clock.PICKUP not in replay(pol, [registered(at("2026-11-19 10:00"))]).clocks


def test_it_recomputes_the_pickup_deadline_when_the_priority_is_re_set() -> None:
    events = [
        registered(at("2026-11-19 10:00"), "moderate"),
        Event(EventKind.PRIORITY_SET, at("2026-11-19 11:00"), priority="critical"),
    ]
    state = replay(policy("quadra-entreprise"), events)
    assert state.clocks[Clock.PICKUP].due_at == at("2026-11-19 15:30")


def test_it_stops_the_pickup_clock_at_take_in_charge_and_judges_it() -> None:
    pol = policy("quadra-entreprise")
    on_time = replay(
        pol,
        [
            registered(at("2026-11-19 10:00"), "critical"),
            Event(EventKind.TAKEN_IN_CHARGE, at("2026-11-19 15:30")),
        ],
    )
    late = replay(
        pol,
        [
            registered(at("2026-11-19 10:00"), "critical"),
            Event(EventKind.TAKEN_IN_CHARGE, at("2026-11-19 15:31")),
        ],
    )
    assert on_time.clocks[Clock.PICKUP].met(at("2026-12-01 00:00")) is True
    assert late.clocks[Clock.PICKUP].met(at("2026-12-01 00:00")) is False


# REQ-6: (offer, formula, criticity, qualified, clock, due)
DELIVERY = [
    ("quadra-entreprise", None, 1, "2026-11-19 10:00", Clock.ACTION_PLAN, "2026-11-20 16:30"),
    ("quadra-entreprise", None, 2, "2026-11-19 10:00", Clock.FIX, "2026-11-28 00:00"),
    ("expert-on-demand", "private", 1, "2026-11-19 10:00", Clock.ACTION_PLAN, "2026-11-20 13:00"),
    # 25 Dec and 1 Jan are holidays: 24, 28, 29, 30, 31 Dec, 4 Jan → end of 4 Jan
    ("eksae-contact", None, 2, "2026-12-23 10:00", Clock.FIX, "2027-01-05 00:00"),
]


@pytest.mark.parametrize(
    ("offer_id", "formula", "criticity", "qualified", "clock", "due"), DELIVERY
)
def test_it_starts_the_delivery_clock_at_qualification(
    offer_id, formula, criticity, qualified, clock, due
) -> None:
    events = [
        registered(at(qualified) - (at("2026-01-01 10:00") - at("2026-01-01 09:00")), "critical"),
        Event(EventKind.QUALIFIED, at(qualified), criticity=criticity),
    ]
    state = replay(policy(offer_id, formula), events)
    assert state.clocks[clock].due_at == at(due)


def test_it_sets_no_deadline_for_criticity_3() -> None:
    events = [
        registered(at("2026-11-19 09:00"), "high"),
        Event(EventKind.QUALIFIED, at("2026-11-19 10:00"), criticity=3),
    ]
    state = replay(policy("quadra-entreprise"), events)
    assert Clock.ACTION_PLAN not in state.clocks and Clock.FIX not in state.clocks


def test_it_pauses_the_action_plan_clock_while_waiting_for_the_client() -> None:
    # REQ-6b: 12 h from Thu 10:00 → Fri 16:30; waiting Thu 11:00-15:00 = 2.5 business hours,
    # so the deadline moves 2.5 business hours later: Fri 16:30-17:00, then Mon 09:00-11:00.
    events = [
        registered(at("2026-11-19 09:00"), "critical"),
        Event(EventKind.QUALIFIED, at("2026-11-19 10:00"), criticity=1),
        Event(EventKind.WAITING_FOR_CLIENT, at("2026-11-19 11:00")),
        Event(EventKind.CLIENT_ANSWERED, at("2026-11-19 15:00")),
    ]
    state = replay(policy("quadra-entreprise"), events)
    assert state.clocks[Clock.ACTION_PLAN].due_at == at("2026-11-23 11:00")


def test_it_never_pauses_the_pickup_clock() -> None:
    events = [
        registered(at("2026-11-19 09:00"), "critical"),
        Event(EventKind.WAITING_FOR_CLIENT, at("2026-11-19 10:00")),
    ]
    state = replay(policy("quadra-entreprise"), events)
    assert state.clocks[Clock.PICKUP].due_at == at("2026-11-19 14:30")
    assert state.clocks[Clock.PICKUP].running


def test_it_reports_a_paused_clock_as_not_breached() -> None:
    events = [
        registered(at("2026-11-19 09:00"), "critical"),
        Event(EventKind.QUALIFIED, at("2026-11-19 10:00"), criticity=1),
        Event(EventKind.WAITING_FOR_CLIENT, at("2026-11-19 11:00")),
    ]
    clock = replay(policy("quadra-entreprise"), events).clocks[Clock.ACTION_PLAN]
    assert clock.breached(at("2026-12-31 10:00")) is False


def test_it_runs_the_client_validation_clock_of_eksae_contact() -> None:
    # C §3.1.3: the client validates a delivered fix within 3 business days
    events = [
        registered(at("2026-11-16 09:00")),
        Event(EventKind.QUALIFIED, at("2026-11-16 10:00"), criticity=2),
        Event(EventKind.FIX_DELIVERED, at("2026-11-18 11:00")),
    ]
    state = replay(policy("eksae-contact"), events)
    assert state.clocks[Clock.FIX].met(at("2026-11-30 00:00")) is True
    assert state.clocks[Clock.VALIDATION].due_at == at("2026-11-24 00:00")
    assert replay(policy("quadra-entreprise"), events).clocks.get(Clock.VALIDATION) is None


def test_it_restarts_the_fix_clock_when_the_client_rejects_the_fix() -> None:
    events = [
        registered(at("2026-11-16 09:00")),
        Event(EventKind.QUALIFIED, at("2026-11-16 10:00"), criticity=2),
        Event(EventKind.FIX_DELIVERED, at("2026-11-18 11:00")),
        Event(EventKind.REJECTED, at("2026-11-19 11:00")),
    ]
    state = replay(policy("eksae-contact"), events)
    fix = state.clocks[Clock.FIX]
    assert fix.running and fix.started_at == at("2026-11-19 11:00")
    assert fix.due_at == at("2026-11-28 00:00")


def test_it_warns_at_75_percent_and_defers_non_urgent_warnings_to_the_next_opening() -> None:
    pol = policy("quadra-entreprise")
    # moderate, Thu 15:00: 8 h → Fri 16:00; 75 % = 6 h → Fri 12:30, the lunch closing instant,
    # still inside business time: sent at once, not after lunch.
    state = replay(pol, [registered(at("2026-11-19 15:00"), "moderate")])
    planned = alerts(pol, state, set())
    assert [(a.level, a.send_at) for a in planned] == [
        (AlertLevel.WARNING, at("2026-11-20 12:30")),
        (AlertLevel.BREACH, at("2026-11-20 16:00")),
    ]
    # sent once each: nothing planned again for what was sent
    started = state.clocks[Clock.PICKUP].started_at
    sent = {(Clock.PICKUP, AlertLevel.WARNING, started)}
    assert alerts(pol, state, sent)[0].level is AlertLevel.BREACH
    # a fix deadline at 24:00 is reached outside hours: the breach waits for Monday 09:00
    events = [
        registered(at("2026-11-16 09:00"), "high"),
        Event(EventKind.QUALIFIED, at("2026-11-16 10:00"), criticity=2),
    ]
    fix_breach = next(
        a
        for a in alerts(pol, replay(pol, events), set())
        if a.clock is Clock.FIX and a.level is AlertLevel.BREACH
    )
    assert fix_breach.due_at == at("2026-11-25 00:00")
    assert fix_breach.send_at == at("2026-11-25 09:00")


def test_it_sends_criticity_1_warnings_at_once_even_outside_hours() -> None:
    pol = policy("quadra-entreprise")
    events = [
        registered(at("2026-11-19 16:00"), "critical"),
        Event(EventKind.QUALIFIED, at("2026-11-19 17:00"), criticity=1),
    ]
    plan = alerts(pol, replay(pol, events), set())
    action = [a for a in plan if a.clock is Clock.ACTION_PLAN]
    assert all(a.send_at == a.due_at for a in action)


def test_it_measures_compliance_per_12_month_period_from_the_support_start() -> None:
    now = at("2027-03-01 12:00")

    def record(reg: str, due: str, picked: str | None, cancelled: bool = False) -> PickupRecord:
        return PickupRecord(at(reg), at(due), at(picked) if picked else None, cancelled)

    records = [
        record("2026-02-02 10:00", "2026-02-02 15:00", "2026-02-02 11:00"),  # period 0, in time
        record("2026-05-04 10:00", "2026-05-04 15:00", "2026-05-05 09:00"),  # period 0, late
        record("2026-12-01 10:00", "2026-12-01 15:00", None),  # period 0, never picked up
        record("2027-01-14 10:00", "2027-01-14 15:00", "2027-01-14 10:05"),  # period 0 (< 15 Jan)
        record("2027-01-15 10:00", "2027-01-15 15:00", "2027-01-15 10:05"),  # period 1
        record("2027-03-01 11:00", "2027-03-01 16:00", None),  # period 1, pending
        record("2026-06-01 10:00", "2026-06-01 15:00", None, cancelled=True),  # not counted
    ]
    periods = compliance(records, support_start=date(2026, 1, 15), zone=PARIS, now=now)
    assert [(p.start, p.end) for p in periods] == [
        (date(2026, 1, 15), date(2027, 1, 15)),
        (date(2027, 1, 15), date(2028, 1, 15)),
    ]
    first, second = periods
    assert (first.registered, first.in_time, first.missed, first.pending) == (4, 2, 2, 0)
    assert first.rate_percent == 50.0 and first.met is False
    assert (second.registered, second.in_time, second.missed, second.pending) == (2, 1, 0, 1)
    assert second.rate_percent == 100.0 and second.met is True


def test_it_orders_the_queue_private_first_then_by_deadline() -> None:
    rows = {
        "private-late-comer": queue_key(True, at("2026-11-19 11:00"), at("2026-11-19 15:00")),
        "private-first": queue_key(True, at("2026-11-19 10:00"), at("2026-11-20 15:00")),
        "open-urgent": queue_key(False, at("2026-11-19 08:00"), at("2026-11-19 12:00")),
        "open-later": queue_key(False, at("2026-11-19 07:00"), at("2026-11-19 16:00")),
    }
    assert sorted(rows, key=rows.__getitem__) == [
        "private-first",
        "private-late-comer",
        "open-urgent",
        "open-later",
    ]


def test_it_warns_again_when_a_rejected_fix_restarts_its_clock() -> None:
    pol = policy("eksae-contact")
    first = [
        registered(at("2026-11-16 09:00")),
        Event(EventKind.QUALIFIED, at("2026-11-16 10:00"), criticity=2),
    ]
    run1 = replay(pol, first).clocks[Clock.FIX].started_at
    sent = {(Clock.FIX, level, run1) for level in AlertLevel}
    assert not [a for a in alerts(pol, replay(pol, first), sent) if a.clock is Clock.FIX]
    restarted = [
        *first,
        Event(EventKind.FIX_DELIVERED, at("2026-11-18 11:00")),
        Event(EventKind.REJECTED, at("2026-11-19 11:00")),
    ]
    again = [a for a in alerts(pol, replay(pol, restarted), sent) if a.clock is Clock.FIX]
    assert [a.level for a in again] == [AlertLevel.WARNING, AlertLevel.BREACH]
    assert all(a.started_at == at("2026-11-19 11:00") for a in again)
