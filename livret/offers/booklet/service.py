"""Articles on the hosted service: availability, maintenance, data, updates, accounts."""

from __future__ import annotations

from livret.core.offer.schema import Offer
from livret.offers.booklet.french import (
    clock_fr,
    duration_fr,
    join_fr,
    month_day_fr,
    number_fr,
    ordinal_fr,
    percent_fr,
)
from livret.offers.booklet.labels import (
    BACKUP_EVERY_FR,
    CAUSE_LABELS_FR,
    FOLDER_LABELS_FR,
    FORMAT_LABELS_FR,
    UPDATE_KIND_LABELS_FR,
    calendar_hours,
    option_label,
)
from livret.offers.booklet.model import Block, Draft, Table


def availability_article(offer: Offer) -> Draft | None:
    """Disponibilité du service: the target rate and what does not count (SPEC AVL)."""
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
    return Draft("disponibilite", "Disponibilité du service", section.source, section.note, blocks)


def maintenance_article(offer: Offer) -> Draft | None:
    """Maintenance: the window, the notice and urgent maintenance (SPEC MNT)."""
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
    return Draft(
        "maintenance",
        "Maintenance",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def backups_article(offer: Offer) -> Draft | None:
    """Sauvegardes et restaurations: copies, tiers and restores (SPEC BKP)."""
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
    return Draft(
        "sauvegardes", "Sauvegardes et restaurations", section.source, section.note, blocks
    )


def history_article(offer: Offer) -> Draft | None:
    """Historique des mouvements: how many years are kept, who purges (SPEC RET)."""
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
    return Draft(
        "historique",
        "Historique des mouvements",
        section.source,
        section.note,
        [Block(paragraphs=(text, purge_text))],
    )


def dossiers_article(offer: Offer) -> Draft | None:
    """Dossiers: active, inactive and unused dossiers, their billing and removal (SPEC RET)."""
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
    return Draft(
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


def documents_article(offer: Offer) -> Draft | None:
    """Espace de documents: quota, formats and folders (SPEC RET)."""
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
    return Draft(
        "documents",
        "Espace de documents",
        section.source,
        section.note,
        [Block(paragraphs=tuple(paragraphs))],
    )


def updates_article(offer: Offer) -> Draft | None:
    """Mises à jour: kinds of update and how their dates are announced (SPEC MNT)."""
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
            f"Avec l'option « {option_label(offer, section.agreed_date_option)} », la date "
            "d'installation est définie avec le client"
        )
        text += " (sauf patchs réglementaires)." if section.regulatory_patches_excepted else "."
        paragraphs.append(text)
    return Draft(
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


def accounts_article(offer: Offer) -> Draft | None:
    """Comptes utilisateurs: kinds of account, who creates them, rights (SPEC ACC)."""
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
    return Draft(
        "comptes",
        "Comptes utilisateurs",
        section.source,
        section.note,
        [
            Block(table=Table(("Compte", "Usage", "Créé par", "Mot de passe"), tuple(rows))),
            Block(paragraphs=tuple(paragraphs)),
        ],
    )
