"""The lists of requests: the technicians' queues and a client's list (issue 12, REQ-9).

Every list is built the same way: the filters read from the query string into a dict
(:func:`read_filters`, only known values kept), then one function applies them all
(:func:`filtered`), whatever the list. A new filter is one more key there; the pages, the
pagination and the CSV export follow. Tenancy is not a filter: a client's list starts from
``access.visible_requests`` (REQ-11, ACC-3), the queues are for vendor staff only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from livret.support import access, search
from livret.support.models import (
    OPEN_STATES,
    Criticity,
    Kind,
    Priority,
    Request,
    RequestEvent,
    State,
    Team,
    queue_order,
)
from livret.tenants.access import Person

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")

# Whose requests ("vue") and how close their deadline is ("delai"); they combine.
WHOSE = ("mes", "equipe", "non-attribuees")
DEADLINES = ("a-risque", "depasses")
STATES = ("ouvertes", "closes", "toutes")
AT_RISK_WITHIN = timedelta(hours=2)

# The filters each list reads, with their default value.
QUEUE_FILTERS = {
    "client": "",
    "kind": "",
    "criticity": "",
    "equipe": "",
    "vue": "",
    "delai": "",
    "q": "",
}
CUSTOMER_SERVICE_FILTERS = {"client": "", "equipe": "", "vue": "", "delai": "", "q": ""}
CLIENT_FILTERS = {"etat": "ouvertes", "q": ""}


def _known(key: str, value: str) -> bool:
    """Whether ``value`` is one that filter ``key`` understands."""
    if key == "q":
        return True  # free text: the search refuses, with its reason, what it cannot read
    if key in ("client", "equipe"):
        return bool(_SLUG.match(value))
    allowed: dict[str, Sequence[str]] = {
        "kind": Kind.values,
        "criticity": ("1", "2", "3"),
        "vue": WHOSE,
        "delai": DEADLINES,
        "etat": STATES,
    }
    return value in allowed.get(key, ())


def read_filters(query: QueryDict, defaults: dict[str, str]) -> dict[str, str]:
    """The list's filters from its query string. A value the filter does not know (a stale
    link, a typed address) is left out rather than refused: the list shows unfiltered."""
    filters: dict[str, str] = {}
    for key, default in defaults.items():
        value = query.get(key, default).strip()
        if key == "vue" and value in DEADLINES and "delai" in defaults:
            filters.setdefault("delai", value)  # links of the first queue: ?vue=depasses
            value = ""
        filters.setdefault(key, value if not value or _known(key, value) else default)
    return filters


def filtered(
    rows: QuerySet[Request], filters: dict[str, str], user: Person, now: datetime
) -> QuerySet[Request]:
    """``rows`` narrowed by every filter given (the empty ones do nothing); they combine."""
    if filters.get("etat") == "ouvertes":
        rows = rows.filter(state__in=OPEN_STATES)
    elif filters.get("etat") == "closes":
        rows = rows.exclude(state__in=OPEN_STATES)
    if filters.get("client"):
        rows = rows.filter(client__slug=filters["client"])
    if filters.get("kind"):
        rows = rows.filter(kind=filters["kind"])
    if filters.get("criticity"):
        rows = rows.filter(criticity=int(filters["criticity"]))
    if filters.get("equipe"):
        rows = rows.filter(team__slug=filters["equipe"])
    whose = filters.get("vue")
    if whose == "mes":
        rows = rows.filter(assignee=user)
    elif whose == "equipe":
        mine = Team.objects.filter(Q(members=user) | Q(lead=user)).values("pk")
        rows = rows.filter(team__in=mine)
    elif whose == "non-attribuees":
        rows = rows.filter(assignee__isnull=True)
    if filters.get("delai") == "depasses":
        rows = rows.filter(next_deadline_at__lt=now)
    elif filters.get("delai") == "a-risque":
        rows = rows.filter(Q(next_alert_at__lte=now) | Q(next_deadline_at__lt=now + AT_RISK_WITHIN))
    return search.matching(rows, filters.get("q", ""), user)


def queue_requests(
    filters: dict[str, str], user: Person, *, customer_service: bool = False
) -> QuerySet[Request]:
    """REQ-9: the open requests of a queue, priority lines first (first come, first served),
    then the nearest deadline. Customer-service requests (no SLA) have their own queue."""
    rows = Request.objects.filter(state__in=OPEN_STATES).select_related(
        "client", "contract", "assignee", "team"
    )
    if customer_service:
        rows = rows.filter(kind=Kind.CUSTOMER_SERVICE)
    else:
        rows = rows.exclude(kind=Kind.CUSTOMER_SERVICE)
    return queue_order(filtered(rows, filters, user, timezone.now()))


# What a queue's row shows and its clocks need (``clocks_of``: the kind, the contract's offer
# version, formula and territory, the events): a request has some forty columns, and building
# them for every row cost more than the page's queries.
SHOWN = ("number", "title", "kind", "state", "priority", "criticity", "priority_line",
         "registered_at", "next_deadline_at", "client", "contract", "assignee", "team")  # fmt: skip
SHOWN_OF = {
    "client": ("name",),
    "contract": ("reference", "offer_version", "formula", "territory"),
    "assignee": ("first_name", "last_name", "username"),
    "team": ("name",),
}


def page_rows(ids: Sequence[int]) -> list[Request]:
    """The requests of one page of a queue, in the page's order, with what the page shows.

    The page is chosen on the ids alone (a sort that reads only the ``request_queue_rows``
    index); here only its rows are read, by primary key: the queue's filters are not repeated
    (a database would then pick the filters' index over the primary key).
    """
    rows = Request.objects.select_related("client", "contract", "assignee", "team").only(
        *SHOWN,
        *(f"{relation}__{field}" for relation, fields in SHOWN_OF.items() for field in fields),
    )
    events = RequestEvent.objects.only("request_id", "seq", "at", "kind", "data")
    found = rows.prefetch_related(Prefetch("events", queryset=events)).in_bulk(list(ids))
    return [found[pk] for pk in ids if pk in found]


def client_requests(filters: dict[str, str], user: Person) -> QuerySet[Request]:
    """The requests a client's member sees (their own, or the organisation's for its
    administrators), newest first."""
    rows = access.visible_requests(user).select_related("team")
    return filtered(rows, filters, user, timezone.now()).order_by("-registered_at", "-pk")


EXPORT_COLUMNS = (
    _("Numéro"),
    _("Objet"),
    _("Client"),
    _("Type"),
    _("État"),
    _("Priorité"),
    _("Criticité"),
    _("Équipe"),
    _("Technicien"),
    _("Déposée le"),
    _("Prochaine échéance"),
)


def _local(instant: datetime | None) -> str:
    return timezone.localtime(instant).strftime("%d/%m/%Y %H:%M") if instant else ""


def choice_labels() -> dict[str, dict[Any, str]]:
    """The labels of a request's kind, state, priority and criticity, translated once for a
    whole list: a model's ``get_…_display`` per row and field costs more than the query."""
    return {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("kind", Kind.choices),
            ("state", State.choices),
            ("priority", Priority.choices),
            ("criticity", Criticity.choices),
        )
    }


def export_rows(rows: QuerySet[Request]) -> Iterator[list[str]]:
    """One CSV row per request, in the list's order, read in chunks (any number of rows):
    plain values, not model instances."""
    labels = choice_labels()
    values = rows.values_list(
        "number",
        "title",
        "client__name",
        "kind",
        "state",
        "priority",
        "criticity",
        "team__name",
        "assignee__first_name",
        "assignee__last_name",
        "assignee__username",
        "registered_at",
        "next_deadline_at",
    )
    for row in values.iterator(chunk_size=2000):
        number, title, client, kind, state, priority, criticity, team = row[:8]
        first, last, login, registered, deadline = row[8:]
        technician = f"{first} {last}".strip() or (login or "")
        yield [
            number or "",
            title,
            client,
            labels["kind"].get(kind, kind),
            labels["state"].get(state, state),
            labels["priority"].get(priority, priority),
            labels["criticity"].get(criticity, "") if criticity else "",
            team or "",
            technician,
            _local(registered),
            _local(deadline),
        ]
