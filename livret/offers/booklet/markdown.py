"""Offer text escaped for Markdown: it stays text, never markup (SPEC OFF-4)."""

from __future__ import annotations

import re
from dataclasses import replace

from livret.offers.booklet.model import Block, Booklet, Table

_MD_LINE_START = re.compile(r"^(\s*)([#>+\-*=]|\d+[.)])")


def _md_text(value: str) -> str:
    """Offer text that stays text in Markdown: no raw HTML, no accidental block markup."""
    text = value.replace("\\", "\\\\").replace("<", "\\<")
    return "\n".join(_MD_LINE_START.sub(r"\1\\\2", line) for line in text.splitlines())


def _md_inline(value: str) -> str:
    """Text for one line (headings, list items): newlines become spaces."""
    return _md_text(" ".join(value.split()))


def _md_cell(value: str) -> str:
    return _md_inline(value).replace("|", "\\|")


def markdown_safe(booklet: Booklet) -> Booklet:
    """A copy of the booklet whose text is escaped for Markdown (SPEC OFF-4)."""

    def block(b: Block) -> Block:
        table = None
        if b.table is not None:
            table = Table(
                tuple(_md_cell(h) for h in b.table.headers),
                tuple(tuple(_md_cell(c) for c in row) for row in b.table.rows),
            )
        return Block(
            heading=_md_inline(b.heading),
            source=_md_inline(b.source),
            to_confirm=_md_inline(b.to_confirm),
            paragraphs=tuple(_md_text(p) for p in b.paragraphs),
            items=tuple(_md_inline(i) for i in b.items),
            table=table,
            note=_md_inline(b.note),
        )

    return replace(
        booklet,
        title=_md_inline(booklet.title),
        name=_md_inline(booklet.name),
        vendor=_md_inline(booklet.vendor),
        version_label=_md_inline(booklet.version_label),
        kind=_md_inline(booklet.kind),
        summary=_md_text(booklet.summary),
        articles=tuple(
            replace(
                a,
                title=_md_inline(a.title),
                source=_md_inline(a.source),
                note=_md_inline(a.note),
                blocks=tuple(block(b) for b in a.blocks),
            )
            for a in booklet.articles
        ),
    )
