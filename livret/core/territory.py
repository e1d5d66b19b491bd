"""Territories a contract can be signed in (SPEC OFF-3, CAL-2, CAL-3).

A territory fixes two things of a business calendar: the set of public holidays (taken from
the ``holidays`` package, never hand-computed) and the time zone in which opening hours are
read. Offers say where they are sold with territory codes or the two groups below.
"""

from __future__ import annotations

from dataclasses import dataclass

METROPOLITAN = "metropolitan"
OVERSEAS = "overseas"


@dataclass(frozen=True)
class Territory:
    """One place a client can be, with its holiday subdivision and its zone."""

    code: str
    label: str
    timezone: str
    holiday_subdivision: str | None  # subdivision of ``holidays.France``; None = national list
    group: str  # METROPOLITAN or OVERSEAS


_TERRITORIES: tuple[Territory, ...] = (
    Territory("metropole", "France métropolitaine", "Europe/Paris", None, METROPOLITAN),
    # Alsace-Moselle: Good Friday and 26 December (local law); the package's subdivisions
    # 57 (Moselle) and 6AE (Alsace) carry them.
    Territory("57", "Moselle", "Europe/Paris", "57", METROPOLITAN),
    Territory("6AE", "Alsace", "Europe/Paris", "6AE", METROPOLITAN),
    Territory("971", "Guadeloupe", "America/Guadeloupe", "971", OVERSEAS),
    Territory("972", "Martinique", "America/Martinique", "972", OVERSEAS),
    Territory("973", "Guyane", "America/Cayenne", "973", OVERSEAS),
    Territory("974", "La Réunion", "Indian/Reunion", "974", OVERSEAS),
    Territory("976", "Mayotte", "Indian/Mayotte", "976", OVERSEAS),
    Territory("BL", "Saint-Barthélemy", "America/St_Barthelemy", "BL", OVERSEAS),
    Territory("MF", "Saint-Martin", "America/Marigot", "MF", OVERSEAS),
    Territory("NC", "Nouvelle-Calédonie", "Pacific/Noumea", "NC", OVERSEAS),
    Territory("PF", "Polynésie française", "Pacific/Tahiti", "PF", OVERSEAS),
    Territory("PM", "Saint-Pierre-et-Miquelon", "America/Miquelon", "PM", OVERSEAS),
    Territory("WF", "Wallis-et-Futuna", "Pacific/Wallis", "WF", OVERSEAS),
)

TERRITORIES: dict[str, Territory] = {t.code: t for t in _TERRITORIES}

# Other spellings accepted on input; the canonical code is what gets stored.
ALIASES: dict[str, str] = {
    "fr": "metropole",
    "france": "metropole",
    "alsace-moselle": "57",
    "67": "6AE",
    "68": "6AE",
    "alsace": "6AE",
    "moselle": "57",
    "guadeloupe": "971",
    "martinique": "972",
    "guyane": "973",
    "reunion": "974",
    "la-reunion": "974",
    "mayotte": "976",
}

GROUPS: dict[str, tuple[str, ...]] = {
    METROPOLITAN: tuple(t.code for t in _TERRITORIES if t.group == METROPOLITAN),
    OVERSEAS: tuple(t.code for t in _TERRITORIES if t.group == OVERSEAS),
}


class UnknownTerritoryError(ValueError):
    """Raised for a territory code that is neither known nor an alias."""


def get_territory(code: str) -> Territory:
    """Return the territory for a code or alias (case-insensitive), or raise with the choices."""
    key = code.strip()
    if key in TERRITORIES:
        return TERRITORIES[key]
    lowered = key.lower()
    for candidate in (lowered, key.upper()):
        if candidate in TERRITORIES:
            return TERRITORIES[candidate]
    if lowered in ALIASES:
        return TERRITORIES[ALIASES[lowered]]
    choices = ", ".join([*TERRITORIES, *sorted(ALIASES)])
    raise UnknownTerritoryError(f"unknown territory {code!r} (known: {choices})")


def expand_territories(names: list[str]) -> tuple[str, ...]:
    """Expand group names (``metropolitan``, ``overseas``) and codes into canonical codes."""
    codes: list[str] = []
    for name in names:
        members = GROUPS.get(name) or (get_territory(name).code,)
        codes.extend(code for code in members if code not in codes)
    return tuple(codes)
