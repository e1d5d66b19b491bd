"""The audit chains' heads, checkpointed outside the database (SPEC REQ-11).

A hash chain shows a partial rewrite, not someone who deletes a request's newest events and
lowers its stored count and head to match. So the heads are also written to an append-only
file, ``settings.AUDIT_CHECKPOINTS`` (``LIVRET_DATA_DIR/audit/checkpoints.log``), once a day
by the worker's ``audit-checkpoint`` job and on demand by ``livret audit checkpoint``; each
checkpoint is also mailed to ``LIVRET_AUDIT_MAIL`` when set. ``livret audit verify`` then
checks that every checkpointed head is still in its chain.

One line per request whose head changed since the previous checkpoint, then one summary line
with ``*`` for a number (the count of requests, and a digest of every head)::

    2026-12-01T23:00:00+00:00 DEM-2026-000042 4 5f3c…
    2026-12-01T23:00:00+00:00 * 120 9ab0…
"""

from __future__ import annotations

import fcntl
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from django.conf import settings

from livret.mail.services import queue_mail
from livret.support.models import Request

SUMMARY = "*"


class CheckpointFileError(Exception):
    """The checkpoint file has a line that is not a checkpoint (its line number and text)."""


@dataclass(frozen=True)
class Checkpoint:
    """A request's head as last checkpointed: when, its event count and the newest hash."""

    at: str
    count: int
    head: str


def _parse(text: str) -> tuple[dict[str, Checkpoint], str | None]:
    """The latest checkpoint of each request, and the instant of the last summary line."""
    heads: dict[str, Checkpoint] = {}
    last_summary = None
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) != 4 or not parts[2].isdigit() or len(parts[3]) != 64:
            raise CheckpointFileError(f"line {number} is not a checkpoint: {line[:80]!r}")
        at, name, count, head = parts
        if name == SUMMARY:
            last_summary = at
        else:
            heads[name] = Checkpoint(at, int(count), head)
    return heads, last_summary


def read_checkpoints(path: Path | None = None) -> dict[str, Checkpoint]:
    """Request number -> its latest checkpointed head (empty when nothing was checkpointed)."""
    path = path or settings.AUDIT_CHECKPOINTS
    if not path.exists():
        return {}
    return _parse(path.read_text(encoding="utf-8"))[0]


def _current_heads() -> dict[str, tuple[int, str]]:
    rows = (
        Request.objects.filter(event_count__gt=0)
        .order_by("pk")
        .values_list("number", "event_count", "last_event_hash")
    )
    return {number: (count, head) for number, count, head in rows.iterator(chunk_size=2000)}


def _append(file: TextIO, now: datetime) -> list[str]:
    """Inside the lock: the lines of a new checkpoint, appended to ``file``."""
    file.seek(0)
    known, _ = _parse(file.read())
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    heads = _current_heads()
    digest = hashlib.sha256()
    lines = []
    for number, (count, head) in heads.items():
        digest.update(f"{number} {count} {head}\n".encode())
        before = known.get(number)
        if before is None or (before.count, before.head) != (count, head):
            lines.append(f"{at} {number} {count} {head}")
    lines.append(f"{at} {SUMMARY} {len(heads)} {digest.hexdigest()}")
    file.write("".join(f"{line}\n" for line in lines))
    file.flush()
    return lines


def write_checkpoint(now: datetime, *, once_a_day: bool = False, path: Path | None = None) -> int:
    """Append a checkpoint of every chain's head; how many requests it names.

    With ``once_a_day`` (the worker), nothing is written when the file already has a
    checkpoint of ``now``'s UTC day. Several writers take turns on a file lock.
    """
    path = path or settings.AUDIT_CHECKPOINTS
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        if once_a_day:
            file.seek(0)
            _, last = _parse(file.read())
            if last is not None and last[:10] == now.astimezone(UTC).date().isoformat():
                return 0
        lines = _append(file, now)
    if settings.AUDIT_MAIL:
        queue_mail(
            list(settings.AUDIT_MAIL),
            f"Journal d'audit : point de contrôle du {lines[-1][:10]}",
            "\n".join(lines) + "\n",
            reason="audit-checkpoint",
        )
    return len(lines) - 1
