"""The article on server monitoring (PreventCare, SPEC MON)."""

from __future__ import annotations

from livret.core.offer.schema import Offer
from livret.offers.booklet.french import clock_fr, duration_fr, every_fr, join_fr, number_fr
from livret.offers.booklet.labels import (
    IMPACT_LABELS_FR,
    SENSOR_LABELS_FR,
    TRIAGE_ACTION_LABELS_FR,
    calendar_line,
)
from livret.offers.booklet.model import Block, Draft, Table


def _threshold_unit(metric: str, label: str) -> str:
    """The unit of a monitoring threshold, read from the metric name or label (no schema field)."""
    lowered = metric.lower()
    if "percent" in lowered or "pct" in lowered or "%" in metric or "%" in label:
        return " %"
    if "latency" in lowered or lowered.endswith("_ms") or lowered.endswith("-ms"):
        return " ms"
    return ""


def monitoring_article(offer: Offer) -> Draft | None:
    """Surveillance des serveurs: sensors, alert rules, heartbeat, triage (SPEC MON)."""
    section = offer.monitoring
    if section is None:
        return None
    blocks: list[Block] = [
        Block(
            paragraphs=(
                "Des capteurs installés sur chaque serveur surveillé remontent leurs alertes ; "
                f"compteurs de performance collectés et alerte envoyée au bout de "
                f"{duration_fr(section.collection_interval)}.",
                f"Traitement des alertes — {calendar_line(offer, section.calendar)}.",
            ),
        )
    ]
    if section.sensors:
        blocks.append(
            Block(
                heading="Éléments surveillés",
                items=tuple(SENSOR_LABELS_FR.get(s, s) for s in section.sensors),
            )
        )
    if section.rules:
        rows: list[tuple[str, ...]] = []
        for rule in section.rules:
            unit = _threshold_unit(rule.metric, rule.label)
            if rule.above == 0 and not unit:
                threshold = "dès la première occurrence"
            elif rule.above is not None:
                threshold = f"au-delà de {number_fr(rule.above)}{unit}"
            elif rule.below is not None:
                threshold = f"en dessous de {number_fr(rule.below)}{unit}"
            else:
                threshold = "—"
            lasting = f"pendant {duration_fr(rule.duration)}" if rule.duration else "—"
            checks = []
            if rule.schedule:
                checks.append(f"chaque jour à {clock_fr(rule.schedule)}")
            if rule.every is not None:
                checks.append(every_fr(rule.every))
            if rule.repeat is not None:
                checks.append(f"relancée {every_fr(rule.repeat)} jusqu'au rétablissement")
            rows.append(
                (
                    rule.label,
                    threshold,
                    lasting,
                    ", ".join(checks) or "—",
                    IMPACT_LABELS_FR.get(rule.impact, rule.impact),
                )
            )
        blocks.append(
            Block(
                heading="Règles d'alerte",
                table=Table(("Règle", "Seuil", "Durée", "Contrôle", "Impact"), tuple(rows)),
            )
        )
    heartbeat = section.heartbeat
    blocks.append(
        Block(
            heading="Signal de vie",
            paragraphs=(
                f"Un signal de vie est attendu {every_fr(heartbeat.every)}. Sans signal au-delà "
                f"de {duration_fr(heartbeat.every)} plus {duration_fr(heartbeat.grace)} de "
                "grâce, une alerte majeure est levée (lien internet rompu ou serveur "
                "défaillant).",
            ),
        )
    )
    if section.triage:
        rows = []
        for level in section.triage:
            actions = join_fr(TRIAGE_ACTION_LABELS_FR.get(a, a) for a in level.actions)
            if level.level1_diagnosis_max is not None:
                actions += (
                    f" ; diagnostic de niveau 1 d'au plus {duration_fr(level.level1_diagnosis_max)}"
                    ", puis transfert au niveau 2"
                )
            rows.append((level.label, actions))
        blocks.append(
            Block(
                heading="Traitement des alertes selon l'impact",
                table=Table(("Impact", "Traitement"), tuple(rows)),
            )
        )
    if section.setup:
        rows = []
        for tier in section.setup:
            if tier.max_users is None:
                users = f"à partir de {tier.min_users} utilisateurs"
            else:
                users = f"de {tier.min_users} à {tier.max_users} utilisateurs"
            if tier.max_servers is not None:
                users += f", {tier.max_servers} serveurs au plus"
            days = (
                f"{tier.days} jour" + ("s" if tier.days > 1 else "")
                if tier.days
                else "selon le montant prévu au contrat"
            )
            rows.append((users, days))
        blocks.append(
            Block(
                heading="Mise en place",
                table=Table(("Site", "Durée de la mise en place"), tuple(rows)),
            )
        )
    if section.technical_document:
        blocks.append(
            Block(
                heading="Document technique du site",
                items=tuple(section.technical_document),
            )
        )
    if section.visits is not None:
        visits = section.visits
        blocks.append(
            Block(
                heading="Visites préventives",
                paragraphs=(
                    f"{visits.per_year} visites préventives par an sur site, plus "
                    f"{visits.per_extra_server} par serveur au-delà du premier ; chaque visite "
                    f"dure au plus {duration_fr(visits.max_length)} et donne lieu à une fiche de "
                    "visite ajoutée au document technique.",
                ),
            )
        )
    return Draft("surveillance", "Surveillance des serveurs", section.source, section.note, blocks)
