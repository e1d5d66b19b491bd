"""Render an offer back into a readable French booklet, in HTML or Markdown (SPEC OFF-4).

The booklet is generated from the very :class:`~livret.core.offer.schema.Offer` that the engine
enforces, so the contract a client reads and the rules that run cannot drift apart.

Rendering is two steps:

1. :func:`build_booklet` turns the offer into a small view-model (:class:`Booklet` →
   :class:`Article` → :class:`Block`) whose every value is already French display text:
   opening hours grouped by weekday ("du lundi au jeudi de 9 h à 12 h 30 …"), durations
   ("8 heures ouvrées"), percentages the French way ("99,5 %"). Each article and block
   carries the seed section it comes from (SPEC OFF-2).
2. Django templates lay that view-model out: ``offers/booklet.html`` (a standalone HTML5
   document that includes ``offers/booklet_body.html``) and ``offers/booklet.md``. The
   templates only loop; they hold no wording decisions.

Offer text is data: HTML keeps Django's autoescape on; Markdown escapes what would otherwise
become markup (raw HTML, table separators) before rendering (:func:`markdown_safe`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from django.template.loader import render_to_string

from livret.core.offer.schema import (
    PRIORITY_LABELS_FR,
    WEEKDAY_LABELS_FR,
    WEEKDAYS,
    CalendarSpec,
    Duration,
    Offer,
    Unit,
    parse_clock,
)
from livret.core.territory import GROUPS, METROPOLITAN, OVERSEAS, get_territory

BookletFormat = Literal["html", "md"]

TO_CONFIRM = "à confirmer par l'opérateur"

# --------------------------------------------------------------------------- view-model


@dataclass(frozen=True)
class Table:
    """A table of display text: one header row and body rows of the same width."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Block:
    """A part of an article: optional heading and source, then text, items and a table."""

    heading: str = ""
    source: str = ""
    to_confirm: str = ""  # why an operator must confirm these values (placeholder hours)
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    table: Table | None = None
    note: str = ""  # the reading livret takes where the seed is ambiguous (SPEC OFF-2)


