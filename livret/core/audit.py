"""REQ-11: an append-only audit trail, each event hash-chained to the previous one.

``event_hash`` covers the previous hash and a canonical JSON of the event, so editing,
inserting or deleting an event breaks the chain from that point; ``first_break`` names the
first event whose stored hash or link does not match.

The hashed content is versioned (``hashed_content``): version 1, the first formula, covered
the request number, sequence number, instant, kind, actor label and data; version 2 covers
every stored field (also the actor's id, whether the client sees the event, and the version
itself). Rows keep the version they were written with, so old chains still verify and are
never re-hashed (re-hashing would launder earlier tampering); a chain may only go up in
version. ``checkpoint_break`` compares a chain with a head written outside the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
# The formula new events are hashed with (see ``hashed_content``).
CURRENT_VERSION = 2


@dataclass(frozen=True)
class EventFields:
    """Every stored field of one event but its hashes (the instant already as UTC text)."""

    request: str | None
    seq: int
    at: str
    kind: str
    actor_id: int | None
    actor_label: str
    data: Mapping[str, Any]
    visible_to_client: bool


def hashed_content(fields: EventFields, version: int) -> dict[str, Any]:
    """What ``event_hash`` covers for an event written with formula ``version`` (REQ-11); an
    unknown version gets every field (``first_break`` refuses it)."""
    content: dict[str, Any] = {
        "request": fields.request,
        "seq": fields.seq,
        "at": fields.at,
        "kind": fields.kind,
        "actor": fields.actor_label,
        "data": fields.data,
    }
    if version == 1:
        return content
    return content | {
        "actor_id": fields.actor_id,
        "visible_to_client": fields.visible_to_client,
        "version": version,
    }


def canonical(payload: Mapping[str, Any]) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 of the previous hash and the event's canonical JSON."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(payload)}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """What verification needs of one stored event."""

    seq: int
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str
    version: int = CURRENT_VERSION


@dataclass(frozen=True)
class Break:
    """The first place a chain does not hold, and why."""

    seq: int
    reason: str


def first_break(
    links: Iterable[ChainLink], *, head_hash: str | None = None, count: int | None = None
) -> Break | None:
    """Walk a chain in ``seq`` order; None when intact (and matching the stored head)."""
    expected_prev = GENESIS
    expected_seq = 1
    lowest_version = 1
    seen = 0
    for link in links:
        if link.seq != expected_seq:
            return Break(link.seq, f"event {expected_seq} is missing (found {link.seq})")
        if not 1 <= link.version <= CURRENT_VERSION:
            return Break(link.seq, f"unknown hash version {link.version}")
        if link.version < lowest_version:
            # New events always get the current formula: an older one after it was downgraded.
            return Break(link.seq, f"hash version {link.version} after version {lowest_version}")
        if link.prev_hash != expected_prev:
            return Break(link.seq, "does not link to the previous event (inserted or reordered)")
        if event_hash(link.prev_hash, link.payload) != link.hash:
            return Break(link.seq, "content does not match its hash (edited)")
        expected_prev = link.hash
        expected_seq += 1
        lowest_version = link.version
        seen += 1
    if count is not None and seen != count:
        return Break(seen + 1, f"{count - seen} event(s) after {seen} are missing (deleted)")
    if head_hash is not None and seen and head_hash != expected_prev:
        return Break(seen, "the request's last hash does not match (events deleted or edited)")
    return None


def checkpoint_break(links: Sequence[ChainLink], count: int, head: str, day: str) -> Break | None:
    """Compare a chain (in ``seq`` order) with the head checkpointed on ``day`` outside the
    database: its event ``count`` must still be there, with hash ``head``."""
    if len(links) < count:
        return Break(
            len(links) + 1,
            f"the chain ends before the head checkpointed on {day} "
            f"({len(links)} of {count} events: newest events deleted)",
        )
    if links[count - 1].hash != head:
        return Break(count, f"does not match the head checkpointed on {day} (chain rewritten)")
    return None
