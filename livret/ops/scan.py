"""The one claim-and-defer loop of the worker's scans (DESIGN: any number of workers side by side).

A scan lists the keys of its due rows with one query, then hands each key to ``handle``, which
claims the row with the scan's own condition (a compare-and-swap ``UPDATE``, or ``SELECT … FOR
UPDATE SKIP LOCKED`` on PostgreSQL, read again inside its transaction), does the work and says
how many things it did (0 when the row was no longer due, or another worker had it). A row
whose handling raises is logged, pushed back by ``defer`` (so that it cannot hold the head of
the queue) and the scan goes on with the next one: one bad row never stops the others. A scan
with no ``defer`` leaves a failed row due, and it is tried again at the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

K = TypeVar("K")


def scan(
    due: Iterable[K],
    handle: Callable[[K], int],
    defer: Callable[[K], object] | None,
    *,
    log: logging.Logger,
    failure: str,
) -> int:
    """Handle each due key in turn; return the sum of what ``handle`` returned.

    ``failure`` is the message logged (with the traceback) when a key's handling raises, with
    one ``%s`` for the key; a failing ``defer`` is logged too and does not stop the scan.
    """
    done = 0
    for key in due:
        try:
            done += handle(key)
        except Exception:
            log.exception(failure, key)
            if defer is None:
                continue
            try:
                defer(key)
            except Exception:
                log.exception("%s could not be pushed back after its failure", key)
    return done
