"""Importing offer files into versions, and finding offers (SPEC OFF-0, OFF-1, OFF-2, OFF-5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from livret.core.offer import PRESET_IDS, LoadedOffer, Offer, load_preset
from livret.offers.models import OfferVersion


class OfferNotFound(LookupError):
    """No such offer, or no such version of it (message for people)."""


@dataclass(frozen=True)
class ImportResult:
    """The version an import produced, and whether it is new."""

    version: OfferVersion
    created: bool


def import_offer(loaded: LoadedOffer, source_name: str, *, builtin: bool = False) -> ImportResult:
    """Store a validated offer; the same text again returns its existing version (OFF-5)."""
    offer = loaded.offer
    existing = OfferVersion.objects.filter(offer_id=offer.id, digest=loaded.digest).first()
    if existing:
        return ImportResult(existing, created=False)
    try:
        with transaction.atomic():
            last = OfferVersion.objects.filter(offer_id=offer.id).aggregate(n=Max("number"))["n"]
            version = OfferVersion.objects.create(
                offer_id=offer.id,
                number=(last or 0) + 1,
                label=offer.version,
                name=offer.name,
                vendor=offer.vendor,
                kind=offer.kind,
                digest=loaded.digest,
                source_text=loaded.text,
                source_name=source_name,
                builtin=builtin,
            )
    except IntegrityError:
        # Another process imported the same file (or took the number) first: use its row.
        existing = OfferVersion.objects.filter(offer_id=offer.id, digest=loaded.digest).first()
        if existing is None:
            raise
        return ImportResult(existing, created=False)
    return ImportResult(version, created=True)


def import_builtin_presets() -> list[ImportResult]:
    """Import the five seed presets (OFF-0); unchanged ones keep their version."""
    return [
        import_offer(load_preset(offer_id), f"preset:{offer_id}", builtin=True)
        for offer_id in PRESET_IDS
    ]


def latest_version(offer_id: str) -> OfferVersion | None:
    """The newest imported version of an offer, if any."""
    return OfferVersion.objects.filter(offer_id=offer_id).order_by("-number").first()


@dataclass(frozen=True)
class FoundOffer:
    """An offer as stored (``version`` is its number) or as a preset not imported yet."""

    offer: Offer
    version: int | None
    digest: str
    imported: bool


def find_offer(offer_id: str, number: int | None = None, *, stored: bool = True) -> FoundOffer:
    """An offer's stored version (the latest unless ``number``), else its built-in preset.

    ``stored=False`` looks at the presets only (before the database exists). OfferNotFound
    when there is no such offer or version.
    """
    if stored:
        versions = OfferVersion.objects.filter(offer_id=offer_id)
        found = (versions.filter(number=number) if number else versions.order_by("-number")).first()
        if found is not None:
            return FoundOffer(found.offer, found.number, found.digest, imported=True)
        if number:
            raise OfferNotFound(f"offer {offer_id!r} has no version {number}")
    if number:
        raise OfferNotFound(f"offer {offer_id!r} is not imported; it has no version {number}")
    try:
        loaded = load_preset(offer_id)
    except KeyError as error:
        raise OfferNotFound(str(error.args[0])) from None
    return FoundOffer(loaded.offer, None, loaded.digest, imported=False)


def offer_catalogue(*, stored: bool = True) -> list[dict[str, Any]]:
    """Every offer: the latest stored version of each, then the presets not imported yet.

    Rows have the shape of ``livret offers list --json`` (docs/cli.md); ``stored=False``
    lists the presets only (before the database exists).
    """
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    versions = (
        OfferVersion.objects.order_by("offer_id", "-number")
        .defer("source_text")
        .annotate(contract_count=Count("contracts"))
    )
    if not stored:
        versions = versions.none()  # no query: the table may not exist yet
    for version in versions:
        if version.offer_id in seen:
            continue
        seen.add(version.offer_id)
        rows.append(
            {
                "id": version.offer_id,
                "name": version.name,
                "vendor": version.vendor,
                "kind": version.kind,
                "label": version.label,
                "version": version.number,
                "digest": version.digest,
                "builtin": version.builtin,
                "imported": True,
                "contracts": version.contract_count,
            }
        )
    for offer_id in PRESET_IDS:
        if offer_id in seen:
            continue
        loaded = load_preset(offer_id)
        rows.append(
            {
                "id": offer_id,
                "name": loaded.offer.name,
                "vendor": loaded.offer.vendor,
                "kind": loaded.offer.kind,
                "label": loaded.offer.version,
                "version": None,
                "digest": loaded.digest,
                "builtin": True,
                "imported": False,
                "contracts": 0,
            }
        )
    return rows
