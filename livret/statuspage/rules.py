"""Pure rules of the subscriptions (MNT-3): webhook signature, retry delays, webhook URLs.

Plain Python, no Django: the worker, the views and the documentation's verification example
share these definitions.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from urllib.parse import urlsplit

SIGNATURE_PREFIX = "sha256="
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
MAX_URL_LENGTH = 500


def signature(secret: str, body: bytes) -> str:
    """``X-Livret-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signature_matches(secret: str, body: bytes, header: str) -> bool:
    """A receiver's check, in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 min, 2, 4, 8, … at most 1 hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook address (French, for the form), or None if it can."""
    if not url:
        return "indiquez l'adresse du webhook"
    if len(url) > MAX_URL_LENGTH:
        return f"{MAX_URL_LENGTH} caractères au plus"
    if any(c.isspace() for c in url):
        return "l'adresse ne doit pas contenir d'espace"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        scheme = parts.scheme or "aucun"
        return f"l'adresse doit commencer par http:// ou https:// (protocole : {scheme})"
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if not port_ok:
        return "le port de l'adresse est invalide"
    if not parts.hostname:
        return "l'adresse doit nommer un serveur (https://exemple.fr/…)"
    if parts.username or parts.password:
        return "l'adresse ne doit pas contenir d'identifiant ni de mot de passe"
    return None
