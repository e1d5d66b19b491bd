"""The errors every service function raises for a refused action, in one place.

A service (``livret.<app>.services``) refuses a caller's mistake with a :class:`ServiceError`:
``code`` for machines, ``message`` (French) for people, the ``field`` it concerns, and the HTTP
``status`` (4xx) it becomes. The JSON API turns them into ``{"code", "message", "field"}`` in one
handler (``livret.api.errors``); pages show the message beside the field. Apps subclass these for
refusals that carry more (e.g. a refused maintenance plan carries the next allowed start), which
the JSON error shows through :meth:`ServiceError.details`.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refused action: ``code`` for machines, ``message`` for people, HTTP ``status``."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field

    def details(self) -> dict[str, Any]:
        """What the JSON error carries beside ``code``, ``message`` and ``field`` (JSON values)."""
        return {}


class NotAllowed(ServiceError):
    """The user may not do this."""

    status = 403


class NotFound(ServiceError):
    """What the action needs does not exist (or the user may not know it does)."""

    status = 404


class WrongState(ServiceError):
    """The object is not in a state that allows this."""

    status = 409
