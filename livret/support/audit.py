"""Verifying the requests' audit trail (SPEC REQ-11): ``livret audit verify``.

Each request's events are re-hashed in ``seq`` order, each with the formula of its
``hash_version``, and checked against their links and the request's stored head
(``livret.core.audit.first_break``), then against the head last checkpointed outside the
database (``livret.core.audit.checkpoint_break``, :mod:`livret.support.checkpoints`);
requests are read in batches, their events in one query per batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from livret.core.audit import Break, ChainLink, checkpoint_break, first_break
from livret.support.checkpoints import Checkpoint
from livret.support.models import Request, RequestEvent
from livret.support.services import event_payload


class ChainCheck(NamedTuple):
    """One request's chain: its number, primary key, events read, and its first break."""

    number: str
    pk: int
    events: int
    broken: Break | None


def chain_breaks(
    batch: int = 500, checkpoints: Mapping[str, Checkpoint] | None = None
) -> Iterator[ChainCheck]:
    """Walk every request's chain, in primary-key order; one check per request, then one per
    checkpointed request no longer in the database (primary key 0)."""
    checkpoints = checkpoints or {}
    unseen = set(checkpoints)
    last = 0
    while True:
        requests = list(
            Request.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "number", "event_count", "last_event_hash")[:batch]
        )
        if not requests:
            break
        by_pk = {r.pk: r for r in requests}
        chains: dict[int, list[ChainLink]] = {pk: [] for pk in by_pk}
        events = RequestEvent.objects.filter(request_id__in=list(by_pk)).order_by(
            "request_id", "seq"
        )
        for event in events.iterator(chunk_size=2000):
            event.request = by_pk[event.request_id]  # no query per event
            chains[event.request_id].append(
                ChainLink(
                    event.seq,
                    event_payload(event),
                    event.prev_hash,
                    event.hash,
                    event.hash_version,
                )
            )
        for pk, request in by_pk.items():
            links = chains[pk]
            found = first_break(
                links, head_hash=request.last_event_hash or None, count=request.event_count
            )
            saved = checkpoints.get(request.number)
            if found is None and saved is not None:
                found = checkpoint_break(links, saved.count, saved.head, saved.at)
            unseen.discard(request.number)
            yield ChainCheck(request.number or f"#{pk}", pk, len(links), found)
        last = requests[-1].pk
    for number in sorted(unseen):
        saved = checkpoints[number]
        reason = f"the request is missing (checkpointed on {saved.at} with {saved.count} events)"
        yield ChainCheck(number, 0, 0, Break(1, reason))
