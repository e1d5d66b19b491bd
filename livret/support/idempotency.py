"""Idempotent filing over the API (issue 13, item 15): ``POST /api/requests`` with an
``Idempotency-Key`` header files at most one request per user and key.

A client that lost the answer to a filing (timeout, dropped connection) sends it again with
the same key and gets the first answer back, with nothing filed twice. The key is stored in
the transaction that files the request, under a unique constraint on (user, key): of two
identical calls at once, one commits and the other's insert fails, which undoes its filing
and replays the winner's answer. A key is kept :data:`KEEP_FOR`, then purged by the
``idempotency-keys`` job (``livret.support.jobs``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from livret.errors import ServiceError, WrongState
from livret.support.models import IdempotencyKey, Request

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
_KEY = re.compile(r"[\x21-\x7e]{1,200}")


def key_of(headers: Any) -> str | None:
    """The request's ``Idempotency-Key`` (None without one); a malformed one is refused."""
    key = headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ServiceError(
            "invalid",
            "l'en-tête Idempotency-Key doit compter de 1 à 200 caractères ASCII imprimables, "
            "sans espace",
            field=HEADER,
        )
    return str(key)


def fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 of the parsed body: the same fields and values give the same fingerprint."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(user: User, key: str, digest: str) -> dict[str, Any] | None:
    first = IdempotencyKey.objects.filter(user=user, key=key).first()
    if first is None:
        return None
    if first.fingerprint != digest:
        raise WrongState(
            "idempotency-key-reused",
            "cette clé Idempotency-Key a déjà servi pour une demande au contenu différent",
            field=HEADER,
        )
    return dict(first.answer)


def file_once(
    user: User,
    key: str,
    body: dict[str, Any],
    now: datetime,
    file: Callable[[], tuple[Request, dict[str, Any]]],
) -> dict[str, Any]:
    """The answer of the first filing with ``key`` by ``user``; ``file`` files the request and
    returns it with its answer (a JSON-ready dict) when there is none yet."""
    digest = fingerprint(body)
    IdempotencyKey.objects.filter(user=user, key=key, created_at__lte=now - KEEP_FOR).delete()
    first = _replay(user, key, digest)
    if first is not None:
        return first
    try:
        with transaction.atomic():
            request, answer = file()
            IdempotencyKey.objects.create(
                user=user,
                key=key,
                fingerprint=digest,
                request=request,
                answer=answer,
                created_at=now,
            )
    except IntegrityError:
        # The same key filed at the same moment by another call: its filing won, ours is undone.
        first = _replay(user, key, digest)
        if first is None:
            raise
        return first
    return answer


def purge(now: datetime) -> int:
    """Forget the keys older than :data:`KEEP_FOR`; return how many were removed."""
    removed, _ = IdempotencyKey.objects.filter(created_at__lte=now - KEEP_FOR).delete()
    return removed
