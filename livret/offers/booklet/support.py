"""Articles on helping the client: support, anomalies, customer service, tools, training."""

from __future__ import annotations

from livret.core.offer.schema import PRIORITY_LABELS_FR, Offer
from livret.offers.booklet.french import (
    cited_sources,
    duration_fr,
    join_fr,
    or_fr,
    percent_fr,
    unique,
)
from livret.offers.booklet.labels import (
    CHANNEL_LABELS_FR,
    M365_LEVEL_LABELS_FR,
    USAGE_QUESTIONS_FOR_FR,
    calendar_hours,
    calendar_label,
    calendar_line,
    formula_label,
)
from livret.offers.booklet.model import Block, Draft, Table


def support_article(offer: Offer) -> Draft | None:
    """Support: channels, hours, pickup times per formula and eligibility (SPEC REQ)."""
    section = offer.support
    if section is None:
        return None
    blocks: list[Block] = []
    paragraphs = [
        "Les demandes se font " + or_fr(CHANNEL_LABELS_FR[c] for c in section.channels) + "."
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
                source=cited_sources(*(r.source for r in section.eligibility)),
                paragraphs=("Le support est assuré dans la mesure où :",),
                items=tuple(items),
                note=" ".join(unique(r.note for r in section.eligibility)),
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
    return Draft(
        "support", "Support : demandes et prise en charge", section.source, section.note, blocks
    )


def anomalies_article(offer: Offer) -> Draft | None:
    """Anomalies: criticities and the action-plan and fix times (SPEC REQ)."""
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
            + join_fr(formula_label(offer, f) for f in section.formulas)
            + "."
        )
    paragraphs.append(
        "Les délais ci-dessous courent à partir de la qualification, en heures et jours ouvrés "
        f"du calendrier « {calendar_label(offer, section.calendar)} »."
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
    return Draft(
        "anomalies", "Anomalies : criticités et délais", section.source, section.note, blocks
    )


def customer_service_article(offer: Offer) -> Draft | None:
    """Service client: its topics and hours, outside support commitments."""
    section = offer.customer_service
    if section is None:
        return None
    return Draft(
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


def knowledge_article(offer: Offer) -> Draft | None:
    """Base de connaissance et outils: self-service tools (SPEC KB)."""
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
    return Draft(
        "connaissance",
        "Base de connaissance et outils",
        section.source,
        section.note,
        [Block(items=tuple(items), paragraphs=paragraphs)],
    )


def reports_article(offer: Offer) -> Draft | None:
    """Bilans et statistiques: dashboards and usage statistics (SPEC RPT)."""
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
            + or_fr(formula_label(offer, f) for f in section.formulas)
            + ".",
        )
    return Draft(
        "bilans",
        "Bilans et statistiques",
        section.source,
        section.note,
        [Block(items=tuple(items), paragraphs=paragraphs)],
    )


def learning_article(offer: Offer) -> Draft | None:
    """Formation et certification: learning phase, exam and content levels (SPEC LRN)."""
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
                    f"{formula_label(offer, key)} : "
                    + join_fr(formula_label(offer, level) for level in levels)
                    for key, levels in section.content_levels.items()
                ),
            )
        )
    if section.m365_content:
        blocks.append(
            Block(
                heading="Contenus Microsoft 365",
                items=tuple(
                    f"{formula_label(offer, key)} : "
                    + join_fr(M365_LEVEL_LABELS_FR.get(level, level) for level in levels)
                    for key, levels in section.m365_content.items()
                ),
            )
        )
    return Draft("formation", "Formation et certification", section.source, section.note, blocks)
