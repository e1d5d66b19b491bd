"""The booklet laid out by its templates, as HTML or Markdown (SPEC OFF-4)."""

from __future__ import annotations

import re

from django.template.loader import render_to_string

from livret.core.offer.schema import Offer
from livret.offers.booklet.build import build_booklet
from livret.offers.booklet.markdown import markdown_safe
from livret.offers.booklet.model import BookletFormat

_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_EMPTY_LINES = re.compile(r"\n{2,}")


def _tidy(text: str, *, keep_blank_lines: bool) -> str:
    """Trailing spaces off; blank lines kept single (Markdown) or dropped (HTML)."""
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text) if keep_blank_lines else _EMPTY_LINES.sub("\n", text)
    return text.strip() + "\n"


def render_booklet(offer: Offer, fmt: BookletFormat, *, version_label: str | None = None) -> str:
    """Render an offer as a French booklet, ``html`` (standalone page) or ``md`` (SPEC OFF-4).

    ``version_label`` replaces the default "Version <offer.version>" line, for example to
    show the contract's pinned version (SPEC OFF-5).
    """
    booklet = build_booklet(offer, version_label=version_label)
    if fmt == "html":
        html = render_to_string("offers/booklet.html", {"booklet": booklet})
        return _tidy(html, keep_blank_lines=False)
    if fmt == "md":
        md = render_to_string("offers/booklet.md", {"booklet": markdown_safe(booklet)})
        return _tidy(md, keep_blank_lines=True)
    raise ValueError(f"unknown booklet format {fmt!r} (known: html, md)")
