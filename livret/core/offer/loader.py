"""Read offer files and report every defect as ``file:line: field.path: reason`` (SPEC OFF-1).

The TOML parser gives a line for syntax errors; for schema errors we find the line of the
field ourselves by scanning table headers and keys (:func:`locate`), falling back to the
nearest enclosing table that is present in the file (a missing field points at its table).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from livret.core.offer.schema import Offer, Path, reference_problems


@dataclass(frozen=True)
class Problem:
    """One defect of an offer file."""

    file: str
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(file)'}: {self.reason}"


class OfferError(ValueError):
    """An offer file that cannot be used; ``problems`` lists each defect."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedOffer:
    """A valid offer with the text it came from and that text's digest (its identity)."""

    offer: Offer
    text: str
    digest: str


def digest_of(text: str) -> str:
    """SHA-256 of the file text: two files with the same digest are the same version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_offer_text(text: str, filename: str = "<offer>") -> LoadedOffer:
    """Parse and validate an offer given as TOML text; raise :class:`OfferError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise OfferError([Problem(filename, line, "", f"malformed TOML: {reason}")]) from None
    try:
        offer = Offer.model_validate(data)
    except ValidationError as error:
        lines = key_lines(text)
        problems = [
            Problem(filename, locate(lines, tuple(e["loc"])), dotted(tuple(e["loc"])), _reason(e))
            for e in error.errors()
        ]
        raise OfferError(problems) from None
    references = reference_problems(offer)
    if references:
        lines = key_lines(text)
        raise OfferError(
            [Problem(filename, locate(lines, path), dotted(path), why) for path, why in references]
        )
    return LoadedOffer(offer, text, digest_of(text))


def load_offer_file(path: FsPath | str) -> LoadedOffer:
    """Read an offer file from disk; unreadable files are reported like any other defect."""
    file = FsPath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OfferError([Problem(str(file), None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise OfferError([Problem(str(file), None, "", f"cannot read: {error}")]) from None
    return load_offer_text(text, str(file))


def dotted(path: Path) -> str:
    """``('support', 'pickup', 'open')`` as ``support.pickup.open``; list indexes as ``[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_key(key: str) -> list[str]:
    parts = re.findall(r"\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_lines(text: str) -> dict[Path, int]:
    """Map each table and key path of a TOML text to the line that defines it (1-based)."""
    found: dict[Path, int] = {}
    table: Path = ()
    array_counts: dict[Path, int] = {}
    depth = 0  # bracket depth of a value spanning several lines: its lines hold no keys
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                names = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = array_counts.get(names, 0)
                    array_counts[names] = index + 1
                    table = (*names, index)
                else:
                    table = names
                found.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_split_key(key.group(1)))
                found.setdefault(path, number)
        depth = max(0, depth + _bracket_balance(line))
    return found


def _bracket_balance(line: str) -> int:
    balance = 0
    quote = ""
    for char in line:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    if _HEADER.match(line):
        return 0
    return balance


def locate(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path`` or of its nearest enclosing table or key present in the file."""
    for end in range(len(path), 0, -1):
        prefix = path[:end]
        if prefix in lines:
            return lines[prefix]
    return None
