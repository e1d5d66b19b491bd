"""Updates: new versions announced to the offer's clients, and dates agreed with one (MNT-4)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction

from livret.errors import ServiceError
from livret.offers.models import OfferVersion
from livret.status.models import (
    AgreedUpdateDate,
    UpdateAnnouncement,
    UpdateKind,
)
from livret.status.services.common import (
    actor_or_none,
    aware,
    clean_text,
    now_or,
    optional_text,
    record_event,
)
from livret.tenants.access import require_vendor
from livret.tenants.models import Contract


def _offer_version(offer_id: str) -> OfferVersion:
    version = OfferVersion.objects.filter(offer_id=offer_id).order_by("-number").first()
    if version is None:
        raise ServiceError("invalid", f"offre inconnue : {offer_id}", field="offer_id")
    return version


@transaction.atomic
def announce_update(
    actor: User,
    offer_id: str,
    kind: str,
    version_label: str,
    planned_for: datetime,
    needs_implementation_services: bool = False,
    needs_training: bool = False,
    regulatory: bool = False,
    *,
    changes_required_knowledge: bool = False,
    notes: str = "",
    at: datetime | None = None,
) -> UpdateAnnouncement:
    """MNT-4: tell the offer's clients the date of a new version in advance, and whether it
    needs implementation services or training; patches need no notice.

    A kind the offer does not name is refused; a new version (or a major update) dated in the
    past is refused where the offer promises announced dates.
    """
    require_vendor(actor)
    now = now_or(at)
    offer = _offer_version(offer_id).offer
    if offer.updates is None:
        raise ServiceError(
            "no-updates", f"l'offre {offer_id} ne décrit pas de mises à jour", field="offer_id"
        )
    if kind not in offer.updates.kinds:
        names = ", ".join(str(UpdateKind(k).label).lower() for k in offer.updates.kinds)
        raise ServiceError(
            "invalid", f"type : l'offre {offer_id} prévoit seulement : {names}", field="kind"
        )
    version_label = clean_text(version_label, "version_label", "Version", max_length=40)
    notes = optional_text(notes, "notes", "Notes")
    planned_for = aware(planned_for, "planned_for")
    announced_in_advance = kind in (UpdateKind.NEW_VERSION, UpdateKind.MAJOR)
    if announced_in_advance and offer.updates.dates_announced and planned_for <= now:
        raise ServiceError(
            "notice",
            "date prévue : une nouvelle version s'annonce à l'avance, "  # MNT-4
            "la date doit être à venir",
            field="planned_for",
        )
    announcement = UpdateAnnouncement.objects.create(
        offer_id=offer_id,
        kind=kind,
        version_label=version_label,
        planned_for=planned_for,
        needs_implementation_services=bool(needs_implementation_services),
        needs_training=bool(needs_training),
        regulatory=bool(regulatory),
        changes_required_knowledge=bool(changes_required_knowledge),
        notes=notes,
        created_by=actor_or_none(actor),
        created_at=now,
    )
    clients = sorted(
        set(
            Contract.objects.filter(offer_version__offer_id=offer_id).values_list(
                "client_id", flat=True
            )
        )
    )
    record_event(
        "update.announced",
        now,
        title=f"{offer.name} {version_label} — {UpdateKind(kind).label}",
        body=announcement.notes,
        services=[],
        public=offer.kind == "saas",
        clients=clients,
        announcement=announcement,
        data={
            "offer_id": offer_id,
            "kind": kind,
            "version": version_label,
            "planned_for": planned_for.isoformat(),
            "needs_implementation_services": announcement.needs_implementation_services,
            "needs_training": announcement.needs_training,
            "regulatory": announcement.regulatory,
        },
    )
    return announcement


@transaction.atomic
def agree_update_date(
    actor: User,
    announcement: UpdateAnnouncement,
    contract: Contract,
    agreed_for: datetime,
    *,
    at: datetime | None = None,
) -> AgreedUpdateDate:
    """MNT-4, E option « mise à jour personnalisée »: the date agreed with one client.

    Only for a contract on the announcement's offer holding the offer's agreed-date option, and
    never for a regulatory patch (E art. 3). Agreeing again replaces the date.
    """
    require_vendor(actor)
    now = now_or(at)
    if contract.offer_version.offer_id != announcement.offer_id:
        raise ServiceError(
            "other-offer",
            f"le contrat {contract.reference} n'est pas sur l'offre {announcement.offer_id}",
            field="contract",
        )
    updates = contract.offer_version.offer.updates
    option = updates.agreed_date_option if updates else None
    if option is None:
        raise ServiceError(
            "no-agreed-dates",
            f"l'offre {announcement.offer_id} ne prévoit pas de date convenue avec le client",
            field="contract",
        )
    if option not in (contract.options or []):
        spec = contract.offer_version.offer.options.get(option)
        label = spec.label if spec else option
        raise ServiceError(
            "no-option",
            f"le contrat {contract.reference} n'a pas l'option « {label} »",
            field="contract",
        )
    if announcement.regulatory and updates is not None and updates.regulatory_patches_excepted:
        raise ServiceError(
            "regulatory",
            "un patch réglementaire s'installe à la date de l'éditeur, sans date convenue",  # MNT-4
            field="announcement",
        )
    agreed_for = aware(agreed_for, "agreed_for")
    if agreed_for <= now:
        raise ServiceError("invalid", "date convenue : elle doit être à venir", field="agreed_for")
    agreed, _ = AgreedUpdateDate.objects.update_or_create(
        announcement=announcement,
        contract=contract,
        defaults={"agreed_for": agreed_for, "agreed_by": actor_or_none(actor), "agreed_at": now},
    )
    record_event(
        "update.agreed",
        now,
        title=f"{announcement.version_label} : date convenue pour {contract.reference}",
        services=[],
        public=False,
        clients=[contract.client_id],
        announcement=announcement,
        data={
            "contract": contract.pk,
            "agreed_for": agreed_for.isoformat(),
            "offer_id": announcement.offer_id,
        },
    )
    return agreed
