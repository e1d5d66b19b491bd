"""The five seed booklets shipped as built-in presets (SPEC OFF-0, OFF-2)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from livret.core.offer.loader import LoadedOffer, load_offer_file

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"

# SPEC OFF-0: one preset per seed document.
PRESET_IDS: tuple[str, ...] = (
    "quadra-entreprise",
    "expert-on-demand",
    "preventcare",
    "eksae-contact",
    "carrus-saas",
)


def preset_path(offer_id: str) -> Path:
    """The file of a built-in preset; KeyError names the known presets."""
    if offer_id not in PRESET_IDS:
        raise KeyError(f"no built-in offer {offer_id!r} (known: {', '.join(PRESET_IDS)})")
    return PRESET_DIR / f"{offer_id}.toml"


@cache
def load_preset(offer_id: str) -> LoadedOffer:
    """Load and validate a built-in preset (cached: presets do not change at run time)."""
    return load_offer_file(preset_path(offer_id))
