"""Support requests for tests."""

from __future__ import annotations

from livret.support.services import NewRequest


def anomaly(priority: str = "critical") -> NewRequest:
    """A fully described anomaly, as a client files it from the portal."""
    return NewRequest(
        kind="anomaly",
        title="La saisie des écritures plante",
        description="Erreur à l'enregistrement",
        context="Clôture mensuelle",
        error_messages="ERR-42",
        menu_path="Saisie > Journal",
        priority=priority,
    )
