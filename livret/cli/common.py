"""What the ``livret`` commands share: the one error, Django set-up, offers, instants, JSON.

A command fails by raising :class:`CommandError` anywhere; ``livret.cli.main()`` prints it on
stderr (``livret: error: …``, one line) and exits with its code. Nothing here imports Django at
module level: ``livret agent`` runs on servers without it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from livret.core.offer import Offer, OfferError, load_offer_file, load_preset
from livret.core.territory import UnknownTerritoryError, get_territory

EXIT_INVALID = 1
EXIT_USAGE = 2
ERROR_PREFIX = "livret: error: "
# A table each command needs: its absence means the database was never migrated.
OFFERS_TABLE = "offers_offerversion"
SUPPORT_TABLE = "support_request"


class CommandError(Exception):
    """A failure the user reads: ``prefix + message`` on stderr, then exit ``exit_code``.

    The prefix is ``livret: error: `` unless a command documents another wording.
    """

    def __init__(
        self, message: str, exit_code: int = EXIT_USAGE, *, prefix: str = ERROR_PREFIX
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.prefix = prefix


def setup_django() -> None:
    """Configure Django, for commands that need the database or templates."""
    from django.core.exceptions import ImproperlyConfigured

    from livret.boot import setup_django as setup

    try:
        setup()
    except ImproperlyConfigured as error:
        raise CommandError(f"configuration: {error}") from None


# The PostgreSQL refusals of a login (libpq's wording): a wrong password, an unknown role, a
# client address pg_hba.conf does not let in.
LOGIN_REFUSALS = ("password authentication failed", 'role "', "no pg_hba.conf entry")


def database_problem(error: Exception) -> str:
    """What is wrong with the database, one line, from the driver's error."""
    text = str(error).strip()
    first = " ".join(text.splitlines()[0].split()) if text else type(error).__name__
    if any(words in text for words in LOGIN_REFUSALS):
        refusal = first[first.index("FATAL:") :] if "FATAL:" in first else first
        return f"the database refuses the login ({refusal})"
    return f"cannot connect to the database ({first})"


def database_ready(table: str) -> bool:
    """Set Django up; whether its database is migrated (``table`` exists).

    CommandError, saying what is wrong, when the database cannot be reached or refuses the login.
    """
    setup_django()
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        return table in connection.introspection.table_names()
    except DatabaseError as error:
        raise CommandError(database_problem(error)) from None


def _sqlite_read_only() -> str | None:
    """The path of the SQLite file if it cannot be written (file mode, ``?mode=ro``), else None.

    Writes the header field ``user_version`` back unchanged, in a transaction rolled back.
    """
    from django.db import connection, transaction
    from django.db.utils import OperationalError

    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA user_version")
        version = int(cursor.fetchone()[0])
        try:
            with transaction.atomic():
                cursor.execute(f"PRAGMA user_version = {version}")
                transaction.set_rollback(True)
        except OperationalError as error:
            if "readonly" not in str(error):
                raise
            return str(connection.settings_dict["NAME"]).removeprefix("file:").split("?")[0]
    return None


def require_database(table: str, *, writes: bool = True) -> None:
    """Set Django up; CommandError when the database cannot be used: unreachable, login
    refused, not migrated (``table`` is missing), or a read-only SQLite file (if ``writes``)."""
    if not database_ready(table):
        raise CommandError(
            "the database is not set up: run `livret demo` or `livret manage migrate` first"
        )
    if writes and (path := _sqlite_read_only()):
        raise CommandError(f"the SQLite file is read-only: {path}")


@contextmanager
def database_errors() -> Iterator[None]:
    """A database failure inside the block becomes ``database: REASON`` (its first line)."""
    from django.db import DatabaseError

    try:
        yield
    except DatabaseError as error:
        reason = str(error).strip("'\" \n").splitlines()
        raise CommandError(f"database: {reason[0] if reason else type(error).__name__}") from None


def print_json(data: Any, *, indent: int | None = None) -> None:
    """``data`` as JSON on stdout, non-ASCII characters kept (one line unless ``indent``)."""
    print(json.dumps(data, ensure_ascii=False, indent=indent))


def add_offer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--offer`` (a preset id or a file) and ``--territory`` (default: metropole)."""
    parser.add_argument("--offer", required=True, help="preset id or offer file (.toml)")
    parser.add_argument(
        "--territory", default="metropole", help="metropole, 57, 6AE, 971 … (default: metropole)"
    )


def load_offer(name: str) -> Offer:
    """A built-in preset id, or the path of an offer file (``.toml``)."""
    try:
        if name.endswith(".toml") or "/" in name:
            return load_offer_file(name).offer
        return load_preset(name).offer
    except KeyError as error:
        raise CommandError(str(error.args[0]) if error.args else str(error)) from None
    except (FileNotFoundError, IsADirectoryError):
        raise CommandError(f"no offer {name!r} (a preset id or a .toml file)") from None
    except OfferError as error:
        raise CommandError(
            f"offer {name!r} is not valid: " + "; ".join(map(str, error.problems))
        ) from None


def territory_code(name: str, where: str = "") -> str:
    """The code of a territory (``metropole``, ``6AE``, ``972`` …); CommandError if unknown."""
    try:
        return get_territory(name).code
    except UnknownTerritoryError as error:
        raise CommandError(f"{where}{error}") from None


def offer_sold_in(name: str, territory: str, where: str = "") -> tuple[Offer, str]:
    """An offer (as :func:`load_offer`) and a territory it is sold in, with its code."""
    offer = load_offer(name)
    code = territory_code(territory, where)
    if code not in offer.territories.codes():
        raise CommandError(f"offer {offer.id} is not sold in territory {code}")
    return offer, code


def formula_key(offer: Offer, formula: str | None) -> str:
    """The key of the offer's formula (its only one when ``formula`` is None)."""
    try:
        return offer.formula(formula)[0]
    except KeyError as error:
        raise CommandError(str(error.args[0])) from None


def parse_instant(text: str, where: str = "") -> datetime:
    """An aware ISO 8601 instant; CommandError for anything else (naive, unreadable)."""
    value = text.strip()
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{where}cannot read instant {value!r} (ISO 8601 expected)") from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CommandError(
            f"{where}instant {value!r} has no UTC offset; give one, e.g. {value}+01:00 or {value}Z"
        )
    return instant
