"""Every mail to a person reads as a letter: "Bonjour <full name>," first, the vendor's
signature last (issue 12). ``queue_mail`` puts the body it is given between the two."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings


def greeting(names: Sequence[str]) -> str:
    """``Bonjour Jean Martin,``; several people are all named; nobody named: ``Bonjour,``."""
    named = [" ".join(n.split()) for n in names if n and n.strip()]
    if not named:
        return "Bonjour,"
    if len(named) == 1:
        return f"Bonjour {named[0]},"
    return f"Bonjour {', '.join(named[:-1])} et {named[-1]},"


def signature(vendor: str | None = None) -> str:
    """``L'équipe support <vendor>``: the contract's vendor, else LIVRET_VENDOR_NAME."""
    name = " ".join((vendor or "").split()) or settings.VENDOR_NAME
    return f"L'équipe support {name}"


def letter(body: str, *, names: Sequence[str] = (), vendor: str | None = None) -> str:
    """``body`` between the greeting and the signature."""
    return f"{greeting(names)}\n\n{body.strip()}\n\nCordialement,\n{signature(vendor)}\n"
