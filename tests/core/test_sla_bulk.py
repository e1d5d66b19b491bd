"""One walk over a request's events, two ways to do the arithmetic (REQ-4, REQ-6, REQ-6b, CAL-7):
the bulk settle of many requests gives, request by request, exactly what the scalar replay and
alerts give."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livret.core import sla
from livret.core.calendar import to_us
from livret.core.offer import load_offer_text, load_preset
from livret.core.sla_bulk import Deadlines, settle

UTC = ZoneInfo("UTC")
BASE = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)  # with up to 260 days: both DST changes of 2026
QUADRA_PICKUP = (
    'critical = { amount = 4, unit = "business_hours" }',
    'high = { amount = 6, unit = "business_hours" }',
    'moderate = { amount = 8, unit = "business_hours" }',
)


def scalar_columns(
    policy: sla.SlaPolicy,
    events: list[sla.Event],
    sent: set[tuple[str, str, int]],
    now: datetime,
) -> Deadlines:
    """What services.recompute stores, from the scalar core (the reference)."""
    state = sla.replay(policy, events)
    clocks = state.clocks

    def due(clock: sla.Clock) -> int | None:
        return to_us(clocks[clock].due_at) if clock in clocks else None

    epoch = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    done = {
        (sla.Clock(c), sla.AlertLevel(lvl), epoch + timedelta(microseconds=started))
        for c, lvl, started in sent
    }
    planned = sla.alerts(policy, state, done) if clocks else []
    deadline = state.next_deadline()
    return Deadlines(
        pickup_due=due(sla.Clock.PICKUP),
        action_plan_due=due(sla.Clock.ACTION_PLAN),
        fix_due=due(sla.Clock.FIX),
        validation_due=due(sla.Clock.VALIDATION),
        next_deadline=to_us(deadline) if deadline else None,
        next_alert=to_us(planned[0].send_at) if planned else None,
        breached=tuple(c.value for c in state.breached_clocks(now)),
    )


def walked_in_us(policy: sla.SlaPolicy, events: list[sla.Event]) -> sla.Walk[int]:
    """The walk over the events, with instants in epoch microseconds (the bulk path's)."""
    return sla.walk(policy, [(e.kind, to_us(e.at), e.priority, e.criticity) for e in events])


def assert_bulk_is_scalar(
    policy: sla.SlaPolicy,
    histories: list[list[sla.Event]],
    sents: list[set[tuple[str, str, int]]],
    now: datetime,
) -> None:
    bulk = settle(policy, [walked_in_us(policy, e) for e in histories], sents, to_us(now))
    for i, (events, sent) in enumerate(zip(histories, sents, strict=True)):
        assert bulk.deadlines(i) == scalar_columns(policy, events, sent, now), events


def quadra_with_pickup(*targets: str) -> sla.SlaPolicy:
    """Q metropole with other pickup deadlines (critical, high, moderate)."""
    text = load_preset("quadra-entreprise").text
    for old, new in zip(QUADRA_PICKUP, targets, strict=True):
        text = text.replace(old, new)
    return sla.policy_for(load_offer_text(text).offer, None, "metropole")


POLICIES = [
    ("quadra-entreprise", None, "metropole"),
    ("quadra-entreprise", None, "6AE"),
    ("expert-on-demand", "open", "metropole"),
    ("expert-on-demand", "private", "metropole"),
    ("eksae-contact", None, "metropole"),
    ("carrus-saas", None, "972"),
]


def random_history(rng: random.Random, start: datetime) -> list[sla.Event]:
    """Any sequence of clock events, legal or not, at minute or microsecond instants."""
    kinds = list(sla.EventKind)
    t = start
    events = [
        sla.Event(
            sla.EventKind.REGISTERED, t, priority=rng.choice(["critical", "high", "moderate", None])
        )
    ]
    for _ in range(rng.randrange(0, 9)):
        t += timedelta(minutes=rng.choice([0, 1, 30, 90, 240, 900, 3000, 9000]))
        if rng.random() < 0.1:
            t += timedelta(microseconds=rng.randrange(1, 10**6))
        kind = rng.choice(kinds)
        events.append(
            sla.Event(
                kind,
                t,
                priority=rng.choice(["critical", "high", "moderate"]),
                criticity=rng.choice([1, 2, 3, None]),
            )
        )
    return events


@pytest.mark.parametrize(("offer_id", "formula", "territory"), POLICIES)
def test_it_computes_in_bulk_exactly_what_the_scalar_replay_gives(
    offer_id: str, formula: str | None, territory: str
) -> None:
    policy = sla.policy_for(load_preset(offer_id).offer, formula, territory)
    rng = random.Random(f"{offer_id}-{formula}-{territory}")
    histories, sents = [], []
    for _ in range(400):
        start = BASE + timedelta(minutes=rng.randrange(0, 60 * 24 * 260))
        events = random_history(rng, start)
        histories.append(events)
        # alerts recorded for the clock's current run count; those of an earlier run do not
        runs = sla.replay(policy, events).clocks
        sent = set()
        for clock, state in runs.items():
            for level in sla.AlertLevel:
                roll = rng.random()
                if roll < 0.2:
                    sent.add((clock.value, level.value, to_us(state.started_at)))
                elif roll < 0.3:
                    earlier = state.started_at - timedelta(hours=1)
                    sent.add((clock.value, level.value, to_us(earlier)))
        sents.append(sent)
    assert_bulk_is_scalar(policy, histories, sents, BASE + timedelta(days=150))


# Seed policies, and one whose pickup deadlines are plain minutes, hours and calendar days.
PROPERTY_POLICIES = [
    *(sla.policy_for(load_preset(o).offer, f, t) for o, f, t in POLICIES),
    quadra_with_pickup(
        'critical = { amount = 90, unit = "minutes" }',
        'high = { amount = 6.5, unit = "hours" }',
        'moderate = { amount = 2, unit = "calendar_days" }',
    ),
]
_GAPS = st.sampled_from([0, 1, 30, 90, 240, 900, 3000, 9000])  # minutes


@st.composite
def histories(draw: st.DrawFn) -> list[sla.Event]:
    """A registration then any clock events, legal or not, some at microsecond instants."""
    t = BASE + timedelta(minutes=draw(st.integers(0, 60 * 24 * 260)))
    priorities = st.sampled_from(["critical", "high", "moderate", None])
    events = [sla.Event(sla.EventKind.REGISTERED, t, priority=draw(priorities))]
    for _ in range(draw(st.integers(0, 10))):
        t += timedelta(minutes=draw(_GAPS), microseconds=draw(st.sampled_from([0, 0, 1, 999_999])))
        events.append(
            sla.Event(
                draw(st.sampled_from(list(sla.EventKind))),
                t,
                priority=draw(priorities),
                criticity=draw(st.sampled_from([1, 2, 3, None])),
            )
        )
    return events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(PROPERTY_POLICIES) - 1),
    batch=st.lists(histories(), min_size=1, max_size=6),
    now_days=st.integers(0, 300),
    data=st.data(),
)
def test_it_settles_any_batch_as_the_scalar_replay_does(
    which: int, batch: list[list[sla.Event]], now_days: int, data: st.DataObject
) -> None:
    policy = PROPERTY_POLICIES[which]
    sents = []
    for events in batch:  # some alerts sent for the current run, some for an earlier one
        sent = set()
        for clock, state in sla.replay(policy, events).clocks.items():
            for level in sla.AlertLevel:
                run = data.draw(st.sampled_from([None, state.started_at, BASE]))
                if run is not None:
                    sent.add((clock.value, level.value, to_us(run)))
        sents.append(sent)
    assert_bulk_is_scalar(policy, batch, sents, BASE + timedelta(days=now_days))


