"""CAL-2, CAL-3, OFF-3: territory codes, aliases and groups."""

import pytest

from livret.core.territory import UnknownTerritoryError, expand_territories, get_territory


@pytest.mark.parametrize(
    ("given", "code", "zone"),
    [
        ("metropole", "metropole", "Europe/Paris"),
        ("67", "6AE", "Europe/Paris"),
        ("68", "6AE", "Europe/Paris"),
        ("57", "57", "Europe/Paris"),
        ("alsace-moselle", "57", "Europe/Paris"),
        ("971", "971", "America/Guadeloupe"),
        ("972", "972", "America/Martinique"),
        ("973", "973", "America/Cayenne"),
        ("974", "974", "Indian/Reunion"),
        ("976", "976", "Indian/Mayotte"),
        ("nc", "NC", "Pacific/Noumea"),
    ],
)
def test_it_resolves_codes_and_aliases(given: str, code: str, zone: str) -> None:
    territory = get_territory(given)
    assert (territory.code, territory.timezone) == (code, zone)


def test_it_refuses_an_unknown_territory_listing_the_known_ones() -> None:
    with pytest.raises(UnknownTerritoryError, match=r"unknown territory 'atlantis'.*972"):
        get_territory("atlantis")


def test_it_expands_groups() -> None:
    assert expand_territories(["metropolitan"]) == ("metropole", "57", "6AE")
    assert "974" in expand_territories(["overseas"])
    assert "metropole" not in expand_territories(["overseas"])
