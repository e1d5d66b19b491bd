"""The five built-in presets carry the key numbers of their seeds (SPEC OFF-0, OFF-2).

Each row of the tables below is (preset, getter, expected): the getter reads one value of the
validated offer and the row's id cites the SPEC rule the value comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from livret.core.offer import PRESET_IDS, Duration, Offer, load_offer_file, load_preset, preset_path
from livret.core.offer.schema import Sourced
from livret.core.territory import expand_territories

Q = "quadra-entreprise"
E = "expert-on-demand"
P = "preventcare"
C = "eksae-contact"
S = "carrus-saas"

SEED_LETTERS = {Q: "Q", E: "E", P: "P", C: "C", S: "S"}

Getter = Callable[[Offer], Any]


def dur(amount: float, unit: str) -> Duration:
    return Duration(amount=amount, unit=unit)


def hours(role: str, formula: str | None = None) -> Getter:
    """Opening intervals per weekday of the calendar a role reads for a formula."""

    def get(offer: Offer) -> dict[str, list[tuple[str, str]]]:
        spec = offer.calendar(role, formula)
        return {day: [tuple(i) for i in intervals] for day, intervals in spec.weekdays.items()}

    return get


def week(
    mon_thu: list[tuple[str, str]],
    fri: list[tuple[str, str]] | None = None,
    sat: list[tuple[str, str]] | None = None,
    sun: list[tuple[str, str]] | None = None,
) -> dict[str, list[tuple[str, str]]]:
    days: dict[str, list[tuple[str, str]]] = {d: mon_thu for d in ("mon", "tue", "wed", "thu")}
    days["fri"] = mon_thu if fri is None else fri
    if sat is not None:
        days["sat"] = sat
    if sun is not None:
        days["sun"] = sun
    return days


def rule(rule_id: str) -> Getter:
    """MON-2: (metric, above, below, duration, schedule) of one P monitoring rule."""

    def get(offer: Offer) -> tuple[Any, ...]:
        assert offer.monitoring is not None
        found = {r.id: r for r in offer.monitoring.rules}[rule_id]
        return (found.metric, found.above, found.below, found.duration, found.schedule)

    return get


SUPPORT_SPLIT = [("09:00", "12:30"), ("14:00", "17:30")]
SUPPORT_FRIDAY = [("09:00", "12:30"), ("14:00", "17:00")]
PRT = [("07:00", "20:00")]
WEEKDAY_NIGHTS = [("00:00", "07:00"), ("20:00", "24:00")]
ALL_DAY = [("00:00", "24:00")]
NIGHT = [("00:00", "07:00")]


KEY_NUMBERS = [
    # OFF-0: identifiers and kinds.
    *(pytest.param(p, lambda o: o.id, p, id=f"OFF-0 {p} id") for p in PRESET_IDS),
    pytest.param(Q, lambda o: o.kind, "saas", id="OFF-0 Q kind"),
    pytest.param(E, lambda o: o.kind, "saas", id="OFF-0 E kind"),
    pytest.param(P, lambda o: o.kind, "monitoring", id="OFF-0 P kind"),
    pytest.param(C, lambda o: o.kind, "support", id="OFF-0 C kind"),
    pytest.param(S, lambda o: o.kind, "saas", id="OFF-0 S kind"),
    pytest.param(E, lambda o: list(o.formulas), ["connect", "open", "private"], id="OFF-0 E"),
    # REQ-4: pickup deadlines per formula and priority, in business hours.
    pytest.param(
        Q,
        lambda o: o.support.pickup["standard"].for_priority("critical"),
        dur(4, "business_hours"),
        id="REQ-4 Q critical",
    ),
    pytest.param(
        Q,
        lambda o: o.support.pickup["standard"].for_priority("high"),
        dur(6, "business_hours"),
        id="REQ-4 Q high",
    ),
    pytest.param(
        Q,
        lambda o: o.support.pickup["standard"].for_priority("moderate"),
        dur(8, "business_hours"),
        id="REQ-4 Q moderate",
    ),
    pytest.param(
        E,
        lambda o: o.support.pickup["open"].for_priority(None),
        dur(8, "business_hours"),
        id="REQ-4 E open",
    ),
    pytest.param(
        E,
        lambda o: o.support.pickup["private"].for_priority(None),
        dur(4, "business_hours"),
        id="REQ-4 E private",
    ),
    pytest.param(E, lambda o: "connect" in o.support.pickup, False, id="REQ-4 E connect none"),
    pytest.param(E, lambda o: o.formulas["connect"].support, False, id="REQ-4 E connect"),
    pytest.param(
        C,
        lambda o: o.support.pickup["standard"].for_priority(None),
        dur(8, "business_hours"),
        id="REQ-4 C",
    ),
    pytest.param(
        S,
        lambda o: o.support.pickup["standard"].for_priority(None),
        dur(8, "business_hours"),
        id="REQ-4 S",
    ),
    pytest.param(P, lambda o: o.support.pickup, {}, id="REQ-4 P follows Contact or Open"),
    pytest.param(P, lambda o: o.formulas["standard"].support, False, id="REQ-4 P no own SLA"),
    # REQ-5, REQ-6: criticities and deadlines from qualification.
    *(
        pytest.param(
            p,
            lambda o: (o.anomalies.action_plan.criticities, o.anomalies.action_plan.within),
            ([1], dur(12, "business_hours")),
            id=f"REQ-6 {p} action plan",
        )
        for p in (Q, E, C, S)
    ),
    *(
        pytest.param(
            p,
            lambda o: (o.anomalies.fix.criticities, o.anomalies.fix.within),
            ([2], dur(6, "business_days")),
            id=f"REQ-6 {p} fix",
        )
        for p in (Q, E, C, S)
    ),
    pytest.param(C, lambda o: o.anomalies.client_validation, dur(3, "business_days"), id="REQ-6 C"),
    *(
        pytest.param(p, lambda o: o.anomalies.client_validation, None, id=f"REQ-6 {p} none")
        for p in (Q, E, S)
    ),
    pytest.param(E, lambda o: o.anomalies.formulas, ["open", "private"], id="REQ-6 E formulas"),
    pytest.param(
        C,
        lambda o: [o.anomalies.criticities[k].label for k in ("1", "2", "3")],
        ["Bloquante", "Majeure", "Mineure"],
        id="REQ-5 C labels",
    ),
    pytest.param(
        S,
        lambda o: [o.anomalies.criticities[k].label for k in ("1", "2", "3")],
        ["Bloquante", "Majeure", "Mineure"],
        id="REQ-5 S labels",
    ),
    pytest.param(P, lambda o: o.anomalies, None, id="REQ-6 P none"),
    # REQ-7: at least 75 % picked up in time, per 12 consecutive months.
    *(
        pytest.param(
            p,
            lambda o: (o.support.compliance.target_percent, o.support.compliance.period),
            (75, dur(12, "months")),
            id=f"REQ-7 {p}",
        )
        for p in (E, C, S)
    ),
    # REQ-8: C supports only the two latest major versions.
    pytest.param(
        C,
        lambda o: {r.id: r.latest_major_versions for r in o.support.eligibility}[
            "supported-version"
        ],
        2,
        id="REQ-8 C supported version",
    ),
    # REQ-9, RPT-1, CAL-1: what E Private adds.
    pytest.param(E, lambda o: o.formulas["private"].priority_line, True, id="REQ-9 E private"),
    pytest.param(E, lambda o: o.formulas["open"].priority_line, False, id="REQ-9 E open"),
    pytest.param(E, lambda o: o.formulas["private"].dashboard, True, id="RPT-1 E private"),
    pytest.param(E, lambda o: o.reports.formulas, ["private"], id="RPT-1 E report formulas"),
    pytest.param(
        E,
        lambda o: o.formulas["private"].calendars,
        {"support": "support-extended", "phone": "support-extended"},
        id="CAL-1 E private reads support-extended",
    ),
    # AVL-3: availability targets; AVL-1: PRT 07:00-20:00 Monday to Friday.
    pytest.param(Q, lambda o: o.availability.target_percent, 99.0, id="AVL-3 Q"),
    pytest.param(E, lambda o: o.availability.target_percent, 99.5, id="AVL-3 E"),
    pytest.param(S, lambda o: o.availability.target_percent, 99.85, id="AVL-3 S"),
    pytest.param(P, lambda o: o.availability, None, id="AVL-3 P none"),
    pytest.param(C, lambda o: o.availability, None, id="AVL-3 C none"),
    *(pytest.param(p, hours("availability"), week(PRT), id=f"AVL-1 {p} PRT") for p in (Q, E, S)),
    pytest.param(
        S, lambda o: o.calendar("availability").follows_territory_zone, True, id="AVL-1 S zone"
    ),
    # MNT-1, MNT-2: windows, notice, blocking work.
    *(
        pytest.param(p, lambda o: o.maintenance.notice, dur(48, "hours"), id=f"MNT-2 {p}")
        for p in (Q, E, S)
    ),
    pytest.param(Q, lambda o: o.maintenance.blocking_not_before, "22:00", id="MNT-1 Q blocking"),
    pytest.param(E, lambda o: o.maintenance.blocking_not_before, "22:00", id="MNT-1 E blocking"),
    pytest.param(S, lambda o: o.maintenance.blocking_not_before, None, id="MNT-1 S blocking"),
    *(
        pytest.param(
            p,
            hours("maintenance"),
            week(WEEKDAY_NIGHTS, sat=ALL_DAY, sun=ALL_DAY),
            id=f"MNT-1 {p} window",
        )
        for p in (Q, E)
    ),
    pytest.param(S, hours("maintenance"), week(NIGHT, sat=NIGHT, sun=ALL_DAY), id="MNT-1 S window"),
    *(
        pytest.param(
            p, lambda o: o.calendar("maintenance").holidays, "open-all-day", id=f"MNT-1 {p} hol"
        )
        for p in (Q, E, S)
    ),
    pytest.param(
        S, lambda o: o.calendar("maintenance").follows_territory_zone, True, id="MNT-1 S zone"
    ),
    pytest.param(P, lambda o: o.maintenance, None, id="MNT-1 P none"),
    pytest.param(C, lambda o: o.maintenance, None, id="MNT-1 C none"),
    # CAL-1, OFF-2: support, phone and customer-service calendars.
    pytest.param(Q, hours("support"), week(SUPPORT_SPLIT, SUPPORT_FRIDAY), id="CAL-1 Q support"),
    pytest.param(
        Q,
        hours("customer-service"),
        week([("09:00", "18:00")], [("09:00", "17:00")]),
        id="CAL-1 Q customer service",
    ),
    pytest.param(
        E,
        hours("support", "open"),
        week([("09:00", "12:30"), ("14:30", "17:30")], [("09:00", "12:30"), ("14:30", "17:00")]),
        id="OFF-2 E support from 14:30",
    ),
    pytest.param(
        E, hours("phone"), week(SUPPORT_SPLIT, SUPPORT_FRIDAY), id="OFF-2 E phone from 14:00"
    ),
    pytest.param(E, lambda o: o.support.phone_calendar, "phone", id="OFF-2 E phone calendar"),
    pytest.param(
        E,
        hours("support", "private"),
        week([("09:00", "18:00")], [("09:00", "17:00")]),
        id="CAL-1 E private extended",
    ),
    *(
        pytest.param(p, hours(role), week(SUPPORT_SPLIT), id=f"OFF-2 {p} {role} placeholder")
        for p in (C, S)
        for role in ("support", "phone")
    ),
    *(
        pytest.param(
            p, lambda o, r=role: o.calendar(r).placeholder, True, id=f"OFF-2 {p} {role} marked"
        )
        for p in (C, S)
        for role in ("support", "phone")
    ),
    pytest.param(Q, lambda o: o.calendar("support").placeholder, False, id="OFF-2 Q confirmed"),
    pytest.param(E, lambda o: o.calendar("support").placeholder, False, id="OFF-2 E confirmed"),
    pytest.param(P, hours("support"), week(SUPPORT_SPLIT, SUPPORT_FRIDAY), id="MON-3 P hours"),
    pytest.param(P, lambda o: o.calendar("support").placeholder, True, id="MON-3 P marked"),
    pytest.param(
        S, lambda o: o.calendar("support").follows_territory_zone, True, id="CAL-3 S zone"
    ),
    # BKP-1, BKP-2: copies and retention tiers.
    pytest.param(
        Q,
        lambda o: [(t.every, t.day_of_month, t.keep) for t in o.backups.tiers],
        [("day", None, dur(45, "calendar_days"))],
        id="BKP-2 Q",
    ),
    pytest.param(
        E,
        lambda o: [(t.every, t.day_of_month, t.keep) for t in o.backups.tiers],
        [
            ("day", None, dur(7, "calendar_days")),
            ("week", None, dur(4, "weeks")),
            ("month", None, dur(2, "months")),
        ],
        id="BKP-2 E",
    ),
    pytest.param(
        S,
        lambda o: [(t.every, t.day_of_month, t.keep) for t in o.backups.tiers],
        [("day", None, dur(30, "calendar_days")), ("month", 1, dur(3, "months"))],
        id="BKP-2 S",
    ),
    *(
        pytest.param(
            p,
            lambda o: (o.backups.copies, o.backups.distinct_sites),
            (2, True),
            id=f"BKP-1 {p} two sites",
        )
        for p in (Q, E)
    ),
    *(
        pytest.param(p, lambda o: o.backups.documents is not None, True, id=f"BKP-2 {p} documents")
        for p in (Q, E)
    ),
    pytest.param(P, lambda o: o.backups, None, id="BKP-2 P none"),
    pytest.param(C, lambda o: o.backups, None, id="BKP-2 C none"),
    # RET-1: movement history.
    pytest.param(Q, lambda o: o.history.years, 3, id="RET-1 Q"),
    pytest.param(S, lambda o: o.history.years, 5, id="RET-1 S"),
    # OFF-3, CAL-2: territories.
    pytest.param(
        Q, lambda o: o.territories.codes(), expand_territories(["metropolitan"]), id="OFF-3 Q"
    ),
    pytest.param(
        E, lambda o: o.territories.codes(), expand_territories(["metropolitan"]), id="OFF-3 E"
    ),
    pytest.param(
        S,
        lambda o: o.territories.codes(),
        expand_territories(["metropolitan", "overseas"]),
        id="OFF-3 S",
    ),
    # RET-2: E dossiers.
    pytest.param(E, lambda o: o.dossiers.active_within, dur(12, "months"), id="RET-2 active"),
    pytest.param(E, lambda o: o.dossiers.unused_after, dur(6, "years"), id="RET-2 unused"),
    pytest.param(E, lambda o: o.dossiers.keep_flag_default_for_unused, True, id="RET-2 keep"),
    pytest.param(
        E,
        lambda o: (o.dossiers.auto_flag_year, o.dossiers.auto_flag_quarter),
        (5, 4),
        id="RET-2 auto flag Q4 of year 5",
    ),
    pytest.param(E, lambda o: o.dossiers.clear_until, "12-25", id="RET-2 clear until"),
    pytest.param(
        E,
        lambda o: (o.dossiers.billing_stops_after, o.dossiers.billing_stop_cutoff_day),
        (dur(1, "months"), 25),
        id="RET-2 billing stop",
    ),
    pytest.param(E, lambda o: o.dossiers.shifted_closing_extra_free_months, 11, id="RET-2 shifted"),
    pytest.param(
        E, lambda o: o.dossiers.recovery_window, dur(45, "calendar_days"), id="RET-2 recovery"
    ),
    # RET-3: document space.
    pytest.param(
        Q, lambda o: (o.documents.quota_gb, o.documents.quota_per), (5, "client"), id="RET-3 Q"
    ),
    pytest.param(
        E, lambda o: (o.documents.quota_gb, o.documents.quota_per), (5, "user"), id="RET-3 E"
    ),
    # LRN-1, LRN-2, LRN-4: learning.
    pytest.param(Q, lambda o: o.learning.pass_percent, 70, id="LRN-2 Q pass"),
    pytest.param(Q, lambda o: o.learning.retake_wait, dur(7, "calendar_days"), id="LRN-2 Q"),
    pytest.param(Q, lambda o: o.learning.learning_phase, dur(6, "months"), id="LRN-1 Q phase"),
    pytest.param(
        E,
        lambda o: o.learning.content_levels,
        {
            "connect": ["connect"],
            "open": ["connect", "open"],
            "private": ["connect", "open", "private"],
        },
        id="LRN-4 E content levels",
    ),
    pytest.param(
        E,
        lambda o: o.learning.m365_content,
        {
            "connect": ["standard"],
            "open": ["standard", "premium"],
            "private": ["standard", "premium"],
        },
        id="LRN-4 E m365",
    ),
    # PCK-1..3: Q packs.
    *(
        pytest.param(Q, lambda o, k=k: o.packs[k].commitment, dur(36, "months"), id=f"PCK-3 Q {k}")
        for k in ("assistance-plus", "service-plus")
    ),
    pytest.param(
        Q,
        lambda o: o.packs["service-plus"].credits_validity,
        dur(12, "months"),
        id="PCK-2 Q credits",
    ),
    # CTR-1, CTR-3: billing and term.
    *(
        pytest.param(
            p,
            lambda o: (o.billing.every, o.billing.in_advance, o.billing.first_invoice),
            ("quarter", True, "access-codes-sent"),
            id=f"CTR-1 {p}",
        )
        for p in (Q, E)
    ),
    pytest.param(Q, lambda o: o.billing.term, dur(36, "months"), id="CTR-3 Q term"),
    pytest.param(Q, lambda o: o.billing.non_renewal_notice, dur(6, "months"), id="CTR-3 Q"),
    # CTR-4, OFF-3, MNT-4: E options.
    pytest.param(
        E,
        lambda o: sorted(o.options),
        ["acceptance-environment", "data-ouverture", "personalised-update"],
        id="OFF-3 E options",
    ),
    pytest.param(
        E,
        lambda o: o.options["acceptance-environment"].requires,
        ["personalised-update"],
        id="CTR-4 requires personalised update",
    ),
    pytest.param(
        E,
        lambda o: o.options["acceptance-environment"].named_users_more_than,
        300,
        id="CTR-4 more than 300 named users",
    ),
    pytest.param(
        E,
        lambda o: o.options["acceptance-environment"].limits,
        {"environments": 1, "named_users": 10, "dossiers": 50, "refreshes_per_year": 2},
        id="CTR-4 limits",
    ),
    pytest.param(
        E, lambda o: o.updates.agreed_date_option, "personalised-update", id="MNT-4 E agreed"
    ),
    pytest.param(E, lambda o: o.updates.regulatory_patches_excepted, True, id="MNT-4 E regul"),
    pytest.param(C, lambda o: o.updates.kinds, ["major", "minor"], id="MNT-4 C kinds"),
    pytest.param(S, lambda o: o.updates.kinds, ["new-version", "patch"], id="MNT-4 S kinds"),
    # MON-2: P monitoring rules.
    pytest.param(
        P,
        rule("disk-busy"),
        ("disk_busy_percent", 95, None, dur(20, "minutes"), None),
        id="MON-2 disk-busy",
    ),
    pytest.param(
        P,
        rule("disk-queue"),
        ("disk_queue_percent", 95, None, dur(20, "minutes"), None),
        id="MON-2 disk-queue",
    ),
    pytest.param(
        P,
        rule("pagefile"),
        ("pagefile_percent", 85, None, dur(15, "minutes"), None),
        id="MON-2 pagefile",
    ),
    pytest.param(
        P,
        rule("memory-committed"),
        ("memory_committed_percent", 90, None, dur(10, "minutes"), None),
        id="MON-2 memory-committed",
    ),
    pytest.param(
        P, rule("cpu"), ("cpu_percent", 95, None, dur(20, "minutes"), None), id="MON-2 cpu"
    ),
    pytest.param(
        P,
        rule("disk-free"),
        ("disk_free_percent", None, 10, None, "03:00"),
        id="MON-2 disk-free daily at 03:00",
    ),
    pytest.param(
        P, lambda o: o.monitoring.collection_interval, dur(1, "minutes"), id="MON-2 collection"
    ),
    pytest.param(
        P,
        lambda o: (o.monitoring.heartbeat.every, o.monitoring.heartbeat.grace),
        (dur(1, "hours"), dur(5, "minutes")),
        id="MON-2 heartbeat",
    ),
    pytest.param(
        P,
        lambda o: o.monitoring.heartbeat.impact,
        "major-extended",
        id="MON-2 missing heartbeat is major",
    ),
    # MON-3: triage by impact.
    pytest.param(
        P,
        lambda o: [(t.id, t.actions, t.level1_diagnosis_max) for t in o.monitoring.triage],
        [
            ("none", ["acknowledge"], None),
            ("minor-moderate", ["mail-or-call"], None),
            ("significant", ["open-request", "mail-client"], None),
            ("major-extended", ["open-request", "phone-call"], dur(1, "hours")),
        ],
        id="MON-3 triage",
    ),
    # MON-5: preventive visits.
    pytest.param(
        P,
        lambda o: (
            o.monitoring.visits.per_year,
            o.monitoring.visits.per_extra_server,
            o.monitoring.visits.max_length,
        ),
        (2, 1, dur(1, "business_days")),
        id="MON-5 visits",
    ),
    # CTR-5: P liability and termination.
    pytest.param(
        P, lambda o: o.termination.liability_cap_over, dur(12, "months"), id="CTR-5 liability"
    ),
    pytest.param(P, lambda o: o.termination.cure_period, dur(20, "calendar_days"), id="CTR-5 cure"),
    pytest.param(
        P, lambda o: o.termination.immediate_if_unsupported_version, True, id="CTR-5 unsupported"
    ),
    # ACC-1, ACC-2: S accounts.
    pytest.param(
        S,
        lambda o: {
            k.id: (k.initial_password_by_vendor, k.change_password_at_first_login)
            for k in o.accounts.kinds
        }["administrator"],
        (True, True),
        id="ACC-2 S administrator password",
    ),
    pytest.param(
        S,
        lambda o: {"administrator", "user"} <= {k.id for k in o.accounts.kinds},
        True,
        id="ACC-1 S kinds",
    ),
    # OFF-3: S option.
    pytest.param(S, lambda o: list(o.options), ["pra-pca"], id="OFF-3 S pra-pca"),
    # RPT-2: usage data without personal data.
    *(
        pytest.param(p, lambda o: o.reports.usage_data_without_personal_data, True, id=f"RPT-2 {p}")
        for p in (C, S)
    ),
]


@pytest.mark.parametrize(("preset", "getter", "expected"), KEY_NUMBERS)
def test_it_keeps_the_key_numbers_of_each_seed(preset: str, getter: Getter, expected: Any) -> None:
    assert getter(load_preset(preset).offer) == expected


def test_it_names_every_p_monitoring_rule_mon_2() -> None:
    offer = load_preset(P).offer
    assert offer.monitoring is not None
    ids = {r.id for r in offer.monitoring.rules}
    assert {"disk-busy", "disk-queue", "pagefile", "memory-committed", "cpu", "disk-free"} <= ids
    assert len(ids) == len(offer.monitoring.rules)


def _setup_days(offer: Offer, users: int, servers: int) -> int | None:
    """MON-4 as P's preset reads it: the first tier the site fits; None = quoted."""
    assert offer.monitoring is not None
    for tier in offer.monitoring.setup:
        if users < tier.min_users:
            continue
        if tier.max_users is not None and users > tier.max_users:
            continue
        if tier.max_servers is not None and servers > tier.max_servers:
            continue
        return tier.days
    raise AssertionError(f"no set-up tier for {users} users and {servers} servers")


