"""French labels of the offer's values; names and hours of its calendars, formulas, options."""

from __future__ import annotations

from livret.core.offer.schema import Offer
from livret.core.territory import METROPOLITAN, OVERSEAS
from livret.offers.booklet.french import opening_hours_fr
from livret.offers.booklet.model import TO_CONFIRM

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


def calendar_label(offer: Offer, name: str) -> str:
    """The label of a named calendar, else its name."""
    spec = offer.calendars.get(name)
    return spec.label if spec is not None else name


def formula_label(offer: Offer, key: str) -> str:
    """The label of a formula, else its key."""
    spec = offer.formulas.get(key)
    return spec.label if spec else key


def option_label(offer: Offer, key: str) -> str:
    """The label of an option, else its key."""
    spec = offer.options.get(key)
    return spec.label if spec else key
