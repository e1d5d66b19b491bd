"""What the ``livret`` subcommands share: one-line errors, offers by id or file, instants."""

from __future__ import annotations

import sys
from datetime import datetime

from livret.core.offer import Offer, OfferError, load_offer_file, load_preset

EXIT_USAGE = 2


class InputError(Exception):
    """Bad input from the command line: one line on stderr, exit 2."""


def fail(message: str) -> int:
    """Print ``livret: error: message`` on stderr and return the usage exit code."""
    print(f"livret: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def load_offer(name: str) -> Offer:
    """A built-in preset id, or the path of an offer file (``.toml``)."""
    try:
        if name.endswith(".toml") or "/" in name:
            return load_offer_file(name).offer
        return load_preset(name).offer
    except KeyError as error:
        raise InputError(str(error.args[0]) if error.args else str(error)) from None
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"no offer {name!r} (a preset id or a .toml file)") from None
    except OfferError as error:
        raise InputError(
            f"offer {name!r} is not valid: " + "; ".join(map(str, error.problems))
        ) from None


def parse_instant(text: str, where: str = "") -> datetime:
    """An aware ISO 8601 instant; InputError for anything else (naive, unreadable)."""
    value = text.strip()
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{where}cannot read instant {value!r} (ISO 8601 expected)") from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InputError(
            f"{where}instant {value!r} has no UTC offset; give one, e.g. {value}+01:00 or {value}Z"
        )
    return instant
