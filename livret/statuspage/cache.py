"""Caching the public status pages and feeds (MNT-3, "1,000 requests/s").

A built page is stored in Django's cache under a key that holds the **status stamp**: the
newest :class:`~livret.status.models.StatusEvent` id and the :class:`PageVersion` counter,
read together in one indexed query per request. Every change the page shows moves the stamp:

* ``livret.status.services`` writes a StatusEvent in the transaction of each change (incident,
  maintenance, service state, update announcement);
* edits that write no event (the admin changing a public label, a contract moving to another
  offer, …) bump the counter after their commit, through the model signals below.

So a change is visible at the next request, in every process, without any cross-process
invalidation: old keys are simply never asked for again and expire. What changes by the clock
alone (a maintenance reaching its start, the current month's availability) is bounded by the
entry's lifetime: at most :data:`board.MAX_AGE`, and never past the next maintenance start or
end (``Board.valid_until``).

Trade-off: the stamp query costs one database round trip per request (≈ 20-50 µs on SQLite);
in exchange no request ever sees a page older than the last committed change. With the
default local-memory cache each process keeps its own copy (built once per process and
stamp); a shared cache (Redis, Memcached) in ``CACHES`` would share them, unchanged here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from livret.offers.models import OfferVersion
from livret.status.models import (
    Incident,
    IncidentUpdate,
    Maintenance,
    Service,
    StatusEvent,
    UpdateAnnouncement,
)
from livret.statuspage.models import PageVersion
from livret.tenants.models import Client, Contract

T = TypeVar("T")
_STAMP_SQL: str | None = None


def _stamp_sql() -> str:
    global _STAMP_SQL
    if _STAMP_SQL is None:
        quote = connection.ops.quote_name
        events, versions = quote(StatusEvent._meta.db_table), quote(PageVersion._meta.db_table)
        # Table names from the models, quoted: nothing here comes from a request.
        _STAMP_SQL = f"SELECT (SELECT MAX(id) FROM {events}), (SELECT MAX(counter) FROM {versions})"  # noqa: S608
    return _STAMP_SQL


def stamp() -> str:
    """The status stamp: ``<newest event id>.<page version>`` (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql())
        event_id, counter = cursor.fetchone()
    return f"{event_id or 0}.{counter or 0}"


def bump() -> None:
    """Move the stamp: every cached page becomes stale."""
    if PageVersion.objects.filter(pk=1).update(counter=F("counter") + 1):
        return
    try:
        with transaction.atomic():
            PageVersion.objects.create(pk=1, counter=1)
    except IntegrityError:  # another process created it meanwhile
        PageVersion.objects.filter(pk=1).update(counter=F("counter") + 1)


def cached(
    key: str, build: Callable[[], tuple[T, datetime]], now: datetime, at_stamp: str | None = None
) -> T:
    """The value stored under ``key`` for the current stamp (``at_stamp``, or read now), else
    the value ``build()`` returns, kept until the instant it returns with it."""
    full_key = f"statuspage:{key}:{at_stamp or stamp()}"
    value: Any = cache.get(full_key)
    if value is None:
        value, valid_until = build()
        timeout = max((valid_until - now).total_seconds(), 1.0)
        cache.set(full_key, value, timeout)
    return value


def _changed(**_: object) -> None:
    transaction.on_commit(bump)


# What the pages show beyond the event log: rows edited in the admin write no event.
WATCHED = (
    Service,
    Incident,
    IncidentUpdate,
    Maintenance,
    UpdateAnnouncement,
    Contract,
    Client,
    OfferVersion,
)


def connect_signals() -> None:
    """Bump the page version after every commit that saves or deletes a watched row."""
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"statuspage-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"statuspage-d-{model.__name__}")
    for through in (Incident.services.through, Maintenance.services.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"statuspage-{through.__name__}")
