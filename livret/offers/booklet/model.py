"""The booklet view-model: every value is French display text, ready for a template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BookletFormat = Literal["html", "md"]

TO_CONFIRM = "à confirmer par l'opérateur"


@dataclass(frozen=True)
class Table:
    """A table of display text: one header row and body rows of the same width."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Block:
    """A part of an article: optional heading and source, then text, items and a table."""

    heading: str = ""
    source: str = ""
    to_confirm: str = ""  # why an operator must confirm these values (placeholder hours)
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    table: Table | None = None
    note: str = ""  # the reading livret takes where the seed is ambiguous (SPEC OFF-2)


@dataclass(frozen=True)
class Article:
    """One numbered article of the booklet, built from one section of the offer."""

    anchor: str
    number: int
    title: str
    source: str
    note: str = ""
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Booklet:
    """The whole booklet, ready for a template."""

    title: str
    name: str
    vendor: str
    version_label: str
    kind: str
    summary: str
    articles: tuple[Article, ...] = field(default_factory=tuple)


@dataclass
class Draft:
    """An article before numbering."""

    anchor: str
    title: str
    source: str
    note: str | None
    blocks: list[Block]