@dataclass(frozen=True)
class Article:
    """One numbered article of the booklet, built from one section of the offer."""

    anchor: str
    number: int
    title: str
    source: str
    note: str = ""
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Booklet:
    """The whole booklet, ready for a template."""

    title: str
    name: str
    vendor: str
    version_label: str
    kind: str
    summary: str
    seed: str
    articles: tuple[Article, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- French formatting

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def number_fr(value: float) -> str:
    """A number the French way: ``99.5`` → ``99,5``, ``99.0`` → ``99``."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def percent_fr(value: float) -> str:
    """A percentage the French way: ``99.5`` → ``99,5 %``."""
    return f"{number_fr(value)} %"


def clock_fr(value: str) -> str:
    """A wall-clock time the French way: ``09:00`` → ``9 h``, ``12:30`` → ``12 h 30``."""
    minutes = parse_clock(value)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h" if rest == 0 else f"{hours} h {rest:02d}"


def date_fr(value: date) -> str:
    """A date the French way: ``1er mai 2026``, ``25 décembre 2026``."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS_FR[value.month - 1]} {value.year}"


def month_day_fr(value: str) -> str:
    """An ``MM-DD`` day of the year: ``12-25`` → ``25 décembre``."""
    month, day = (int(part) for part in value.split("-"))
    return f"{'1er' if day == 1 else day} {MONTHS_FR[month - 1]}"


def ordinal_fr(value: int) -> str:
    """``1`` → ``1er``, ``5`` → ``5e``."""
    return "1er" if value == 1 else f"{value}e"


def join_fr(parts: Iterable[str]) -> str:
    """``a, b et c``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _or_fr(parts: Iterable[str]) -> str:
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " ou " + items[-1]


def duration_fr(value: Duration) -> str:
    """A duration with its kind, for example ``8 heures ouvrées`` (see ``Duration.label_fr``)."""
    return value.label_fr()


_EVERY_ONE: dict[Unit, str] = {
    Unit.MINUTES: "chaque minute",
    Unit.HOURS: "toutes les heures",
    Unit.CALENDAR_DAYS: "chaque jour",
    Unit.BUSINESS_DAYS: "chaque jour ouvré",
    Unit.BUSINESS_HOURS: "chaque heure ouvrée",
    Unit.WEEKS: "chaque semaine",
    Unit.MONTHS: "chaque mois",
    Unit.YEARS: "chaque année",
}


def every_fr(value: Duration) -> str:
    """A period: ``toutes les 10 minutes``, ``toutes les heures`` (for one hour)."""
    if value.amount == 1:
        return _EVERY_ONE[value.unit]
    return f"toutes les {value.label_fr()}"


def _intervals_fr(intervals: list[tuple[int, int]]) -> str:
    if intervals == [(0, 1440)]:
        return "toute la journée"

    def clock(minutes: int) -> str:
        return clock_fr(f"{minutes // 60:02d}:{minutes % 60:02d}")

    return join_fr(f"de {clock(start)} à {clock(end)}" for start, end in intervals)


def _days_fr(days: list[str]) -> str:
    labels = [WEEKDAY_LABELS_FR[d] for d in days]
    if len(labels) == 1:
        return f"le {labels[0]}"
    if len(labels) == 2:
        return f"le {labels[0]} et le {labels[1]}"
    return f"du {labels[0]} au {labels[-1]}"


def opening_hours_fr(calendar: CalendarSpec) -> str:
    """Opening hours, consecutive identical weekdays grouped (SPEC CAL-1).

    ``du lundi au jeudi de 9 h à 12 h 30 et de 14 h à 17 h 30 ; le vendredi de 9 h à
    12 h 30 et de 14 h à 17 h``. A day without intervals is closed and breaks a group.
    """
    groups: list[tuple[list[str], list[tuple[int, int]]]] = []
    previous: list[tuple[int, int]] | None = None
    for day in WEEKDAYS:
        intervals = calendar.minutes(day)
        if not intervals:
            previous = None
            continue
        if previous is not None and intervals == previous:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))
        previous = intervals
    if not groups:
        return "aucune plage d'ouverture"
    return " ; ".join(f"{_days_fr(days)} {_intervals_fr(iv)}" for days, iv in groups)


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _sources(*values: str | None) -> str:
    """Several seed sections, each cited exactly as written, without repeats."""
    return " ; ".join(_unique(values))


def merged_sources(values: Iterable[str | None]) -> str:
    """Seed sections merged per document: ``Q art. 14`` + ``Q art. 16, art. 6`` →
    ``Q art. 14, art. 16, art. 6`` (article headers over several sourced parts, SPEC OFF-2).
    """
    groups: dict[str, list[str]] = {}
    for value in _unique(values):
        prefix, _, rest = value.partition(" ")
        refs = groups.setdefault(prefix, [])
        for ref in (r.strip() for r in rest.split(",")):
            if ref and ref not in refs:
                refs.append(ref)
    return " ; ".join(f"{prefix} {', '.join(refs)}".strip() for prefix, refs in groups.items())


# --------------------------------------------------------------------------- labels

KIND_LABELS_FR = {
    "saas": "Service en ligne (SaaS)",
    "support": "Contrat de support",
    "monitoring": "Service de télésurveillance",
}
CHANNEL_LABELS_FR = {
    "portal": "par écrit sur le portail",
    "phone": "par téléphone",
    "email": "par courriel",
}
ROLE_LABELS_FR = {
    "support": "support",
    "phone": "téléphone",
    "customer-service": "service client",
    "availability": "disponibilité (PRT)",
    "maintenance": "maintenance",
}
CAUSE_LABELS_FR = {
    "maintenance": "la fenêtre de maintenance",
    "urgent-maintenance": "la maintenance urgente",
    "force-majeure": "un cas de force majeure",
    "client-equipment": "un équipement fourni par le client (ou par ses fournisseurs)",
    "out-of-perimeter": (
        "les systèmes hors du périmètre du service, notamment le réseau de "
        "télécommunications du client"
    ),
}
UPDATE_KIND_LABELS_FR = {
    "new-version": "nouvelles versions (changement de numéro de version)",
    "patch": "correctifs (patchs)",
    "major": "mises à jour majeures (changement de version et réinstallation complète)",
    "minor": "mises à jour mineures (sans réinstallation complète)",
}
BACKUP_EVERY_FR = {"day": "chaque jour", "week": "chaque semaine", "month": "chaque mois"}
FORMAT_LABELS_FR = {
    "word": "Microsoft Word",
    "excel": "Microsoft Excel",
    "powerpoint": "Microsoft PowerPoint",
    "pdf": "PDF",
    "image": "images",
}
FOLDER_LABELS_FR = {"private": "à son répertoire privé", "shared": "au répertoire partagé"}
OVERAGE_LABELS_FR = {
    "named-users": "nombre d'utilisateurs nommés",
    "dossiers": "nombre de dossiers",
    "storage": "espace de stockage",
    "agents": "nombre d'agents",
}
BILLING_EVERY_FR = {
    "quarter": "trimestriellement",
    "month": "mensuellement",
    "year": "annuellement",
}
FIRST_INVOICE_FR = {
    "access-codes-sent": "à la date de communication des codes d'accès au service",
    "contract-start": "à la date de début du contrat",
}
USAGE_QUESTIONS_FOR_FR = {
    "certified": "les utilisateurs certifiés",
    "learning-phase": "les utilisateurs en phase d'apprentissage",
}
M365_LEVEL_LABELS_FR = {"standard": "Standards", "premium": "Premium"}
IMPACT_LABELS_FR = {
    "none": "Sans impact",
    "minor-moderate": "Mineur, modéré",
    "significant": "Significatif",
    "major-extended": "Majeur, étendu",
}
TRIAGE_ACTION_LABELS_FR = {
    "acknowledge": "prise en compte de l'alerte, sans communication au client",
    "mail-or-call": "mail ou appel avec les consignes de résolution ou de contournement",
    "open-request": "enregistrement d'une demande au support",
    "mail-client": "mail au client",
    "phone-call": "appel téléphonique",
}
SENSOR_LABELS_FR = {
    "battery": "Batterie",
    "raid": "RAID",
    "tape-drive": "Lecteur de bande",
    "fan": "Ventilateur",
    "power-supply": "Alimentation",
    "network-card": "Carte réseau",
    "physical-disk": "Disque physique",
    "backup": "Sauvegardes",
    "performance-counters": "Compteurs de performance Windows",
    "event-log": "Journal d'événements",
    "services": "Services Windows",
    "disk-space": "Espace disque",
    "heartbeat": "Signal de vie",
    "latency": "Latence des liens multi-sites",
    "vpn": "Liens VPN",
    "antivirus": "Antivirus",
}
LIMIT_LABELS_FR = {
    "named_users": "utilisateurs nommés au maximum",
    "named-users": "utilisateurs nommés au maximum",
    "users": "utilisateurs au maximum",
    "dossiers": "dossiers au maximum",
    "environments": "environnement(s) au maximum",
    "max_environments": "environnement(s) au maximum",
    "instances": "environnement(s) au maximum",
    "refreshes_per_year": "rafraîchissements des données par an (au-delà : prestation payante)",
    "refreshes-per-year": "rafraîchissements des données par an (au-delà : prestation payante)",
}
TERRITORY_GROUP_LABELS_FR = {
    METROPOLITAN: "France métropolitaine (Alsace-Moselle comprise)",
    OVERSEAS: "départements et collectivités d'outre-mer",
}


# --------------------------------------------------------------------------- helpers on offers


def calendar_hours(offer: Offer, name: str) -> str:
    """The hours of a named calendar, marked when an operator must confirm them (OFF-2)."""
    spec = offer.calendars.get(name)
    if spec is None:
        return f"calendrier « {name} » non défini"
    text = opening_hours_fr(spec)
    if spec.placeholder:
        text += f" ({TO_CONFIRM})"
    return text


def calendar_line(offer: Offer, name: str) -> str:
    """``label : hours`` of a named calendar, marked when an operator must confirm it."""
    spec = offer.calendars.get(name)
    label = spec.label if spec is not None else name
    return f"{label} : {calendar_hours(offer, name)}"


def _calendar_label(offer: Offer, name: str) -> str:
    spec = offer.calendars.get(name)
    return spec.label if spec is not None else name


def per_period_fr(value: Duration) -> str:
    """``par période d'un an``, ``par période de 12 mois``."""
    if value.amount == 1 and value.unit is Unit.YEARS:
        return "par période d'un an"
    if value.amount == 1 and value.unit is Unit.MONTHS:
        return "par période d'un mois"
    return f"par période de {value.label_fr()}"


def _formula_label(offer: Offer, key: str) -> str:
    spec = offer.formulas.get(key)
    return spec.label if spec else key


def _option_label(offer: Offer, key: str) -> str:
    spec = offer.options.get(key)
    return spec.label if spec else key


def _threshold_unit(metric: str, label: str) -> str:
    """The unit of a monitoring threshold, read from the metric name or label (no schema field)."""
    lowered = metric.lower()
    if "percent" in lowered or "pct" in lowered or "%" in metric or "%" in label:
        return " %"
    if "latency" in lowered or lowered.endswith("_ms") or lowered.endswith("-ms"):
        return " ms"
    return ""


# --------------------------------------------------------------------------- articles


@dataclass
class _Draft:
    """An article before numbering."""

    anchor: str
    title: str
    source: str
    note: str | None
    blocks: list[Block]


def _territories(offer: Offer) -> _Draft:
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
    return _Draft(
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


def _formulas(offer: Offer) -> _Draft:
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
    return _Draft(
        "formules",
        "Formules",
        merged_sources(f.source for f in offer.formulas.values()),
        None,
        blocks,
    )


def _calendars(offer: Offer) -> _Draft | None:
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
    return _Draft(
        "horaires",
        "Horaires et jours ouvrés",
        merged_sources(c.source for c in offer.calendars.values()),
        None,
        [intro, *blocks],
    )


def _support(offer: Offer) -> _Draft | None:
    section = offer.support
    if section is None:
        return None
    blocks: list[Block] = []
    paragraphs = [
        "Les demandes se font " + _or_fr(CHANNEL_LABELS_FR[c] for c in section.channels) + "."
    ]
    if section.acknowledgement:
        paragraphs.append(
            "Chaque demande est enregistrée, reçoit un numéro et fait l'objet d'un accusé de "
            "réception électronique."
        )
    if section.phone_requires_portal_request:
        paragraphs.append(
            "La demande doit d'abord être créée sur le portail pour être traitée par téléphone."
        )
    items = [calendar_line(offer, section.calendar)]
    if section.phone_calendar:
        items.append(calendar_line(offer, section.phone_calendar))
    for spec in offer.formulas.values():
        if "support" in spec.calendars:
            items.append(f"{spec.label} — {calendar_line(offer, spec.calendars['support'])}")
    blocks.append(Block(paragraphs=tuple(paragraphs), items=tuple(items)))
    if section.filing_guidance:
        blocks.append(
            Block(
                heading="Décrire sa demande",
                paragraphs=(
                    "Pour permettre la reproduction et la qualification, le client décrit sa "
                    "demande avec précision et peut joindre des fichiers :",
                ),
                items=tuple(section.filing_guidance),
            )
        )

    for key, spec in offer.formulas.items():
        pickup = section.pickup.get(key)
        heading = "Délai de prise en charge"
        if len(offer.formulas) > 1:
            heading += f" — {spec.label}"
        if pickup is None:
            if len(offer.formulas) > 1:
                blocks.append(
                    Block(
                        heading=heading,
                        paragraphs=("Cette formule ne comporte pas de délai de prise en charge.",),
                    )
                )
            continue
        rows: list[str] = []
        for priority in ("critical", "high", "moderate"):
            target = getattr(pickup, priority)
            if target is not None:
                rows.append(f"Demande {PRIORITY_LABELS_FR[priority]} : sous {duration_fr(target)}")
        if pickup.default is not None:
            label = "Autres demandes" if rows else "Toute demande"
            rows.append(f"{label} : sous {duration_fr(pickup.default)}")
        blocks.append(
            Block(
                heading=heading,
                source=pickup.source,
                paragraphs=(
                    "À défaut de prise en charge immédiate, un technicien prend la demande en "
                    "charge dans le délai suivant, compté à partir de son enregistrement, en "
                    "heures ouvrées du support :",
                ),
                items=tuple(rows),
                note=pickup.note or "",
            )
        )

    if section.compliance is not None:
        compliance = section.compliance
        blocks.append(
            Block(
                heading="Engagement de respect des délais",
                source=compliance.source,
                paragraphs=(
                    f"Au moins {percent_fr(compliance.target_percent)} des demandes sont prises "
                    f"en charge dans le délai, taux évalué par période de "
                    f"{duration_fr(compliance.period)} consécutifs à compter de la date de début "
                    "du support. Une demande non prise en charge à l'échéance compte comme "
                    "hors délai.",
                ),
                note=compliance.note or "",
            )
        )
    if section.eligibility:
        items = []
        for rule in section.eligibility:
            text = rule.label
            if rule.latest_major_versions:
                text += f" (l'une des {rule.latest_major_versions} dernières versions majeures)"
            items.append(text)
        blocks.append(
            Block(
                heading="Conditions d'accès au support",
                source=_sources(*(r.source for r in section.eligibility)),
                paragraphs=("Le support est assuré dans la mesure où :",),
                items=tuple(items),
                note=" ".join(_unique(r.note for r in section.eligibility)),
            )
        )
        blocks.append(
            Block(
                paragraphs=(
                    "Une demande d'un client qui ne remplit pas ces conditions est enregistrée "
                    "et signalée avec le motif ; l'éditeur décide d'une éventuelle suspension.",
                )
            )
        )
    if section.remote_assistance is not None:
        remote = section.remote_assistance
        blocks.append(
            Block(
                heading="Téléassistance",
                source=remote.source,
                paragraphs=(
                    "Les séances de prise en main à distance sont programmées uniquement pendant "
                    f"les horaires suivants : {calendar_line(offer, remote.calendar)}.",
                ),
                note=remote.note or "",
            )
        )
    if section.out_of_scope:
        blocks.append(
            Block(
                heading="Hors périmètre du support",
                paragraphs=(
                    "Ces demandes ne sont pas soumises aux délais du support ; elles sont "
                    "signalées comme facturables et proposées en prestation payante :",
                ),
                items=tuple(w.label for w in section.out_of_scope),
            )
        )
    return _Draft(
        "support", "Support : demandes et prise en charge", section.source, section.note, blocks
    )


def _anomalies(offer: Offer) -> _Draft | None:
    section = offer.anomalies
    if section is None:
        return None
    blocks: list[Block] = []
    rows = tuple((key, c.label, c.definition) for key, c in sorted(section.criticities.items()))
    blocks.append(
        Block(
            paragraphs=(
                "Après la prise en charge, la demande est qualifiée et l'anomalie reproduite, "
                "puis classée :",
            ),
            table=Table(("Criticité", "Libellé", "Définition"), rows),
        )
    )
    paragraphs = []
    if section.formulas:
        paragraphs.append(
            "Ces délais s'appliquent aux formules "
            + join_fr(_formula_label(offer, f) for f in section.formulas)
            + "."
        )
    paragraphs.append(
        "Les délais ci-dessous courent à partir de la qualification, en heures et jours ouvrés "
        f"du calendrier « {_calendar_label(offer, section.calendar)} »."
    )
    blocks.append(Block(paragraphs=tuple(paragraphs)))
    covered: set[int] = set()
    names: dict[str, str] = {key: c.label for key, c in section.criticities.items()}

    def criticity(number: int) -> str:
        label = names.get(str(number), "")
        plain = f"criticité {number}"
        return plain if not label or label.lower() == plain else f"{plain} ({label})"

    for deadline, what in (
        (section.action_plan, "un plan d'action corrective"),
        (section.fix, "une correction ou une solution de contournement"),
    ):
        if deadline is None:
            continue
        covered.update(deadline.criticities)
        blocks.append(
            Block(
                heading="Anomalie de " + join_fr(criticity(c) for c in deadline.criticities),
                source=deadline.source,
                paragraphs=(
                    f"Délai pour fournir au client {what} : {duration_fr(deadline.within)}.",
                ),
                note=deadline.note or "",
            )
        )
    others = [k for k in sorted(section.criticities) if int(k) not in covered]
    closing = []
    if others:
        closing.append(
            "Pas de délai de correction ni de solution de contournement pour la "
            + join_fr(criticity(int(k)) for k in others)
            + "."
        )
    if section.client_validation is not None:
        closing.append(
            "La correction ou la solution de contournement livrée est validée par le client "
            f"sous {duration_fr(section.client_validation)}."
        )
    if section.pause_while_waiting_for_client:
        closing.append(
            "Pendant l'attente d'informations demandées au client, les délais de plan d'action "
            "et de correction sont suspendus ; le délai de prise en charge ne l'est jamais."
        )
    if closing:
        blocks.append(Block(paragraphs=tuple(closing)))
    return _Draft(
        "anomalies", "Anomalies : criticités et délais", section.source, section.note, blocks
    )


def _customer_service(offer: Offer) -> _Draft | None:
    section = offer.customer_service
    if section is None:
        return None
    return _Draft(
        "service-client",
        "Service client",
        section.source,
        section.note,
        [
            Block(
                paragraphs=(
                    "Le service client répond aux questions suivantes :" if section.topics else "",
                ),
                items=tuple(section.topics),
            ),
            Block(
                paragraphs=(
                    f"Horaires : {calendar_hours(offer, section.calendar)}.",
                    "Ces demandes ne sont pas soumises aux engagements de prise en charge du "
                    "support.",
                ),
            ),
        ],
    )


def _availability(offer: Offer) -> _Draft | None:
    section = offer.availability
    if section is None:
        return None
    paragraphs = [
        f"Taux de disponibilité (TD) d'au moins {percent_fr(section.target_percent)}, calculé "
        "par mois civil.",
        "La disponibilité est garantie sur la période de référence type (PRT) : "
        f"{calendar_hours(offer, section.calendar)}, hors jours fériés.",
        "TD = (PRT − somme des TI) / PRT × 100, où TI est le temps d'indisponibilité du service "
        "pendant la PRT.",
    ]
    blocks = [Block(paragraphs=tuple(paragraphs))]
    if section.excluded_causes:
        blocks.append(
            Block(
                paragraphs=("Ne comptent pas comme indisponibilité les interruptions dues à :",),
                items=tuple(CAUSE_LABELS_FR.get(c, c) for c in section.excluded_causes),
            )
        )
    if section.production_only:
        blocks.append(
            Block(
                paragraphs=(
                    "Seul l'environnement de production, à l'exclusion de tout autre, est soumis "
                    "à ce taux.",
                )
            )
        )
    return _Draft("disponibilite", "Disponibilité du service", section.source, section.note, blocks)


def _maintenance(offer: Offer) -> _Draft | None:
    section = offer.maintenance
    if section is None:
        return None
    paragraphs = [
        "Le service peut être arrêté pour maintenance planifiée dans la fenêtre suivante : "
        f"{calendar_hours(offer, section.calendar)}."
    ]
    spec = offer.calendars.get(section.calendar)
    if spec is not None and spec.holidays == "open-all-day":
        paragraphs.append("Les jours fériés, la maintenance peut intervenir à tout moment.")
    if section.blocking_not_before:
        paragraphs.append(
            "Les jours ouvrés, pas d'intervention bloquante avant "
            f"{clock_fr(section.blocking_not_before)}."
        )
    paragraphs.append(
        f"La maintenance planifiée est annoncée au moins {duration_fr(section.notice)} à "
        "l'avance et se tient dans la fenêtre de maintenance."
    )
    if section.urgent_any_time:
        paragraphs.append("La maintenance urgente peut intervenir à tout moment.")
    if section.status_page:
        paragraphs.append(
            "La météo des services indique à tout moment l'état du service et les maintenances "
            "en cours et planifiées."
        )
    return _Draft(
        "maintenance",
        "Maintenance",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def _updates(offer: Offer) -> _Draft | None:
    section = offer.updates
    if section is None:
        return None
    paragraphs = []
    if section.dates_announced:
        text = "Le client est informé à l'avance de la date de mise en œuvre des mises à jour"
        text += " (sauf correctifs)." if section.patches_without_notice else "."
        paragraphs.append(text)
    if section.implementation_services_announced:
        paragraphs.append(
            "L'éditeur prévient le client lorsqu'une mise à jour nécessite des prestations de "
            "mise en œuvre (notamment de formation), qui ne sont pas comprises."
        )
    if section.agreed_date_option:
        text = (
            f"Avec l'option « {_option_label(offer, section.agreed_date_option)} », la date "
            "d'installation est définie avec le client"
        )
        text += " (sauf patchs réglementaires)." if section.regulatory_patches_excepted else "."
        paragraphs.append(text)
    return _Draft(
        "mises-a-jour",
        "Mises à jour",
        section.source,
        section.note,
        [
            Block(
                paragraphs=("Les mises à jour sont de deux ordres :",),
                items=tuple(UPDATE_KIND_LABELS_FR.get(k, k) for k in section.kinds),
            ),
            Block(paragraphs=tuple(paragraphs)),
        ],
    )


def _backups(offer: Offer) -> _Draft | None:
    section = offer.backups
    if section is None:
        return None
    rows = []
    for tier in section.tiers:
        every = BACKUP_EVERY_FR[tier.every]
        if tier.day_of_month:
            every = f"le {ordinal_fr(tier.day_of_month)} de chaque mois"
        rows.append((tier.name, every, duration_fr(tier.keep)))
    paragraphs = [
        f"Les données du client sont sauvegardées en {section.copies} exemplaire"
        + ("s" if section.copies > 1 else "")
        + (" conservés dans des lieux différents." if section.distinct_sites else ".")
    ]
    if section.restore_on_request:
        paragraphs.append(
            "À la demande du client, son environnement est restauré à une date de la durée de "
            "conservation, à partir de la sauvegarde la plus adéquate, que la plateforme indique."
        )
    blocks = [
        Block(
            paragraphs=tuple(paragraphs),
            table=Table(("Sauvegarde", "Fréquence", "Conservation"), tuple(rows)),
        )
    ]
    if section.documents is not None:
        blocks.append(
            Block(
                heading="Espace de documents",
                paragraphs=(
                    "Les documents de l'espace de partage sont sauvegardés chaque jour et "
                    "restaurables à l'état de leur dernière sauvegarde.",
                ),
            )
        )
    return _Draft(
        "sauvegardes", "Sauvegardes et restaurations", section.source, section.note, blocks
    )


def _history(offer: Offer) -> _Draft | None:
    section = offer.history
    if section is None:
        return None
    previous = section.years - 1
    text = f"Le client conserve un historique de mouvements de {section.years} an"
    text += "s" if section.years > 1 else ""
    if previous:
        text += f" : l'année en cours et les {previous} précédente" + ("s" if previous > 1 else "")
    text += "."
    purge = (
        "par le client, avec les outils fournis par l'éditeur"
        if section.purged_by == "client"
        else "par l'éditeur"
    )
    purge_text = f"Les mouvements antérieurs sont purgés {purge}"
    purge_text += (
        ", hors données à conserver pour des raisons fiscales." if section.tax_data_kept else "."
    )
    return _Draft(
        "historique",
        "Historique des mouvements",
        section.source,
        section.note,
        [Block(paragraphs=(text, purge_text))],
    )


def _dossiers(offer: Offer) -> _Draft | None:
    section = offer.dossiers
    if section is None:
        return None
    active = duration_fr(section.active_within)
    items = [
        f"Dossier actif : une écriture ou un import daté (date de saisie) de moins de {active}.",
        f"Dossier inactif : aucune écriture ni import depuis {active} (reports à nouveau exclus).",
        "Dossier inutilisé : dossier inactif sans saisie d'écriture depuis au moins "
        f"{duration_fr(section.unused_after)}.",
    ]
    rules = []
    if section.keep_flag_default_for_unused:
        rules.append(
            "Un dossier inutilisé est coché « à conserver » par défaut et facturé chaque mois, "
            "par dossier."
        )
    rules.append(
        "Le cochage est automatique au début du "
        f"{ordinal_fr(section.auto_flag_quarter)} trimestre de la "
        f"{ordinal_fr(section.auto_flag_year)} année sans activité ; le client peut décocher "
        f"les dossiers à supprimer jusqu'au {month_day_fr(section.clear_until)} de cette année."
    )
    rules.append(
        "Décocher « à conserver » arrête la facturation "
        f"{duration_fr(section.billing_stops_after)} plus tard, si c'est fait avant le "
        f"{section.billing_stop_cutoff_day} du mois."
    )
    if section.shifted_closing_extra_free_months:
        rules.append(
            "Les dossiers à date de clôture décalée bénéficient de jusqu'à "
            f"{section.shifted_closing_extra_free_months} mois de gratuité supplémentaires."
        )
    removal = []
    if section.deleted_on_removal:
        removal.append("Supprimé : " + join_fr(section.deleted_on_removal) + ".")
    if section.kept_on_removal:
        removal.append("Conservé : " + join_fr(section.kept_on_removal) + ".")
    removal.append(
        "Un dossier supprimé par erreur peut être redemandé sous "
        f"{duration_fr(section.recovery_window)}."
    )
    return _Draft(
        "dossiers",
        "Dossiers actifs, inactifs et inutilisés",
        section.source,
        section.note,
        [
            Block(items=tuple(items)),
            Block(heading="Conservation et facturation", paragraphs=tuple(rules)),
            Block(heading="Suppression partielle", paragraphs=tuple(removal)),
        ],
    )


def _documents(offer: Offer) -> _Draft | None:
    section = offer.documents
    if section is None:
        return None
    per = "par client" if section.quota_per == "client" else "par utilisateur"
    paragraphs = [
        f"L'espace commun de partage de documents est limité à {number_fr(section.quota_gb)} Go "
        f"{per}, aux fichiers {join_fr(FORMAT_LABELS_FR[f] for f in section.formats)}."
    ]
    if section.checked_by_content:
        paragraphs.append("Le format d'un fichier est vérifié d'après son contenu, pas son nom.")
    if section.folders:
        paragraphs.append(
            "Chaque utilisateur accède "
            + join_fr(FOLDER_LABELS_FR.get(f, f) for f in section.folders)
            + "."
        )
    return _Draft(
        "documents",
        "Espace de documents",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def _accounts(offer: Offer) -> _Draft | None:
    section = offer.accounts
    if section is None:
        return None
    rows = []
    for kind in section.kinds:
        creator = f"l'éditeur ({offer.vendor})" if kind.created_by == "vendor" else "le client"
        if kind.on_client_instructions:
            creator += ", sur instructions du client"
        password = []
        if kind.initial_password_by_vendor:
            password.append("mot de passe initial donné par l'éditeur")
        if kind.change_password_at_first_login:
            password.append("à changer à la première connexion")
        rows.append((kind.label, kind.purpose, creator, ", ".join(password) or "—"))
    paragraphs = [
        "Les droits dans le service sont attribués par "
        + (
            "les administrateurs du client."
            if section.rights_assigned_by == "client"
            else "l'éditeur."
        )
    ]
    if section.client_deactivates_stolen_accounts:
        paragraphs.append(
            "En cas de vol ou de détournement, le client désactive le compte aussitôt."
        )
    paragraphs.append("Un client ne voit jamais les données d'un autre client.")
    return _Draft(
        "comptes",
        "Comptes utilisateurs",
        section.source,
        section.note,
        [
            Block(table=Table(("Compte", "Usage", "Créé par", "Mot de passe"), tuple(rows))),
            Block(paragraphs=tuple(paragraphs)),
        ],
    )


def _learning(offer: Offer) -> _Draft | None:
    section = offer.learning
    if section is None:
        return None
    paragraphs = []
    if section.learning_phase is not None:
        paragraphs.append(
            "L'attribution d'un utilisateur à ses fonctions ouvre une phase d'apprentissage de "
            f"{duration_fr(section.learning_phase)} et lui donne accès au parcours de formation "
            "et à l'examen de certification."
        )
    if section.pass_percent is not None:
        paragraphs.append(
            f"L'examen est réussi avec au moins {percent_fr(section.pass_percent)} de bonnes "
            "réponses."
        )
    if section.retake_wait is not None:
        paragraphs.append(
            "En cas d'échec, l'examen peut être repassé autant de fois que souhaité, après un "
            f"délai de carence de {duration_fr(section.retake_wait)}."
        )
    if section.certificate == "nominative":
        paragraphs.append("La réussite donne une attestation nominative.")
    if section.invalidated_by_major_update:
        paragraphs.append(
            "La certification reste valide jusqu'à une mise à jour majeure nécessitant "
            "l'actualisation des connaissances ; l'utilisateur est alors prévenu et repasse "
            "l'examen."
        )
    if section.free_usage_questions_for:
        paragraphs.append(
            "Les questions d'utilisation sont sans surcoût pour "
            + join_fr(USAGE_QUESTIONS_FOR_FR.get(w, w) for w in section.free_usage_questions_for)
            + "."
        )
    if section.paid_usage_help_after_phase:
        paragraphs.append(
            "Après la phase d'apprentissage, un utilisateur non certifié pose ses questions "
            "d'utilisation par la prestation payante « Aide à l'utilisation » ; la certification "
            "obtenue lui rend l'accès gratuit."
        )
    blocks = [Block(paragraphs=tuple(paragraphs))]
    if section.content_levels:
        blocks.append(
            Block(
                heading="Niveaux de contenus (inclusifs)",
                items=tuple(
                    f"{_formula_label(offer, key)} : "
                    + join_fr(_formula_label(offer, level) for level in levels)
                    for key, levels in section.content_levels.items()
                ),
            )
        )
    if section.m365_content:
        blocks.append(
            Block(
                heading="Contenus Microsoft 365",
                items=tuple(
                    f"{_formula_label(offer, key)} : "
                    + join_fr(M365_LEVEL_LABELS_FR.get(level, level) for level in levels)
                    for key, levels in section.m365_content.items()
                ),
            )
        )
    return _Draft("formation", "Formation et certification", section.source, section.note, blocks)


def _packs(offer: Offer) -> _Draft | None:
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
            items.append("Prestations payables " + _or_fr(labels[p] for p in pack.payable_in))
        blocks.append(
            Block(
                heading=pack.label,
                source=pack.source,
                paragraphs=(pack.description,) if pack.description else (),
                items=tuple(items),
                note=pack.note or "",
            )
        )
    return _Draft(
        "packs", "Packs", merged_sources(p.source for p in offer.packs.values()), None, blocks
    )


def _options(offer: Offer) -> _Draft | None:
    if not offer.options:
        return None
    blocks = []
    for option_id, option in offer.options.items():
        items = []
        if option.formulas:
            items.append(
                "Disponible avec la formule "
                + _or_fr(_formula_label(offer, f) for f in option.formulas)
            )
        if option.named_users_more_than is not None:
            items.append(
                f"Réservée aux clients ayant plus de {option.named_users_more_than} utilisateurs "
                "nommés"
            )
        for other in option.requires:
            items.append(f"Nécessite l'option « {_option_label(offer, other)} »")
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
    return _Draft(
        "options",
        "Options",
        merged_sources(o.source for o in offer.options.values()),
        None,
        blocks,
    )


def _billing(offer: Offer) -> _Draft | None:
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
    return _Draft(
        "facturation",
        "Facturation et durée",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def _termination(offer: Offer) -> _Draft | None:
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
    return _Draft(
        "resiliation",
        "Responsabilité et résiliation",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def _monitoring(offer: Offer) -> _Draft | None:
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
    return _Draft("surveillance", "Surveillance des serveurs", section.source, section.note, blocks)


def _knowledge(offer: Offer) -> _Draft | None:
    section = offer.knowledge
    if section is None:
        return None
    items = []
    if section.faq:
        items.append("Base de connaissance des questions fréquentes et de leurs réponses")
    if section.assistant:
        items.append(
            "Assistant conversationnel répondant depuis la base de connaissance, avec les "
            "articles utilisés ; à défaut de réponse, il propose d'ouvrir une demande"
        )
    if section.tutorials:
        items.append("Tutoriels vidéo")
    if section.web_assistance:
        items.append("Web assistances en direct avec un technicien, et leurs rediffusions")
    paragraphs = (
        ("Les outils suivants sont accessibles 24 h/24, 7 j/7 :",)
        if section.always_open
        else ("Outils d'accompagnement :",)
    )
    return _Draft(
        "connaissance",
        "Base de connaissance et outils",
        section.source,
        section.note,
        [Block(items=tuple(items), paragraphs=paragraphs)],
    )


def _reports(offer: Offer) -> _Draft | None:
    section = offer.reports
    if section is None:
        return None
    items = []
    if section.dashboard:
        items.append(
            "Tableau de bord personnalisé des demandes au support et au service client, "
            "accessible 24 h/24, 7 j/7"
        )
    if section.knowledge_articles_consulted:
        items.append("Tableau de bord des articles de la base de connaissance consultés")
    if section.usage_statistics:
        items.append("Statistiques d'utilisation du service sur une période choisie")
    if section.usage_data_without_personal_data:
        items.append("Les données d'usage collectées ne contiennent aucune donnée personnelle")
    paragraphs: tuple[str, ...] = ()
    if section.formulas:
        paragraphs = (
            "Réservé à la formule "
            + _or_fr(_formula_label(offer, f) for f in section.formulas)
            + ".",
        )
    return _Draft(
        "bilans",
        "Bilans et statistiques",
        section.source,
        section.note,
        [Block(items=tuple(items), paragraphs=paragraphs)],
    )


def _readings(offer: Offer) -> _Draft | None:
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
    return _Draft(
        "lectures",
        "Lectures retenues",
        merged_sources(r.source for r in offer.readings),
        None,
        blocks,
    )


# The order of the articles, close to the seeds': perimeter, service, support, money, tools.
_ARTICLES: tuple[Callable[[Offer], _Draft | None], ...] = (
    _territories,
    _formulas,
    _calendars,
    _availability,
    _maintenance,
    _backups,
    _history,
    _dossiers,
    _documents,
    _updates,
    _accounts,
    _support,
    _anomalies,
    _customer_service,
    _monitoring,
    _knowledge,
    _reports,
    _learning,
    _packs,
    _options,
    _billing,
    _termination,
    _readings,
)


def build_booklet(offer: Offer, *, version_label: str | None = None) -> Booklet:
    """The booklet view-model of an offer (SPEC OFF-4); absent sections give no article."""
    drafts = [draft for build in _ARTICLES if (draft := build(offer)) is not None]
    articles = tuple(
        Article(
            anchor=f"art-{draft.anchor}",
            number=number,
            title=draft.title,
            source=draft.source,
            note=draft.note or "",
            blocks=tuple(_clean(b) for b in draft.blocks),
        )
        for number, draft in enumerate(drafts, start=1)
    )
    return Booklet(
        title=f"Livret de services — {offer.name}",
        name=offer.name,
        vendor=offer.vendor,
        version_label=version_label if version_label is not None else f"Version {offer.version}",
        kind=KIND_LABELS_FR.get(offer.kind, offer.kind),
        summary=offer.summary,
        seed=offer.seed or "",
        articles=articles,
    )


def _clean(block: Block) -> Block:
    return replace(block, paragraphs=tuple(p for p in block.paragraphs if p))


# --------------------------------------------------------------------------- Markdown safety

_MD_LINE_START = re.compile(r"^(\s*)([#>+\-*=]|\d+[.)])")


def _md_text(value: str) -> str:
    """Offer text that stays text in Markdown: no raw HTML, no accidental block markup."""
    text = value.replace("\\", "\\\\").replace("<", "\\<")
    return "\n".join(_MD_LINE_START.sub(r"\1\\\2", line) for line in text.splitlines())


def _md_inline(value: str) -> str:
    """Text for one line (headings, list items): newlines become spaces."""
    return _md_text(" ".join(value.split()))


def _md_cell(value: str) -> str:
    return _md_inline(value).replace("|", "\\|")


def markdown_safe(booklet: Booklet) -> Booklet:
    """A copy of the booklet whose text is escaped for Markdown (SPEC OFF-4)."""

    def block(b: Block) -> Block:
        table = None
        if b.table is not None:
            table = Table(
                tuple(_md_cell(h) for h in b.table.headers),
                tuple(tuple(_md_cell(c) for c in row) for row in b.table.rows),
            )
        return Block(
            heading=_md_inline(b.heading),
            source=_md_inline(b.source),
            to_confirm=_md_inline(b.to_confirm),
            paragraphs=tuple(_md_text(p) for p in b.paragraphs),
            items=tuple(_md_inline(i) for i in b.items),
            table=table,
            note=_md_inline(b.note),
        )

    return replace(
        booklet,
        title=_md_inline(booklet.title),
        name=_md_inline(booklet.name),
        vendor=_md_inline(booklet.vendor),
        version_label=_md_inline(booklet.version_label),
        kind=_md_inline(booklet.kind),
        summary=_md_text(booklet.summary),
        seed=_md_inline(booklet.seed),
        articles=tuple(
            replace(
                a,
                title=_md_inline(a.title),
                source=_md_inline(a.source),
                note=_md_inline(a.note),
                blocks=tuple(block(b) for b in a.blocks),
            )
            for a in booklet.articles
        ),
    )


# --------------------------------------------------------------------------- rendering

_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_EMPTY_LINES = re.compile(r"\n{2,}")


def _tidy(text: str, *, keep_blank_lines: bool) -> str:
    """Trailing spaces off; blank lines kept single (Markdown) or dropped (HTML)."""
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text) if keep_blank_lines else _EMPTY_LINES.sub("\n", text)
    return text.strip() + "\n"


def render_booklet(offer: Offer, fmt: BookletFormat, *, version_label: str | None = None) -> str:
    """Render an offer as a French booklet, ``html`` (standalone page) or ``md`` (SPEC OFF-4).

    ``version_label`` replaces the default "Version <offer.version>" line, for example to
    show the contract's pinned version (SPEC OFF-5).
    """
    booklet = build_booklet(offer, version_label=version_label)
    if fmt == "html":
        html = render_to_string("offers/booklet.html", {"booklet": booklet})
        return _tidy(html, keep_blank_lines=False)
    if fmt == "md":
        md = render_to_string("offers/booklet.md", {"booklet": markdown_safe(booklet)})
        return _tidy(md, keep_blank_lines=True)
    raise ValueError(f"unknown booklet format {fmt!r} (known: html, md)")
