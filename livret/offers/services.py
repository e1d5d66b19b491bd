"""Importing offer files into versions (SPEC OFF-1, OFF-2, OFF-5)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max

from livret.core.offer import PRESET_IDS, LoadedOffer, load_preset
from livret.offers.models import OfferVersion


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
