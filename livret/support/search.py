"""Full-text search of requests, in French (issue 12, decision 0012).

One document per request (:class:`~livret.support.models.SearchDocument`): ``public`` holds the
number, title, description, context, error messages and every message the client may read;
``internal`` the vendor's internal notes. :func:`matching` filters a queryset of requests by a
query: the vendor searches both parts, a client only ``public``, so a word of an internal note
never finds a request for a client. Tenancy stays with the queryset given (``visible_requests``).

The document is rewritten in the transaction that writes a text (:func:`index_after`, called by
``services.trail.record_event``, the one place events are appended), filled for existing
requests by migration 0010, and rebuilt by ``livret search rebuild`` (:func:`rebuild`).

The text is turned into French lexemes by ``livret.core.search_text`` (Snowball French stems,
accents removed, the same on both databases); the index is the database's own: GIN-indexed
``tsvector`` columns on PostgreSQL, an FTS5 table on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connections, transaction
from django.db.models import Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from livret.core import search_text
from livret.errors import ServiceError
from livret.support.models import (
    BillableProposal,
    Comment,
    Request,
    RequestEvent,
    SearchDocument,
)
from livret.tenants.access import Person, is_vendor, membership

# The events that carry a text of the thread, and the key of their data that holds it. A new
# kind of message recorded as an event adds its line here (then ``livret search rebuild``).
EVENT_TEXTS = {
    "waiting-for-client": "question",
    "client-answered": "text",
    "action-plan-delivered": "text",
    "fix-delivered": "text",
    "closed": "reason",
    "cancelled": "reason",
    "rejected": "reason",
    "reopened": "reason",
    "phone-call": "summary",
}
# The events after which the document changes: a text event, a message (its body is in
# Comment), a paid-service proposal (its description is in BillableProposal).
_INDEXED_EVENTS = frozenset(EVENT_TEXTS) | {"comment", "billable-proposal"}
# SQLite's FTS5 table over support_searchdocument (migration 0010).
FTS_TABLE = "support_searchdocument_fts"
# The requests a query finds: constant statements, the query itself is a parameter. A
# client's reads its organisation's documents only (besides the queryset's own tenancy): on
# PostgreSQL, the client's index and the words' index together keep it fast whatever the words.
_POSTGRESQL_VENDOR = (
    "SELECT request_id FROM support_searchdocument WHERE vendor_vector @@ to_tsquery('simple', %s)"
)
_POSTGRESQL_CLIENT = (
    "SELECT request_id FROM support_searchdocument "
    "WHERE client_id = %s AND public_vector @@ to_tsquery('simple', %s)"
)
_SQLITE_VENDOR = (
    "SELECT rowid FROM support_searchdocument_fts WHERE support_searchdocument_fts MATCH %s"
)
_SQLITE_CLIENT = (
    "SELECT d.request_id FROM support_searchdocument_fts f "
    "JOIN support_searchdocument d ON d.request_id = f.rowid "
    "WHERE support_searchdocument_fts MATCH %s AND d.client_id = %s"
)
_SQLITE_REBUILD = (
    "INSERT INTO support_searchdocument_fts(support_searchdocument_fts) VALUES ('rebuild')"
)


def _texts(
    request: Any, events: Iterable[Any], comments: Iterable[Any], proposal: str | None
) -> tuple[list[str], list[str]]:
    """(public, internal) texts of a request, from its rows (live or historical models)."""
    public = [
        request.number or "",
        request.title,
        request.description,
        request.context,
        request.error_messages,
        request.menu_path,
    ]
    internal: list[str] = []
    for event in events:
        text = (event.data or {}).get(EVENT_TEXTS.get(event.kind, ""))
        if isinstance(text, str):
            (public if event.visible_to_client else internal).append(text)
    for comment in comments:
        (internal if comment.internal else public).append(comment.body)
    if proposal:
        public.append(proposal)
    return public, internal


def _document(model: Any, request: Any, texts: tuple[list[str], list[str]]) -> Any:
    public, internal = texts
    return model(
        request_id=request.pk,
        client_id=request.client_id,
        public=search_text.indexed("\n".join(public)),
        internal=search_text.indexed("\n".join(internal)),
    )


def _save(model: Any, documents: list[Any], using: str) -> None:
    """Insert or replace the documents (one statement; SQLite's triggers follow in FTS5)."""
    model.objects.using(using).bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["request"],
        update_fields=["public", "internal"],
    )


