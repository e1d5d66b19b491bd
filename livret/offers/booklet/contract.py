"""Articles on what is bought and signed: packs, options, billing, termination; readings."""

from __future__ import annotations

from livret.core.offer.schema import Offer
from livret.offers.booklet.french import duration_fr, join_fr, merged_sources, or_fr, per_period_fr
from livret.offers.booklet.labels import (
    BILLING_EVERY_FR,
    FIRST_INVOICE_FR,
    LIMIT_LABELS_FR,
    OVERAGE_LABELS_FR,
    formula_label,
    option_label,
)
from livret.offers.booklet.model import Block, Draft


def packs_article(offer: Offer) -> Draft | None:
    """Packs: commitment, appointments and credits of each pack (SPEC PCK)."""
    if not offer.packs:
        return None
    blocks = []
    for pack in offer.packs.values():
        items = [f"Engagement : {duration_fr(pack.commitment)}"]
        if pack.tacit_renewal is not None:
            items[-1] += f", puis renouvellement tacite {per_period_fr(pack.tacit_renewal)}"
        if pack.appointments_per_year == "as-bought":
            items.append(
                "Rendez-vous avec le technicien en charge d'une demande : autant que souhaité, "
                "dans la limite du nombre acheté par an"
            )
        if pack.extra_billed_after is not None:
            items.append(
                "Rendez-vous supplémentaires facturés à l'issue des "
                f"{duration_fr(pack.extra_billed_after)}"
            )
        if pack.credits_validity is not None:
            items.append(
                f"Crédits valables {duration_fr(pack.credits_validity)} à compter de l'achat ; "
                "ensuite le solde est ramené à zéro"
            )
        if pack.unit_credits_for_holders_only:
            items.append("Seuls les détenteurs du pack peuvent acheter des crédits unitaires")
        if pack.payable_in:
            labels = {"euros": "en euros", "credits": "en crédits"}
            items.append("Prestations payables " + or_fr(labels[p] for p in pack.payable_in))
        blocks.append(
            Block(
                heading=pack.label,
                source=pack.source,
                paragraphs=(pack.description,) if pack.description else (),
                items=tuple(items),
                note=pack.note or "",
            )
        )
    return Draft(
        "packs", "Packs", merged_sources(p.source for p in offer.packs.values()), None, blocks
    )


def options_article(offer: Offer) -> Draft | None:
    """Options: who may take each option and its limits (SPEC CTR)."""
    if not offer.options:
        return None
    blocks = []
    for option_id, option in offer.options.items():
        items = []
        if option.formulas:
            items.append(
                "Disponible avec la formule "
                + or_fr(formula_label(offer, f) for f in option.formulas)
            )
        if option.named_users_more_than is not None:
            items.append(
                f"Réservée aux clients ayant plus de {option.named_users_more_than} utilisateurs "
                "nommés"
            )
        for other in option.requires:
            items.append(f"Nécessite l'option « {option_label(offer, other)} »")
        for key, value in option.limits.items():
            label = LIMIT_LABELS_FR.get(key, key.replace("_", " ").replace("-", " "))
            items.append(f"Limite : {value} {label}")
        if option_id in offer.packs:
            items.append("Conditions du pack : voir l'article « Packs »")
        if not items and not option.description:
            items.append("Option souscrite au contrat")
        blocks.append(
            Block(
                heading=option.label,
                source=option.source,
                paragraphs=(option.description,) if option.description else (),
                items=tuple(items),
                note=option.note or "",
            )
        )
    return Draft(
        "options",
        "Options",
        merged_sources(o.source for o in offer.options.values()),
        None,
        blocks,
    )


def billing_article(offer: Offer) -> Draft | None:
    """Facturation et durée: billing period, term, renewal and notice (SPEC CTR)."""
    section = offer.billing
    if section is None:
        return None
    paragraphs = [
        f"L'abonnement est facturé {BILLING_EVERY_FR[section.every]}, "
        + ("terme à échoir." if section.in_advance else "terme échu."),
        f"La première facture intervient {FIRST_INVOICE_FR[section.first_invoice]}.",
    ]
    if section.repriced_on_overage:
        paragraphs.append(
            "Tout dépassement des seuils commandés ("
            + join_fr(OVERAGE_LABELS_FR.get(o, o) for o in section.repriced_on_overage)
            + ") actualise le prix de l'abonnement selon les tarifs en vigueur."
        )
    if section.term is not None:
        text = f"Durée : {duration_fr(section.term)} de facturation"
        if section.renewal is not None:
            text += (
                f", puis renouvellement par tacite reconduction {per_period_fr(section.renewal)}"
            )
        paragraphs.append(text + ".")
    if section.non_renewal_notice is not None:
        text = (
            "Le non-renouvellement est notifié au moins "
            f"{duration_fr(section.non_renewal_notice)} avant la fin de la période en cours"
        )
        if section.notice_form == "registered-letter":
            text += ", par lettre recommandée avec accusé de réception"
        paragraphs.append(text + ".")
    return Draft(
        "facturation",
        "Facturation et durée",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def termination_article(offer: Offer) -> Draft | None:
    """Responsabilité et résiliation: liability cap and termination (SPEC CTR)."""
    section = offer.termination
    if section is None:
        return None
    paragraphs = []
    if section.liability_cap_over is not None:
        paragraphs.append(
            "La responsabilité de l'éditeur est limitée aux sommes versées par le client au "
            f"cours des {duration_fr(section.liability_cap_over)} précédant l'événement."
        )
    if section.cure_period is not None:
        paragraphs.append(
            "En cas de manquement grave, la résiliation prend effet "
            f"{duration_fr(section.cure_period)} après réception d'une mise en demeure restée "
            "sans remède."
        )
    if section.immediate_if_unsupported_version:
        paragraphs.append(
            "Résiliation immédiate si le client utilise une version qui ne bénéficie plus de la "
            "maintenance et du support de son éditeur."
        )
    return Draft(
        "resiliation",
        "Responsabilité et résiliation",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def readings_article(offer: Offer) -> Draft | None:
    """Lectures retenues: the readings livret takes where the seed is silent (OFF-2)."""
    if not offer.readings:
        return None
    blocks = [
        Block(
            paragraphs=(
                "Là où le livret d'origine est ambigu ou muet, livret retient les lectures "
                "suivantes, appliquées telles quelles par la plateforme.",
            )
        )
    ]
    blocks.extend(
        Block(heading=r.topic, source=r.source, paragraphs=(r.text,), note=r.note or "")
        for r in offer.readings
    )
    return Draft(
        "lectures",
        "Lectures retenues",
        merged_sources(r.source for r in offer.readings),
        None,
        blocks,
    )