def test_it_walks_datetimes_and_microseconds_alike() -> None:
    policy = sla.policy_for(load_preset("eksae-contact").offer, None, "metropole")
    kinds = sla.EventKind
    events = [
        sla.Event(kind, BASE + timedelta(hours=hours), priority="high", criticity=2)
        for hours, kind in enumerate(
            (
                kinds.REGISTERED,
                kinds.TAKEN_IN_CHARGE,
                kinds.QUALIFIED,
                kinds.WAITING_FOR_CLIENT,
                kinds.CLIENT_ANSWERED,
                kinds.WAITING_FOR_CLIENT,
                kinds.FIX_DELIVERED,
            )
        )
    ]
    in_us = walked_in_us(policy, events)
    as_dt = sla.walk(policy, [(e.kind, e.at, e.priority, e.criticity) for e in events])
    assert (in_us.priority, in_us.criticity) == (as_dt.priority, as_dt.criticity)
    assert list(in_us.runs) == list(as_dt.runs)
    for clock, run in as_dt.runs.items():
        assert in_us.runs[clock].started_at == to_us(run.started_at)
        assert in_us.runs[clock].pauses == [(to_us(a), to_us(b)) for a, b in run.pauses]
        assert in_us.runs[clock].stopped_at == (run.stopped_at and to_us(run.stopped_at))
    assert len(as_dt.runs[sla.Clock.FIX].pauses) == 2  # the second pause ended at delivery


def test_it_refuses_a_clock_it_cannot_count_as_soon_as_it_starts() -> None:
    policy = quadra_with_pickup('critical = { amount = 2, unit = "weeks" }', *QUADRA_PICKUP[1:])
    start = datetime(2026, 11, 19, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    events = [
        sla.Event(sla.EventKind.REGISTERED, start, priority="critical"),
        sla.Event(sla.EventKind.PRIORITY_SET, start, priority="high"),  # the clock restarts
    ]
    with pytest.raises(sla.SlaError, match="2 semaines is not an SLA clock"):
        sla.replay(policy, events)
    with pytest.raises(sla.SlaError, match="not an SLA clock"):
        walked_in_us(policy, events)