def index(request: Request) -> None:
    """Rewrite the request's document from its rows, in the caller's transaction.

    The request's own fields are read from ``request`` as it is in memory (at filing, its
    number is set before it is saved again).
    """
    using = request._state.db or "default"
    events = RequestEvent.objects.using(using).filter(request=request, kind__in=EVENT_TEXTS)
    comments = Comment.objects.using(using).filter(request=request)
    proposal = BillableProposal.objects.using(using).filter(request=request)
    texts = _texts(
        request,
        events.only("kind", "data", "visible_to_client"),
        comments.only("body", "internal"),
        proposal.values_list("description", flat=True).first(),
    )
    _save(SearchDocument, [_document(SearchDocument, request, texts)], using)


def index_after(request: Request, event: RequestEvent) -> None:
    """Keep the document current after ``event`` was appended (``trail.record_event``).

    The first event of a request is its filing: the document is its fields (no row to read).
    Later, only an event that brings a text rewrites it.
    """
    if event.seq == 1:
        using = request._state.db or "default"
        texts = _texts(request, [event], [], None)
        _save(SearchDocument, [_document(SearchDocument, request, texts)], using)
    elif event.kind in _INDEXED_EVENTS:
        index(request)


def _vendor(using: str) -> str:
    return str(connections[using].vendor)


def _related(model: Any, name: str) -> Any:
    return model._meta.get_field(name).related_model.objects.all()


def rebuild_documents(
    request_model: Any, document_model: Any, using: str = "default", batch: int = 500
) -> int:
    """Rewrite every request's document, ``batch`` requests a transaction; how many. Takes the
    models so migration 0010 fills the table with its historical ones.

    Each batch locks its requests first, as every change of a request does (``trail.locked``):
    a message written meanwhile waits for the batch, then writes its own document; no batch
    writes a document older than what it read.
    """
    requests = request_model.objects.using(using).prefetch_related(
        Prefetch(
            "events",
            queryset=_related(request_model, "events")
            .filter(kind__in=EVENT_TEXTS)
            .only("request_id", "kind", "data", "visible_to_client"),
        ),
        Prefetch(
            "comments",
            queryset=_related(request_model, "comments").only("request_id", "body", "internal"),
        ),
    )
    proposals = _related(request_model, "proposal").using(using)
    ids = list(requests.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic(using=using):
            locked = requests.select_for_update().filter(pk__in=chunk).order_by("pk")
            descriptions = dict(
                proposals.filter(request_id__in=chunk).values_list("request_id", "description")
            )
            documents = [
                _document(
                    document_model,
                    request,
                    _texts(
                        request,
                        request.events.all(),
                        request.comments.all(),
                        descriptions.get(request.pk),
                    ),
                )
                for request in locked
            ]
            _save(document_model, documents, using)
    if _vendor(using) == "sqlite":
        with connections[using].cursor() as cursor:
            # FTS5 re-reads its whole index from the documents, whatever happened to it.
            cursor.execute(_SQLITE_REBUILD)
    return len(ids)


def rebuild(batch: int = 500) -> int:
    """``livret search rebuild``: every request's document rewritten and, on SQLite, the FTS5
    index re-read from them; the number of requests."""
    return rebuild_documents(Request, SearchDocument, batch=batch)


def matching(requests: QuerySet[Request], query: str, user: Person) -> QuerySet[Request]:
    """The requests of ``requests`` that ``query`` finds, in the queryset's own order.

    The vendor's staff search the internal notes too, anyone else only what a client may read
    of its own organisation's requests (and no one without an organisation finds anything).
    A blank query filters nothing. ServiceError (field ``q``) for a query too long, with a
    control character, of stop words only or of excluded words only.
    """
    try:
        parsed = search_text.parse(query or "")
    except search_text.QueryError as error:
        raise ServiceError("invalid", f"recherche : {error}", field="q") from None
    if not parsed.terms:
        return requests
    sqlite = _vendor(requests.db) == "sqlite"
    if is_vendor(user):
        sql = _SQLITE_VENDOR if sqlite else _POSTGRESQL_VENDOR
        parameters = [search_text.to_fts5(parsed) if sqlite else search_text.to_tsquery(parsed)]
        return requests.filter(pk__in=RawSQL(sql, parameters))  # noqa: S611 - constant SQL
    member = membership(user)
    if member is None or member.client_id is None:
        return requests.none()
    if sqlite:
        sql, parameters = _SQLITE_CLIENT, [search_text.to_fts5(parsed, "public"), member.client_id]
    else:
        sql, parameters = _POSTGRESQL_CLIENT, [member.client_id, search_text.to_tsquery(parsed)]
    return requests.filter(pk__in=RawSQL(sql, parameters))  # noqa: S611 - constant SQL
