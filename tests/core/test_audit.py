"""REQ-11: what the audit chain's hash covers, per formula version, and the checkpointed head
(no database)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from livret.core.audit import (
    GENESIS,
    Break,
    ChainLink,
    EventFields,
    checkpoint_break,
    event_hash,
    first_break,
    hashed_content,
)

EVENT = EventFields(
    request="DEM-2026-000001",
    seq=1,
    at="2026-11-19T09:00:00.000000+00:00",
    kind="comment",
    actor_id=7,
    actor_label="Tech (éditeur)",
    data={"text": "Nous regardons."},
    visible_to_client=False,
)
CHANGED = {
    "request": "DEM-2026-000002",
    "seq": 2,
    "at": "2026-11-19T09:00:01.000000+00:00",
    "kind": "comment-internal",
    "actor_id": 8,
    "actor_label": "Autre",
    "data": {"text": "Autre chose."},
    "visible_to_client": True,
}


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_version_2_hashes_every_stored_field(field: str) -> None:
    """issue 13, item 4: flipping visible_to_client or changing the actor changes the hash."""
    before = event_hash(GENESIS, hashed_content(EVENT, 2))
    after = event_hash(GENESIS, hashed_content(replace(EVENT, **{field: CHANGED[field]}), 2))
    assert before != after


def test_version_1_is_the_first_formula_so_old_rows_still_verify() -> None:
    """issue 13, item 4: rows written before version 2 are re-hashed as they were written."""
    assert hashed_content(EVENT, 1) == {
        "request": "DEM-2026-000001",
        "seq": 1,
        "at": "2026-11-19T09:00:00.000000+00:00",
        "kind": "comment",
        "actor": "Tech (éditeur)",
        "data": {"text": "Nous regardons."},
    }
    assert hashed_content(EVENT, 2)["version"] == 2


def chain(*versions: int) -> list[ChainLink]:
    links, prev = [], GENESIS
    for seq, version in enumerate(versions, start=1):
        content = hashed_content(replace(EVENT, seq=seq), version)
        link = ChainLink(seq, content, prev, event_hash(prev, content), version)
        links.append(link)
        prev = link.hash
    return links


def test_a_chain_may_go_up_in_version_but_never_down() -> None:
    """issue 13, item 4: an old chain continued with version 2 holds; a downgraded row breaks."""
    assert first_break(chain(1, 1, 2, 2)) is None
    assert first_break(chain(1, 2, 1)) == Break(3, "hash version 1 after version 2")
    assert first_break(chain(2, 3)) == Break(2, "unknown hash version 3")
    assert first_break(chain(0)) == Break(1, "unknown hash version 0")


def test_a_chain_shorter_than_its_checkpointed_head_is_named() -> None:
    """issue 13, item 4: deleting the newest events is seen against the checkpoint."""
    links = chain(2, 2, 2)
    day = "2026-11-20T00:00:00+00:00"
    assert checkpoint_break(links, 3, links[2].hash, day) is None
    assert checkpoint_break(links[:2], 3, links[2].hash, day) == Break(
        3,
        f"the chain ends before the head checkpointed on {day} (2 of 3 events: newest "
        "events deleted)",
    )
    assert checkpoint_break(links, 2, "f" * 64, day) == Break(
        2, f"does not match the head checkpointed on {day} (chain rewritten)"
    )
