"""REQ-11: an append-only audit trail, each event hash-chained to the previous one.

``event_hash`` covers the previous hash and a canonical JSON of the event, so editing,
inserting or deleting an event breaks the chain from that point; ``first_break`` names the
first event whose stored hash or link does not match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


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
    seen = 0
    for link in links:
        if link.seq != expected_seq:
            return Break(link.seq, f"event {expected_seq} is missing (found {link.seq})")
        if link.prev_hash != expected_prev:
            return Break(link.seq, "does not link to the previous event (inserted or reordered)")
        if event_hash(link.prev_hash, link.payload) != link.hash:
            return Break(link.seq, "content does not match its hash (edited)")
        expected_prev = link.hash
        expected_seq += 1
        seen += 1
    if count is not None and seen != count:
        return Break(seen + 1, f"{count - seen} event(s) after {seen} are missing (deleted)")
    if head_hash is not None and seen and head_hash != expected_prev:
        return Break(seen, "the request's last hash does not match (events deleted or edited)")
    return None
