"""Instants for tests: wall-clock times in a zone, and aware ISO 8601 instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
MARTINIQUE = ZoneInfo("America/Martinique")


def at(text: str, zone: ZoneInfo = PARIS) -> datetime:
    """A wall-clock time (``2026-11-24 10:00``) in Paris, or in the zone given."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def aware(text: str) -> datetime:
    """An ISO 8601 instant that carries its UTC offset (``2026-03-13T16:30:00+01:00``)."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value
