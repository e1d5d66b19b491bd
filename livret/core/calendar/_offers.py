"""The calendars an offer names, built once per spec and territory (CAL-1..3)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from livret.core.calendar._base import CalendarError
from livret.core.calendar._calendar import BusinessCalendar
from livret.core.territory import UnknownTerritoryError, get_territory

if TYPE_CHECKING:
    from livret.core.offer.schema import Offer

_CACHE: dict[tuple[str, str, str], BusinessCalendar] = {}
_CACHE_LOCK = threading.Lock()


def calendar_for(
    offer: Offer, name: str, formula: str | None = None, territory: str = "metropole"
) -> BusinessCalendar:
    """The calendar an offer names for a role and formula, in a territory (CAL-1..3).

    ``name`` is a calendar role or name (``support``, ``phone``, ``maintenance`` …); a formula
    may read a role from another calendar (E Private: ``support`` → ``support-extended``).
    Calendars are cached: the same spec in the same territory gives the same object.
    """
    try:
        place = get_territory(territory)
    except UnknownTerritoryError as error:
        raise CalendarError(str(error)) from None
    try:
        resolved = offer.calendar_name(name, formula)
        spec = offer.calendar(name, formula)
    except KeyError as error:
        raise CalendarError(str(error.args[0]) if error.args else str(error)) from None
    key = (spec.model_dump_json(), place.code, f"{offer.id}:{resolved}")
    with _CACHE_LOCK:
        found = _CACHE.get(key)
    if found is not None:
        return found
    calendar = BusinessCalendar.from_spec(spec, place.code, name=resolved)
    with _CACHE_LOCK:
        if len(_CACHE) > 256:
            _CACHE.clear()
        return _CACHE.setdefault(key, calendar)
