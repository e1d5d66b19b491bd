"""Articles on the perimeter: territories, formulas, opening hours."""

from __future__ import annotations

from livret.core.offer.schema import Offer
from livret.core.territory import GROUPS, get_territory
from livret.offers.booklet.french import date_fr, join_fr, merged_sources, opening_hours_fr
from livret.offers.booklet.labels import ROLE_LABELS_FR, TERRITORY_GROUP_LABELS_FR, calendar_line
from livret.offers.booklet.model import TO_CONFIRM, Block, Draft, Table


def territories_article(offer: Offer) -> Draft:
    """Territoires: where the service is sold, each territory with its time zone (SPEC CAL)."""
    section = offer.territories
    names = []
    for name in section.sold_in:
        if name in GROUPS:
            names.append(TERRITORY_GROUP_LABELS_FR.get(name, name))
        else:
            names.append(get_territory(name).label)
    rows = []
    for code in section.codes():
        territory = get_territory(code)
        rows.append((territory.label, territory.timezone))
    return Draft(
        "territoires",
        "Territoires",
        section.source,
        section.note,
        [
            Block(
                paragraphs=(
                    "Le service est disponible sur les territoires suivants : "
                    f"{' ; '.join(names)}.",
                    "Le territoire du client fixe ses jours fériés et le fuseau horaire dans "
                    "lequel se lisent les horaires ci-après.",
                ),
                table=Table(("Territoire", "Fuseau horaire"), tuple(rows)),
            )
        ],
    )


def formulas_article(offer: Offer) -> Draft:
    """Formules: what each formula includes, the default one marked (SPEC OFF-1)."""
    default_key = offer.default_formula or next(iter(offer.formulas))
    blocks = []
    for key, spec in offer.formulas.items():
        items = []
        if spec.support:
            items.append("Engagements de support (délais de prise en charge) : oui")
        else:
            items.append("Engagements de support (délais de prise en charge) : non")
        if spec.priority_line:
            items.append(
                "Appels prioritaires : le client passe en priorité ; entre clients "
                "prioritaires, dans l'ordre d'arrivée"
            )
        for role, calendar in spec.calendars.items():
            role_label = ROLE_LABELS_FR.get(role, role)
            items.append(f"Horaires propres ({role_label}) — {calendar_line(offer, calendar)}")
        if spec.dashboard:
            items.append("Bilan personnalisé (tableaux de bord)")
        heading = spec.label + (
            " (formule par défaut)" if key == default_key and len(offer.formulas) > 1 else ""
        )
        blocks.append(
            Block(
                heading=heading,
                source=spec.source,
                paragraphs=(spec.description,) if spec.description else (),
                items=tuple(items),
                note=spec.note or "",
            )
        )
    return Draft(
        "formules",
        "Formules",
        merged_sources(f.source for f in offer.formulas.values()),
        None,
        blocks,
    )


def calendars_article(offer: Offer) -> Draft | None:
    """Horaires et jours ouvrés: every calendar's hours, holidays and zone (SPEC CAL)."""
    if not offer.calendars:
        return None
    blocks = []
    for spec in offer.calendars.values():
        paragraphs = [f"{opening_hours_fr(spec).capitalize()}."]
        if spec.holidays == "closed":
            paragraphs.append(
                "Fermé les samedis, dimanches et jours fériés du territoire du client."
            )
        else:
            paragraphs.append("Jours fériés du territoire du client : à tout moment.")
        zone = f"Heure locale : {spec.timezone}"
        if spec.follows_territory_zone:
            zone += " ; pour un client d'outre-mer, le fuseau horaire de son territoire"
        paragraphs.append(zone + ".")
        if spec.extra_closed_days:
            paragraphs.append(
                "Fermetures exceptionnelles : "
                + join_fr(date_fr(d) for d in spec.extra_closed_days)
                + "."
            )
        if spec.worked_holidays:
            paragraphs.append("Jours fériés travaillés : " + join_fr(spec.worked_holidays) + ".")
        blocks.append(
            Block(
                heading=spec.label,
                source=spec.source,
                to_confirm=(
                    f"Horaires {TO_CONFIRM} : le livret d'origine ne les donne pas ; les "
                    "valeurs ci-dessous sont provisoires."
                    if spec.placeholder
                    else ""
                ),
                paragraphs=tuple(paragraphs),
                note=spec.note or "",
            )
        )
    intro = Block(
        paragraphs=(
            "Les « heures ouvrées » se comptent uniquement dans les plages d'ouverture du "
            "calendrier concerné ; un délai qui démarre hors de ces plages part de l'ouverture "
            "suivante. Un « jour ouvré » est un jour du lundi au vendredi qui n'est pas férié ; "
            "N jours ouvrés après un instant se terminent à la fin du N-ième jour ouvré suivant.",
        )
    )
    return Draft(
        "horaires",
        "Horaires et jours ouvrés",
        merged_sources(c.source for c in offer.calendars.values()),
        None,
        [intro, *blocks],
    )
