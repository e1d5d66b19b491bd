"""MON-3 triage decisions, without a database: impact order, actions per impact, instructions,
request priority and the level-1 diagnosis timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from livret.core.offer import load_preset
from livret.core.triage import (
    GENERIC_INSTRUCTIONS,
    TriagePlan,
    decide_impact,
    diagnosis_due,
    instructions_for,
    offer_rule,
    offer_rules,
    request_priority,
    triage_plan,
)

OFFER = load_preset("preventcare").offer
FIRING = datetime(2026, 11, 24, 8, 20, tzinfo=UTC)
BACKUP_INSTRUCTIONS = "Vérifiez que le support de sauvegarde est branché et disponible."


@pytest.mark.parametrize(
    ("server_override", "global_override", "source", "default", "expected"),
    [
        ("none", "major-extended", "significant", "minor-moderate", "none"),
        (None, "significant", "none", "minor-moderate", "significant"),
        (None, None, "significant", "minor-moderate", "significant"),
        (None, None, None, "major-extended", "major-extended"),
        (None, None, "", "major-extended", "major-extended"),  # an empty source gives nothing
        (None, None, "severe", None, "minor-moderate"),  # unknown impacts are skipped
        (None, None, None, None, "minor-moderate"),
    ],
)
def test_it_prefers_overrides_to_the_source_and_the_source_to_the_default(
    server_override: str | None,
    global_override: str | None,
    source: str | None,
    default: str | None,
    expected: str,
) -> None:
    assert decide_impact(server_override, global_override, source, default) == expected


@pytest.mark.parametrize(
    ("impact", "actions", "level1"),
    [
        ("none", ("acknowledge",), None),
        ("minor-moderate", ("mail-or-call",), None),
        ("significant", ("open-request", "mail-client"), None),
        ("major-extended", ("open-request", "phone-call"), timedelta(hours=1)),
    ],
)
def test_it_reads_each_impact_level_from_the_offer(
    impact: str, actions: tuple[str, ...], level1: timedelta | None
) -> None:
    assert triage_plan(OFFER, impact) == TriagePlan(actions, level1)


def test_it_falls_back_to_the_spec_when_the_offer_lists_no_levels() -> None:
    assert OFFER.monitoring is not None
    levels = OFFER.monitoring.model_copy(update={"triage": []})
    bare = OFFER.model_copy(update={"monitoring": levels})
    assert triage_plan(bare, "major-extended") == TriagePlan(
        ("open-request", "phone-call"), timedelta(hours=1)
    )
    assert triage_plan(bare, "significant") == TriagePlan(("open-request", "mail-client"), None)
    assert triage_plan(bare, "unknown") == TriagePlan(("mail-or-call",), None)


@pytest.mark.parametrize(
    ("rule", "instructions"),
    [
        ("backup-missing", BACKUP_INSTRUCTIONS),  # raised by the worker (not received)
        ("backup-failed", BACKUP_INSTRUCTIONS),  # raised by the ingestion (failed result)
        ("backup", BACKUP_INSTRUCTIONS),  # the offer's rule id itself
        (
            "disk-free",
            "Libérez de l'espace disque (corbeille, fichiers temporaires, anciens exports).",
        ),
        ("backup-other", GENERIC_INSTRUCTIONS),
        ("event-log", GENERIC_INSTRUCTIONS),
    ],
)
def test_it_gives_each_rule_its_instructions(rule: str, instructions: str) -> None:
    assert instructions_for(rule) == instructions


def test_it_files_the_backup_alerts_under_the_offers_backup_rule() -> None:
    assert offer_rule("backup-missing") == offer_rule("backup-failed") == "backup"
    assert offer_rule("cpu") == "cpu"


def test_it_lists_the_offers_rules_and_the_heartbeat_with_their_default_impacts() -> None:
    rules = offer_rules(OFFER, "Battement")
    assert rules["cpu"] == ("Temps processeur", "minor-moderate")
    assert rules["heartbeat"] == ("Battement", "major-extended")  # MON-2: a missing one is major
    assert offer_rules(load_preset("quadra-entreprise").offer, "Battement") == {}


@pytest.mark.parametrize(
    ("impact", "priority"),
    [("significant", "high"), ("major-extended", "critical"), ("minor-moderate", "moderate")],
)
def test_it_opens_requests_at_the_impacts_priority(impact: str, priority: str) -> None:
    assert request_priority(impact) == priority


def test_it_counts_the_level1_hour_from_the_firing_instant_once() -> None:
    """MON-3: the level-1 diagnosis timer starts once; a running timer or an alert already at
    level 2 keeps what it has; a plan without a phone call has no timer."""
    major = triage_plan(OFFER, "major-extended")
    assert diagnosis_due(major, FIRING, None, escalated=False) == FIRING + timedelta(hours=1)
    running = FIRING + timedelta(minutes=20)
    assert diagnosis_due(major, FIRING, running, escalated=False) == running
    assert diagnosis_due(major, FIRING, None, escalated=True) is None
    assert diagnosis_due(triage_plan(OFFER, "significant"), FIRING, None, escalated=False) is None
