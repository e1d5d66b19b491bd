"""HTTP client of the monitoring ingestion API (``/api/monitoring/samples``), stdlib only.

Answers, as the agent acts on them (issue 7, docs/agent.md):
- 200 with an ``accepted`` count: stored, or ``duplicate: true`` (already stored) — either way
  the batch may leave the queue;
- 401: the token is unknown or revoked — :class:`TokenRejected`, the agent stops;
- 400 (or 422): the batch is malformed — rejected with the server's message, never resent;
- anything else (no connection, timeout, 5xx, 404 of a server without the API, a redirect, a 200
  that is not the API's answer): unavailable — the batch stays queued and the agent backs off.
"""

from __future__ import annotations

import http.client
import json
import random
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from livret import __version__

SAMPLES_PATH = "/api/monitoring/samples"
DEFAULT_TIMEOUT_SECONDS = 10.0


class TokenRejected(Exception):
    """The server answered 401: the token is unknown or revoked."""


@dataclass(frozen=True)
class Answer:
    """What came of one POST."""

    outcome: Literal["accepted", "rejected", "unavailable"]
    status: int = 0  # HTTP status, 0 when no answer came
    message: str = ""
    duplicate: bool = False
    clock_skew_seconds: float = 0.0
    clock_flagged: bool = False


def check_url(url: str) -> str:
    """The site's base address without its trailing slash; ValueError when it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// address")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r}: give the site's address without ?query or #fragment")
    try:
        parts.port  # noqa: B018 — reading it validates the port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    return url.strip().rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects surface as errors: following one would turn the POST into a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """Posts batches to one livret site with one server token."""

    def __init__(self, url: str, token: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.endpoint = check_url(url) + SAMPLES_PATH
        self._token = token
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send_samples(
        self, batch_id: str, samples: list[dict[str, Any]], sent_at: datetime
    ) -> Answer:
        """POST one batch of samples; raise TokenRejected on 401."""
        body = json.dumps(
            {"batch_id": batch_id, "sent_at": sent_at.isoformat(), "samples": samples},
            allow_nan=False,
        ).encode()
        request = urllib.request.Request(  # noqa: S310 — check_url allows http(s) only
            self.endpoint,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"livret-agent/{__version__}",
            },
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                return _accepted(response.status, response.read())
        except urllib.error.HTTPError as error:
            return _refused(error)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = getattr(error, "reason", error)
            return Answer("unavailable", message=f"cannot reach {self.endpoint}: {reason}")


def _accepted(status: int, raw: bytes) -> Answer:
    try:
        data = json.loads(raw)
        accepted = isinstance(data, dict) and isinstance(data.get("accepted"), int)
    except ValueError:
        accepted = False
    if not accepted:
        return Answer("unavailable", status, f"HTTP {status} that is not the API's answer")
    return Answer(
        "accepted",
        status,
        duplicate=bool(data.get("duplicate")),
        clock_skew_seconds=float(data.get("clock_skew_seconds") or 0.0),
        clock_flagged=bool(data.get("clock_flagged")),
    )


def _refused(error: urllib.error.HTTPError) -> Answer:
    try:
        raw = error.read()
    except OSError:
        raw = b""
    finally:
        error.close()
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    message = raw.decode("utf-8", "replace").strip()[:300]
    if isinstance(data, dict) and data.get("message"):
        message = str(data["message"])
        if data.get("field"):
            message = f"{data['field']}: {message}"
    if error.code == 401:
        raise TokenRejected(message)
    if error.code in (400, 422):
        return Answer("rejected", error.code, message)
    if 300 <= error.code < 400:
        location = error.headers.get("Location", "?")
        message = f"redirected to {location}: give the final address with --url"
    return Answer("unavailable", error.code, f"HTTP {error.code}: {message}")


class Backoff:
    """Exponential backoff with jitter while the server is unavailable.

    The n-th consecutive failure waits ``min(cap, first × 2^(n-1))`` seconds times a random
    factor between 0.5 and 1 (so agents cut off together do not all come back at once).
    """

    def __init__(
        self, first: float, cap: float, jitter: Callable[[], float] = random.random
    ) -> None:
        self.first = first
        self.cap = max(cap, first)
        self.failures = 0
        self._jitter = jitter

    def failure(self) -> float:
        """Count one more failure; the delay before the next attempt, in seconds."""
        self.failures += 1
        delay = min(self.cap, self.first * 2 ** min(self.failures - 1, 32))
        return delay * (0.5 + 0.5 * self._jitter())

    def success(self) -> None:
        """The server answered: the next failure starts again from ``first``."""
        self.failures = 0