@pytest.mark.parametrize(
    ("users", "servers", "days"),
    [
        (1, 1, 1),
        (9, 2, 1),
        (9, 3, 2),  # MON-4: 3+ servers is 2 days even under 10 users
        (10, 1, 2),
        (49, 5, 2),
        (50, 1, None),  # MON-4: quoted from 50 users
        (200, 10, None),
    ],
)
def test_it_sizes_the_p_setup_by_users_and_servers_mon_4(
    users: int, servers: int, days: int | None
) -> None:
    assert _setup_days(load_preset(P).offer, users, servers) == days


def _sourced_sections(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Sourced):
        yield ".".join(str(p) for p in path), value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _sourced_sections(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _sourced_sections(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _sourced_sections(item, (*path, index))


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_it_gives_every_section_a_seed_source_off_2(preset: str) -> None:
    offer = load_preset(preset).offer
    sections = list(_sourced_sections(offer))
    assert len(sections) > 5
    letter = SEED_LETTERS[preset]
    for path, section in sections:
        assert section.source.strip(), f"{preset}: {path} has no source"
        assert section.source.startswith((f"{letter} ", "SPEC ")), (
            f"{preset}: {path} cites {section.source!r}, not seed {letter}"
        )


@pytest.mark.parametrize("preset", PRESET_IDS)
def test_it_validates_each_preset_through_load_offer_file_off_1(preset: str) -> None:
    loaded = load_offer_file(preset_path(preset))
    assert loaded.offer.id == preset
    assert loaded.offer == load_preset(preset).offer


def test_it_records_the_e_support_and_phone_hours_as_a_reading_off_2() -> None:
    offer = load_preset(E).offer
    sources = [r.source for r in offer.readings]
    assert any("12.2" in s and "12.6" in s for s in sources)


@pytest.mark.parametrize("preset", [C, S])
def test_it_notes_why_placeholder_calendars_are_placeholders_off_2(preset: str) -> None:
    offer = load_preset(preset).offer
    for name, spec in offer.calendars.items():
        if spec.placeholder:
            assert spec.note, f"{preset}: placeholder calendar {name} has no note"
