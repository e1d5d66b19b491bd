"""Offers: booklets as code (SPEC OFF-0..5)."""

from livret.core.offer.loader import (
    LoadedOffer,
    OfferError,
    Problem,
    load_offer_file,
    load_offer_text,
)
from livret.core.offer.presets import PRESET_IDS, load_preset, preset_path
from livret.core.offer.schema import Duration, Offer, Unit

__all__ = [
    "PRESET_IDS",
    "Duration",
    "LoadedOffer",
    "Offer",
    "OfferError",
    "Problem",
    "Unit",
    "load_offer_file",
    "load_offer_text",
    "load_preset",
    "preset_path",
]
