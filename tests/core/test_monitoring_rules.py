"""The PreventCare rule engine (SPEC MON-2, MON-3): Prometheus-like pending/firing/resolved.

The rules come from the preset (offers are data); each table row uses the seed's numbers.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livret.core.monitoring import (
    Alert,
    MissingBackup,
    Rule,
    RuleEngine,
    RuleError,
    Sample,
    Transition,
    engine_settings,
    missing_backups,
    replay,
    rules_from_offer,
)
from livret.core.offer import load_preset

PARIS = ZoneInfo("Europe/Paris")
OFFER = load_preset("preventcare").offer
RULES = rules_from_offer(OFFER)
BY_ID = {rule.id: rule for rule in RULES}
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)
MIN = timedelta(minutes=1)


def every_minute(metric: str, values: list[float], start: datetime = T0) -> list[Sample]:
    return [Sample(start + i * MIN, "srv-1", metric, v) for i, v in enumerate(values)]


def states(transitions: list[Transition]) -> list[tuple[str, str, datetime]]:
    return [(t.alert.rule, t.state, t.at) for t in transitions]


# --------------------------------------------------------------------------- rules from the offer


@pytest.mark.parametrize(
    ("rule_id", "metric", "op", "threshold", "hold"),
    [
        ("disk-busy", "disk_busy_percent", ">", 95, 20),
        ("disk-queue", "disk_queue_percent", ">", 95, 20),
        ("pagefile", "pagefile_percent", ">", 85, 15),
        ("memory-committed", "memory_committed_percent", ">", 90, 10),
        ("cpu", "cpu_percent", ">", 95, 20),
        ("disk-free", "disk_free_percent", "<", 10, 0),
        ("latency", "latency_ms", ">", 600, 0),
    ],
)
def test_it_builds_the_mon2_rules_from_the_preventcare_offer(
    rule_id: str, metric: str, op: str, threshold: float, hold: int
) -> None:
    rule = BY_ID[rule_id]
    assert (rule.metric, rule.op, rule.threshold) == (metric, op, threshold)
    assert rule.hold == timedelta(minutes=hold)
    assert rule.impact == "minor-moderate"  # MON-3: the preset's default impact


def test_it_reads_the_schedules_and_the_heartbeat_from_the_offer() -> None:
    assert BY_ID["disk-free"].schedule == time(3, 0)
    assert BY_ID["disk-free"].zone == "Europe/Paris"
    assert BY_ID["event-log"].every == timedelta(minutes=10)
    assert BY_ID["services"].every == timedelta(hours=1)
    assert engine_settings(OFFER) == {
        "heartbeat_every": timedelta(hours=1),
        "heartbeat_grace": timedelta(minutes=5),
        "heartbeat_impact": "major-extended",
    }
    grace = engine_settings(OFFER, heartbeat_grace=timedelta(minutes=10))["heartbeat_grace"]
    assert grace == timedelta(minutes=10)


def test_it_refuses_an_offer_without_monitoring_and_inconsistent_rules() -> None:
    with pytest.raises(RuleError, match="no monitoring section"):
        rules_from_offer(load_preset("quadra-entreprise").offer)
    with pytest.raises(RuleError, match="either a daily schedule or 'every'"):
        Rule("x", "x", "m", ">", 1, schedule=time(3), every=timedelta(hours=1))
    with pytest.raises(RuleError, match="duplicate monitoring rule ids: cpu"):
        RuleEngine([BY_ID["cpu"], BY_ID["cpu"]])
    with pytest.raises(RuleError, match="impact must be one of none, minor-moderate"):
        Rule("x", "x", "m", ">", 1, impact="urgent")
    with pytest.raises(RuleError, match="unknown time zone"):
        Rule("x", "x", "m", ">", 1, zone="Mars/Olympus")


# --------------------------------------------------------------------------- duration rules

DURATION_RULES = [
    pytest.param("cpu", "cpu_percent", 96.0, 95.0, 20, id="cpu>95%-20min"),
    pytest.param(
        "memory-committed", "memory_committed_percent", 91.0, 90.0, 10, id="mem>90%-10min"
    ),
    pytest.param("pagefile", "pagefile_percent", 86.0, 85.0, 15, id="pagefile>85%-15min"),
    pytest.param("disk-busy", "disk_busy_percent", 96.0, 95.0, 20, id="disk-busy>95%-20min"),
    pytest.param("disk-queue", "disk_queue_percent", 96.0, 95.0, 20, id="disk-queue>95%-20min"),
]


@pytest.mark.parametrize(("rule", "metric", "high", "threshold", "hold"), DURATION_RULES)
def test_it_fires_when_the_condition_holds_exactly_the_duration(
    rule: str, metric: str, high: float, threshold: float, hold: int
) -> None:
    # MON-2: pending at the first holding sample, firing at pending + hold, not one minute before.
    engine = RuleEngine(RULES)
    before = engine.observe_many(every_minute(metric, [high] * hold))
    assert states(before) == [(rule, "pending", T0)]
    assert engine.active()[0].firing_at is None
    at_hold = engine.observe(Sample(T0 + hold * MIN, "srv-1", metric, high))
    assert states(at_hold) == [(rule, "firing", T0 + hold * MIN)]
    fired = at_hold[0].alert
    assert (fired.pending_at, fired.firing_at, fired.resolved_at) == (T0, T0 + hold * MIN, None)
    assert fired.impact == "minor-moderate" and fired.value == high


@pytest.mark.parametrize(("rule", "metric", "high", "threshold", "hold"), DURATION_RULES)
def test_it_resets_a_pending_alert_on_one_sample_below_the_threshold(
    rule: str, metric: str, high: float, threshold: float, hold: int
) -> None:
    # Exactly at the threshold does not hold ("> 95 %"): it resets like any lower value.
    values = [high] * (hold - 1) + [threshold] + [high] * (hold + 1)
    transitions = RuleEngine(RULES).observe_many(every_minute(metric, values))
    restart = T0 + hold * MIN
    assert states(transitions) == [
        (rule, "pending", T0),
        (rule, "reset", T0 + (hold - 1) * MIN),
        (rule, "pending", restart),
        (rule, "firing", restart + hold * MIN),
    ]


@pytest.mark.parametrize(("rule", "metric", "high", "threshold", "hold"), DURATION_RULES)
def test_it_resolves_a_firing_alert_at_the_first_sample_that_does_not_hold(
    rule: str, metric: str, high: float, threshold: float, hold: int
) -> None:
    values = [high] * (hold + 5) + [threshold - 10, high]
    alerts = replay(every_minute(metric, values), RULES)
    assert [a.as_json() for a in alerts] == [
        {
            "rule": rule,
            "server": "srv-1",
            "series": None,
            "pending_at": "2026-03-10T10:00:00+01:00",
            "firing_at": (T0 + hold * MIN).isoformat(),
            "resolved_at": (T0 + (hold + 5) * MIN).isoformat(),
            "impact": "minor-moderate",
            "value": high,
        }
    ]


def test_it_evaluates_a_rule_only_on_samples_of_its_own_metric_and_server() -> None:
    # A memory sample below 90 % does not evaluate cpu; another server's cpu neither.
    samples: list[Sample] = []
    for i in range(21):
        samples.append(Sample(T0 + i * MIN, "srv-1", "cpu_percent", 99))
        samples.append(Sample(T0 + i * MIN, "srv-1", "memory_committed_percent", 20))
        samples.append(Sample(T0 + i * MIN, "srv-2", "cpu_percent", 10))
    alerts = replay(samples, RULES)
    assert [(a.rule, a.server, a.firing_at) for a in alerts] == [("cpu", "srv-1", T0 + 20 * MIN)]


def test_it_resets_a_pending_alert_after_a_gap_of_more_than_five_minutes() -> None:
    # Missing data (a livret reading, like Prometheus's 5-minute staleness): a gap of 6 min
    # resets the pending alert at the last sample + 5 min; a gap of exactly 5 min does not.
    gap6 = every_minute("cpu_percent", [99] * 10) + every_minute(
        "cpu_percent", [99] * 21, T0 + 15 * MIN
    )
    transitions = RuleEngine(RULES).observe_many(gap6)
    assert states(transitions) == [
        ("cpu", "pending", T0),
        ("cpu", "reset", T0 + 14 * MIN),
        ("cpu", "pending", T0 + 15 * MIN),
        ("cpu", "firing", T0 + 35 * MIN),
    ]
    gap5 = every_minute("cpu_percent", [99] * 10) + every_minute(
        "cpu_percent", [99] * 11, T0 + 14 * MIN
    )
    assert states(RuleEngine(RULES).observe_many(gap5))[-1] == ("cpu", "firing", T0 + 20 * MIN)


def test_it_resets_a_silent_pending_alert_on_advance_but_keeps_a_firing_one() -> None:
    engine = RuleEngine(RULES)
    engine.observe_many(every_minute("cpu_percent", [99] * 21))
    engine.observe_many(every_minute("memory_committed_percent", [95] * 3))
    assert engine.advance(T0 + 7 * MIN) == []  # memory's last sample 10:02 + 5 min = 10:07
    later = engine.advance(T0 + 2 * 60 * MIN)
    assert states(later) == [("memory-committed", "reset", T0 + 7 * MIN)]
    assert [(a.rule, a.resolved_at) for a in engine.active()] == [("cpu", None)]


def test_it_tells_when_advance_has_work_next() -> None:
    # For a worker: the next scheduled check, heartbeat deadline, re-alert or stale reset.
    engine = RuleEngine(RULES)
    assert engine.next_due() is None
    engine.observe(Sample(T0, "srv-1", "heartbeat", 1))
    assert engine.next_due() == T0  # the 10:00 checks run after the samples of 10:00
    engine.advance(T0)
    assert engine.next_due() == T0 + 10 * MIN  # event-log, every 10 minutes
    engine.advance(T0 + 59 * MIN)
    assert engine.next_due() == T0 + 60 * MIN  # services, hourly
    engine.observe(Sample(T0 + 62 * MIN, "srv-1", "cpu_percent", 99))  # pending
    engine.advance(T0 + 64 * MIN)
    assert engine.next_due() == T0 + 65 * MIN  # the heartbeat deadline (11:05)
    engine.advance(T0 + 65 * MIN)
    assert engine.next_due() == T0 + 67 * MIN + timedelta(microseconds=1)  # cpu goes stale
    assert states(engine.advance(T0 + 68 * MIN)) == [("cpu", "reset", T0 + 67 * MIN)]


def test_it_ignores_a_sample_older_than_the_latest_of_its_series() -> None:
    engine = RuleEngine(RULES)
    engine.observe(Sample(T0 + 5 * MIN, "srv-1", "cpu_percent", 99))
    assert engine.observe(Sample(T0, "srv-1", "cpu_percent", 10)) == []
    assert engine.active()[0].pending_at == T0 + 5 * MIN


def test_it_fires_a_rule_without_duration_at_the_first_holding_sample_and_realerts() -> None:
    # MON-2: latency > 600 ms is re-alerted until restored (interval: an operator setting).
    rules = rules_from_offer(OFFER, repeat={"latency": timedelta(minutes=30)})
    engine = RuleEngine(rules)
    fired = engine.observe(Sample(T0, "site-a", "latency_ms", 750))
    assert states(fired) == [("latency", "firing", T0)]
    assert fired[0].alert.pending_at == fired[0].alert.firing_at == T0
    # The 10:30 re-alert is due before the 10:45 sample: observe runs it first.
    still = engine.observe(Sample(T0 + 45 * MIN, "site-a", "latency_ms", 800))
    assert states(still) == [("latency", "repeat", T0 + 30 * MIN)]
    assert states(engine.advance(T0 + 60 * MIN)) == [("latency", "repeat", T0 + 60 * MIN)]
    restored = engine.observe(Sample(T0 + 61 * MIN, "site-a", "latency_ms", 120))
    assert states(restored) == [("latency", "resolved", T0 + 61 * MIN)]
    assert engine.advance(T0 + 5 * 60 * MIN) == []


@pytest.mark.parametrize(("rule", "metric", "broken"), [("latency", "latency_ms", 750),
                                                         ("vpn", "vpn_down", 1)])  # fmt: skip
def test_it_realerts_latency_and_vpn_breaks_every_hour_from_the_preset(
    rule: str, metric: str, broken: float
) -> None:
    """MON-2 (P art. 3.2): re-alerted until restored; the preset reads one hour."""
    assert BY_ID[rule].repeat == timedelta(hours=1)
    engine = RuleEngine(RULES)
    assert states(engine.observe(Sample(T0, "site-a", metric, broken))) == [(rule, "firing", T0)]
    assert engine.advance(T0 + 59 * MIN) == []
    assert states(engine.advance(T0 + 2 * 60 * MIN)) == [
        (rule, "repeat", T0 + 60 * MIN),
        (rule, "repeat", T0 + 120 * MIN),
    ]
    restored = engine.observe(Sample(T0 + 150 * MIN, "site-a", metric, 0))
    assert states(restored) == [(rule, "resolved", T0 + 150 * MIN)]
    assert engine.advance(T0 + 10 * 60 * MIN) == []


# --------------------------------------------------------------------------- scheduled rules


def disk_free(at: datetime, volume: str, value: float, server: str = "srv-1") -> Sample:
    return Sample(at, server, f"disk_free_percent:{volume}", value)


def test_it_checks_free_space_daily_at_0300_paris_on_the_latest_value_of_each_volume() -> None:
    day = datetime(2026, 6, 10, tzinfo=PARIS)
    samples = [
        disk_free(day + timedelta(hours=1), "C:", 5),
        disk_free(day + timedelta(hours=1), "D:", 50),
        disk_free(day + timedelta(hours=2), "C:", 8),
        disk_free(day + timedelta(hours=3), "D:", 4),  # at 03:00 exactly: read by the check
        disk_free(day + timedelta(hours=3, seconds=1), "C:", 90),  # after the check
        disk_free(day + timedelta(hours=12), "C:", 90),
    ]
    alerts = replay(samples, RULES)
    assert [(a.series, a.firing_at, a.value, a.resolved_at) for a in alerts] == [
        ("C:", day + timedelta(hours=3), 8, None),
        ("D:", day + timedelta(hours=3), 4, None),
    ]
    # Resolved at the next 03:00 check that does not hold, not when the value came back.
    samples.append(disk_free(day + timedelta(days=1, hours=3), "D:", 4))
    alerts = replay(samples, RULES)
    assert [(a.series, a.resolved_at) for a in alerts] == [
        ("C:", day + timedelta(days=1, hours=3)),
        ("D:", None),
    ]


def test_it_checks_free_space_at_0300_paris_on_the_spring_forward_night_2026_03_29() -> None:
    # 2026-03-29: clocks go from 02:00 to 03:00; 03:00 local is 01:00 UTC (23 hours after the
    # check of the 28th at 02:00 UTC).
    utc = datetime(2026, 3, 29, tzinfo=UTC)
    samples = [
        disk_free(utc - timedelta(hours=23), "C:", 50),
        disk_free(utc + timedelta(minutes=59, seconds=59), "C:", 5),  # 02:59:59 CET
        disk_free(utc + timedelta(hours=1, minutes=30), "D:", 5),  # 03:30 CEST, after the check
        disk_free(utc + timedelta(hours=2), "C:", 5),
    ]
    alerts = replay(samples, RULES)
    assert [(a.series, a.firing_at.isoformat()) for a in alerts] == [  # type: ignore[union-attr]
        ("C:", "2026-03-29T01:00:00+00:00")
    ]
    assert alerts[0].as_json()["firing_at"] == "2026-03-29T03:00:00+02:00"
    assert BY_ID["disk-free"].next_check(utc) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_it_checks_free_space_at_0300_paris_on_the_fall_back_night_2026_10_25() -> None:
    # 2026-10-25: clocks go from 03:00 back to 02:00; 03:00 local happens once, at 02:00 UTC
    # (25 hours after the check of the 24th at 01:00 UTC). 02:30 local happens twice.
    utc = datetime(2026, 10, 25, tzinfo=UTC)
    samples = [
        disk_free(utc - timedelta(hours=1), "C:", 50),
        disk_free(utc + timedelta(minutes=30), "C:", 5),  # 02:30 CEST, the first 02:30
        disk_free(utc + timedelta(hours=1, minutes=30), "D:", 5),  # 02:30 CET, the second one
        disk_free(utc + timedelta(hours=2), "E:", 5),  # 03:00 CET exactly
        disk_free(utc + timedelta(hours=2, minutes=1), "F:", 5),  # 03:01 CET: next day
    ]
    alerts = replay(samples, RULES)
    assert [a.series for a in alerts] == ["C:", "D:", "E:"]
    assert {a.as_json()["firing_at"] for a in alerts} == {"2026-10-25T03:00:00+01:00"}
    assert BY_ID["disk-free"].next_check(utc - timedelta(days=1)) == datetime(
        2026, 10, 24, 1, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("day", "checks"),
    [
        pytest.param("2026-03-10", 144, id="ordinary-day"),
        pytest.param("2026-03-29", 138, id="spring-forward-2026-03-29"),
        pytest.param("2026-10-25", 150, id="fall-back-2026-10-25"),
    ],
)
def test_it_counts_ten_minute_checks_from_local_midnight_across_dst(day: str, checks: int) -> None:
    # Event-log errors every 10 min (MON-2): 10 minutes of elapsed time from local midnight.
    rule = BY_ID["event-log"]
    start = datetime.fromisoformat(day).replace(tzinfo=PARIS)
    end = (start + timedelta(days=1, hours=2)).replace(hour=0)
    instants = []
    at = rule.next_check(start)
    while at < end:
        instants.append(at)
        at = rule.next_check(at + timedelta(microseconds=1))
    assert len(instants) == checks
    assert all(b - a == timedelta(minutes=10) for a, b in itertools.pairwise(instants))
    assert {i.astimezone(PARIS).minute % 10 for i in instants} == {0}


def test_it_evaluates_event_log_errors_every_ten_minutes_and_services_hourly() -> None:
    samples = [
        Sample(T0 + 3 * MIN, "srv-1", "event_log_errors", 2),  # seen at the 10:10 check
        Sample(T0 + 12 * MIN, "srv-1", "event_log_errors", 0),  # resolved at 10:20
        Sample(T0 + 5 * MIN, "srv-1", "services_stopped", 1),  # seen at the 11:00 check
        Sample(T0 + 70 * MIN, "srv-1", "services_stopped", 0),  # resolved at 12:00
        Sample(T0 + 121 * MIN, "srv-1", "cpu_percent", 1),
    ]
    alerts = replay(sorted(samples, key=lambda s: s.time), RULES)
    assert [(a.rule, a.firing_at, a.resolved_at) for a in alerts] == [
        ("event-log", T0 + 10 * MIN, T0 + 20 * MIN),
        ("services", T0 + 60 * MIN, T0 + 120 * MIN),
    ]


# --------------------------------------------------------------------------- heartbeat


def test_it_raises_a_major_alert_when_a_heartbeat_is_missing_at_1h05_not_1h04_59() -> None:
    # MON-2: none within 1 h of the previous heartbeat plus 5 min of grace → major alert.
    engine = RuleEngine(RULES, **engine_settings(OFFER))
    engine.observe(Sample(T0, "srv-1", "heartbeat", 1))
    assert engine.advance(T0 + timedelta(hours=1, minutes=4, seconds=59)) == []
    fired = engine.advance(T0 + timedelta(hours=1, minutes=5))
    assert states(fired) == [("heartbeat", "firing", T0 + timedelta(hours=1, minutes=5))]
    assert fired[0].alert.impact == "major-extended"  # MON-3
    assert fired[0].alert.pending_at == fired[0].alert.firing_at
    assert engine.advance(T0 + timedelta(hours=5)) == []  # one alert, not one per hour
    back = engine.observe(Sample(T0 + timedelta(hours=5, minutes=3), "srv-1", "heartbeat", 1))
    assert states(back) == [("heartbeat", "resolved", T0 + timedelta(hours=5, minutes=3))]


def test_it_accepts_a_heartbeat_exactly_at_the_deadline_and_the_operator_grace() -> None:
    deadline = T0 + timedelta(hours=1, minutes=5)
    beats = [Sample(T0, "srv-1", "heartbeat", 1), Sample(deadline, "srv-1", "heartbeat", 1)]
    assert replay(beats, RULES) == []
    late = [Sample(T0, "srv-1", "heartbeat", 1), Sample(deadline + MIN, "srv-1", "heartbeat", 1)]
    assert [(a.firing_at, a.resolved_at) for a in replay(late, RULES)] == [
        (deadline, deadline + MIN)
    ]
    # The grace is an operator setting: 10 minutes moves the deadline to 1:10.
    settings_ = engine_settings(OFFER, heartbeat_grace=timedelta(minutes=10))
    assert replay(late, RULES, **settings_) == []


# --------------------------------------------------------------------------- snapshot / restore


def _stream(spec: list[tuple[int, int, int, float]]) -> list[Sample]:
    metrics = ["cpu_percent", "memory_committed_percent", "disk_free_percent:C:", "heartbeat",
               "event_log_errors"]  # fmt: skip
    minute = 0
    samples = []
    for step, server, metric, value in spec:
        minute += step
        samples.append(Sample(T0 + minute * MIN, f"srv-{server}", metrics[metric], value))
    return samples


def _run(samples: list[Sample], cut: int, restore: bool) -> tuple[list[Transition], list[Alert]]:
    """Observe the samples in two batches split at ``cut``, with a JSON snapshot and restore
    between them if ``restore``."""
    rules = rules_from_offer(OFFER, repeat={"cpu": timedelta(minutes=7)})
    engine = RuleEngine(rules)
    out = engine.observe_many(samples[:cut])
    if restore:
        state = json.loads(json.dumps(engine.snapshot()))
        engine = RuleEngine.restore(rules, state)
    out += engine.observe_many(samples[cut:])
    out += engine.advance(samples[-1].time + timedelta(hours=3))
    return out, engine.active()


sample_specs = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 1, 1, 2, 7, 45, 200]),
        st.integers(0, 1),
        st.integers(0, 4),
        st.sampled_from([0.0, 5.0, 50.0, 95.0, 99.0]),
    ),
    min_size=2,
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(spec=sample_specs, fraction=st.floats(0, 1))
def test_it_restores_a_snapshot_and_gives_the_same_results_as_an_uninterrupted_run(
    spec: list[tuple[int, int, int, float]], fraction: float
) -> None:
    samples = _stream(spec)
    cut = int(fraction * len(samples))
    whole, whole_active = _run(samples, cut, restore=False)
    resumed, resumed_active = _run(samples, cut, restore=True)
    assert resumed == whole
    assert resumed_active == whole_active


def test_it_resumes_pending_firing_and_heartbeat_state_from_json() -> None:
    samples = [
        Sample(T0, "srv-1", "heartbeat", 1),
        *every_minute("cpu_percent", [99] * 15),
        disk_free(datetime(2026, 3, 11, 2, 0, tzinfo=PARIS), "C:", 3),
    ]
    whole, _ = _run(samples, 10, restore=False)
    resumed, _ = _run(samples, 10, restore=True)
    assert resumed == whole
    assert [t.state for t in whole if t.alert.rule == "heartbeat"] == ["firing"]


# --------------------------------------------------------------------------- backups


def test_it_lists_backup_results_not_received_by_their_due_time() -> None:
    # MON-2: a backup result not received by its due time → alert; a late one resolves it.
    day = timedelta(days=1)
    due = datetime(2026, 3, 10, 7, 0, tzinfo=PARIS)
    expected = [("nightly", due), ("nightly", due + day), ("nightly", due + 2 * day),
                ("weekly", due), ("nightly", due + 3 * day)]  # fmt: skip
    received = [
        ("nightly", due - timedelta(hours=4)),  # in time for day 1
        ("nightly", due + day + timedelta(hours=2)),  # late for day 2
        ("nightly", due + 2 * day),  # exactly at the due time: in time
        ("other", due),
    ]
    assert missing_backups(expected, received, now=due + 2 * day + timedelta(hours=1)) == [
        MissingBackup("weekly", due, None),
        MissingBackup("nightly", due + day, due + day + timedelta(hours=2)),
    ]
