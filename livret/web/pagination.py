"""Lists in pages, with their count: no list of the site is ever cut silently (issue 12).

A view pages its filtered query with :func:`paginate` and includes ``web/_pager.html``, which
says "1 234 demandes — page 2 / 25" and links to the previous and next pages with the same
filters (the query string is kept, only ``page`` changes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext

PER_PAGE = 50


@dataclass(frozen=True)
class Pager:
    """One page of a list and what the page says about the whole list."""

    page: Page
    summary: str
    previous_url: str
    next_url: str


def count_label(count: int, text: Callable[[int], str]) -> str:
    """``text(count)`` with the count grouped the French way (``20 000``); ``text`` is an
    ``ngettext`` call of the caller's, e.g. ``"%(count)s demandes"``."""
    return text(count) % {"count": number_format(count, force_grouping=True)}


def paginate(
    request: HttpRequest,
    rows: Sequence[Any] | Any,
    text: Callable[[int], str],
    *,
    per_page: int | None = None,
    param: str = "page",
) -> Pager:
    """The page that ``?page=`` asks for (a wrong or too large number gives the nearest page,
    never an error), its summary and the links to its neighbours. Two lists on one page each
    have their own ``param``; a link of one keeps the other's page."""
    paginator = Paginator(rows, per_page or PER_PAGE)
    page = paginator.get_page(request.GET.get(param))
    summary = gettext("%(count)s — page %(page)s / %(pages)s") % {
        "count": count_label(paginator.count, text),
        "page": page.number,
        "pages": paginator.num_pages,
    }
    return Pager(
        page=page,
        summary=summary,
        previous_url=(
            page_url(request, page.previous_page_number(), param) if page.has_previous() else ""
        ),
        next_url=page_url(request, page.next_page_number(), param) if page.has_next() else "",
    )


def page_url(request: HttpRequest, number: int, param: str = "page") -> str:
    """This list's address at page ``number``, with the same filters."""
    query = request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"


def query_without_page(request: HttpRequest) -> str:
    """The list's filters as a query string (``?…``), without the page: for an export link."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""
