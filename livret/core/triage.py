"""MON-3 decisions of the alert triage: which impact, what it calls for, when it escalates.

An alert's impact is, in this order: the operators' override for its rule on its server, their
override for the rule on every server, the impact its source gave (the engine copies the rule's
default; Alertmanager's ``severity`` label), and last the rule's default in the offer
(:func:`decide_impact`). What each impact does comes from the offer's ``monitoring.triage``
levels (offers are data), or from the SPEC when the offer lists none (:func:`triage_plan`):

* ``none`` (acknowledge): the alert is acknowledged, nothing else;
* ``minor-moderate`` (mail-or-call): the client's contacts get a mail with instructions
  (:func:`instructions_for`), the monitoring team a notice;
* ``significant`` (open-request, mail-client): a support request is opened (its priority:
  :func:`request_priority`) and the client told;
* ``major-extended`` (open-request, phone-call): a request, a phone-call task for the team and
  a level-1 diagnosis timer (``level1_diagnosis_max``, 1 hour) counted from the firing instant
  (:func:`diagnosis_due`); when it runs out the alert moves to level 2.

Pure: the app (``livret.monitoring.alerts``) reads the overrides and the alert, asks here, and
records the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from livret.core.monitoring_rules import (
    HEARTBEAT_METRIC,
    IMPACTS,
    RuleError,
    rules_from_offer,
    timer,
)
from livret.core.offer.schema import Offer

# MON-3 as the SPEC states it, for an offer that lists no triage levels.
DEFAULT_ACTIONS: dict[str, tuple[str, ...]] = {
    "none": ("acknowledge",),
    "minor-moderate": ("mail-or-call",),
    "significant": ("open-request", "mail-client"),
    "major-extended": ("open-request", "phone-call"),
}
DEFAULT_LEVEL1 = timedelta(hours=1)
# The request's priority sets the support contract's pickup deadline (Q: critical 4 h, high 6 h).
PRIORITY = {"significant": "high", "major-extended": "critical"}
# What the client can do at once, per rule; the team completes it by mail or phone.
INSTRUCTIONS = {
    "disk-free": "Libérez de l'espace disque (corbeille, fichiers temporaires, anciens exports).",
    "disk-busy": "Évitez les traitements lourds sur ce serveur jusqu'à notre retour.",
    "disk-queue": "Évitez les traitements lourds sur ce serveur jusqu'à notre retour.",
    "cpu": "Fermez les traitements lourds inutiles sur ce serveur.",
    "memory-committed": "Fermez les applications et sessions inutiles sur ce serveur.",
    "pagefile": "Fermez les applications et sessions inutiles sur ce serveur.",
    "services": "Ne redémarrez pas le serveur avant notre appel.",
    "backup": "Vérifiez que le support de sauvegarde est branché et disponible.",
    "latency": "Vérifiez le lien internet du site et le routeur.",
    "vpn": "Vérifiez le lien internet du site et le routeur.",
    "hardware": "Vérifiez les voyants du serveur et ne l'éteignez pas avant notre appel.",
    HEARTBEAT_METRIC: "Vérifiez que le serveur est allumé et que le site a accès à internet.",
}
GENERIC_INSTRUCTIONS = "Aucune action n'est requise de votre part pour l'instant."
# Alerts raised under a rule id of their own that belong to one rule of the offer: the backup
# alerts of the ingestion and of the worker (``livret.monitoring.evaluation``) are the offer's
# ``backup`` rule (MON-2: failed, incomplete, cancelled or not received).
RULE_FAMILY = {"backup-missing": "backup", "backup-failed": "backup"}


def offer_rule(rule: str) -> str:
    """The offer's rule id an alert's rule belongs to (``backup-failed`` → ``backup``)."""
    return RULE_FAMILY.get(rule, rule)


def instructions_for(rule: str) -> str:
    """MON-3 minor/moderate: what the client can do at once for an alert of ``rule``."""
    return INSTRUCTIONS.get(rule) or INSTRUCTIONS.get(offer_rule(rule), GENERIC_INSTRUCTIONS)


def decide_impact(
    server_override: str | None,
    global_override: str | None,
    source_impact: str | None,
    rule_default: str | None,
) -> str:
    """MON-3: the first impact given, from the most specific to the offer's default."""
    for impact in (server_override, global_override, source_impact, rule_default):
        if impact is not None and impact in IMPACTS:
            return impact
    return "minor-moderate"


@dataclass(frozen=True)
class TriagePlan:
    """What the monitoring team does for one impact (the offer's ``monitoring.triage``)."""

    actions: tuple[str, ...]
    level1: timedelta | None


def triage_plan(offer: Offer, impact: str) -> TriagePlan:
    """The offer's actions for ``impact`` (SPEC MON-3 when the offer lists none)."""
    levels = offer.monitoring.triage if offer.monitoring else []
    for level in levels:
        if level.id == impact:
            level1 = (
                timer(level.level1_diagnosis_max, f"triage {impact}")
                if level.level1_diagnosis_max
                else None
            )
            if "phone-call" in level.actions and level1 is None:
                level1 = DEFAULT_LEVEL1
            return TriagePlan(tuple(level.actions), level1)
    actions = DEFAULT_ACTIONS.get(impact, DEFAULT_ACTIONS["minor-moderate"])
    return TriagePlan(actions, DEFAULT_LEVEL1 if "phone-call" in actions else None)


def offer_rules(offer: Offer, heartbeat_label: str) -> dict[str, tuple[str, str]]:
    """Rule id -> (label, default impact) for the offer's rules and its heartbeat (MON-2),
    the heartbeat under ``heartbeat_label`` (the app gives it in the reader's language)."""
    if offer.monitoring is None:
        return {}
    try:
        rules = {r.id: (r.label, r.impact) for r in rules_from_offer(offer)}
    except RuleError:
        rules = {r.id: (r.label, r.impact) for r in offer.monitoring.rules}
    rules[HEARTBEAT_METRIC] = (heartbeat_label, offer.monitoring.heartbeat.impact)
    return rules


def request_priority(impact: str) -> str:
    """The priority of the support request an alert of ``impact`` opens (MON-3)."""
    return PRIORITY.get(impact, "moderate")


def diagnosis_due(
    plan: TriagePlan, timer_from: datetime, current: datetime | None, escalated: bool
) -> datetime | None:
    """MON-3 major: when the level-1 diagnosis must be established (at most 1 hour, elapsed
    time from ``timer_from``). A timer already running, or an alert already at level 2,
    keeps what it has."""
    if current is None and not escalated and plan.level1:
        return timer_from + plan.level1
    return current
