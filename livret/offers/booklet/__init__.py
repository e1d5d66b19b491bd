"""Render an offer back into a readable French booklet, in HTML or Markdown (SPEC OFF-4).

The booklet is generated from the very :class:`~livret.core.offer.schema.Offer` that the engine
enforces, so the contract a client reads and the rules that run cannot drift apart.

Rendering is two steps:

1. :func:`build_booklet` turns the offer into a small view-model (:class:`Booklet` →
   :class:`Article` → :class:`Block`) whose every value is already French display text:
   opening hours grouped by weekday ("du lundi au jeudi de 9 h à 12 h 30 …"), durations
   ("8 heures ouvrées"), percentages the French way ("99,5 %"). Each article and block
   carries the seed section it comes from (SPEC OFF-2).
2. Django templates lay that view-model out: ``offers/booklet.html`` (a standalone HTML5
   document that includes ``offers/booklet_body.html``) and ``offers/booklet.md``. The
   templates only loop; they hold no wording decisions.

Offer text is data: HTML keeps Django's autoescape on; Markdown escapes what would otherwise
become markup (raw HTML, table separators) before rendering (:func:`markdown_safe`).

Modules: ``model`` (the view-model), ``french`` (numbers, durations, dates, lists, hours),
``labels`` (French labels of the offer's values), the articles by part of the booklet
(``perimeter``, ``service``, ``support``, ``monitoring``, ``contract``), ``build`` (their
order and numbering), ``markdown`` (escaping) and ``render`` (the templates).
"""

from livret.offers.booklet.build import build_booklet
from livret.offers.booklet.french import (
    clock_fr,
    date_fr,
    duration_fr,
    every_fr,
    join_fr,
    merged_sources,
    month_day_fr,
    number_fr,
    opening_hours_fr,
    ordinal_fr,
    per_period_fr,
    percent_fr,
)
from livret.offers.booklet.labels import calendar_hours, calendar_line
from livret.offers.booklet.markdown import markdown_safe
from livret.offers.booklet.model import TO_CONFIRM, Article, Block, Booklet, BookletFormat, Table
from livret.offers.booklet.render import render_booklet

__all__ = [
    "TO_CONFIRM",
    "Article",
    "Block",
    "Booklet",
    "BookletFormat",
    "Table",
    "build_booklet",
    "calendar_hours",
    "calendar_line",
    "clock_fr",
    "date_fr",
    "duration_fr",
    "every_fr",
    "join_fr",
    "markdown_safe",
    "merged_sources",
    "month_day_fr",
    "number_fr",
    "opening_hours_fr",
    "ordinal_fr",
    "per_period_fr",
    "percent_fr",
    "render_booklet",
]
