"""The agent's durable queue of batches: one SQLite file in the state directory (docs/agent.md).

A batch gets its ``batch_id`` (UUID4) when it is written, and the write is committed (fsync, WAL
with synchronous=FULL) BEFORE any attempt to send it. It is deleted only after the server answered
200, so a crash or a kill at any moment loses no written batch, and a batch sent again after a
crash between the 200 and the delete carries the same ``batch_id`` — the server answers
``duplicate: true`` and stores nothing twice (issue 7: "later sends the backlog in order, without
duplicates"). Batches leave the queue strictly oldest first. A batch the server refuses as
malformed (400) moves to the ``rejected`` table so that it can never block the queue.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from livret.agent.collect import Sample

FILE_NAME = "buffer.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of collection, never reused
    batch_id TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    first_time TEXT NOT NULL,
    last_time TEXT NOT NULL,
    samples TEXT NOT NULL,                  -- JSON list of the contract's sample objects
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY,
    batch_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    first_time TEXT NOT NULL,
    last_time TEXT NOT NULL,
    samples TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/livret-agent`` (``~/.local/state``), ``%LOCALAPPDATA%`` on Windows."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "livret-agent"
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "livret-agent"


@dataclass(frozen=True)
class Batch:
    """A batch waiting in the queue."""

    seq: int
    batch_id: str
    created_at: str
    first_time: str
    last_time: str
    samples: list[dict[str, Any]]
    attempts: int


class Buffer:
    """The queue in ``state_dir/buffer.sqlite3`` (created with its directory when missing)."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = state_dir / FILE_NAME
        # Autocommit mode: every write below is its own explicit transaction.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync at each commit: durable on return
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def add(self, samples: Sequence[Sample], meta: dict[str, str] | None = None) -> str:
        """Write a new batch (and meta values) durably; return its new batch_id."""
        if not samples:
            raise ValueError("a batch holds at least one sample")
        batch_id = str(uuid.uuid4())
        times = sorted(s.time for s in samples)
        with self._transaction():
            self._db.execute(
                "INSERT INTO batches (batch_id, created_at, first_time, last_time, samples)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    batch_id,
                    _now(),
                    times[0].isoformat(),
                    times[-1].isoformat(),
                    json.dumps([s.to_json() for s in samples], allow_nan=False),
                ),
            )
            for key, value in (meta or {}).items():
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        return batch_id

    def oldest(self) -> Batch | None:
        """The batch to send next: the oldest one still waiting."""
        row = self._db.execute(
            "SELECT seq, batch_id, created_at, first_time, last_time, samples, attempts"
            " FROM batches ORDER BY seq LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return Batch(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])

    def pending(self) -> int:
        """How many batches wait to be sent."""
        return int(self._db.execute("SELECT count(*) FROM batches").fetchone()[0])

    def acknowledge(self, batch: Batch) -> None:
        """The server answered 200 (stored or duplicate): forget the batch."""
        with self._transaction():
            self._db.execute("DELETE FROM batches WHERE seq = ?", (batch.seq,))

    def record_failure(self, batch: Batch, error: str) -> None:
        """Count a failed attempt (the server unreachable or unavailable); the batch stays."""
        with self._transaction():
            self._db.execute(
                "UPDATE batches SET attempts = attempts + 1, last_error = ? WHERE seq = ?",
                (error, batch.seq),
            )

    def reject(self, batch: Batch, status: int, message: str) -> None:
        """The server refused the batch as malformed: move it aside so the queue moves on."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO rejected (seq, batch_id, created_at, first_time,"
                " last_time, samples, rejected_at, status, message)"
                " SELECT seq, batch_id, created_at, first_time, last_time, samples, ?, ?, ?"
                " FROM batches WHERE seq = ?",
                (_now(), status, message, batch.seq),
            )
            self._db.execute("DELETE FROM batches WHERE seq = ?", (batch.seq,))

    def rejected(self) -> list[tuple[str, int, str]]:
        """(batch_id, HTTP status, server's message) of the refused batches, oldest first."""
        rows = self._db.execute("SELECT batch_id, status, message FROM rejected ORDER BY seq")
        return [(row[0], row[1], row[2]) for row in rows]

    def meta(self, key: str) -> str | None:
        """A value the agent keeps between runs (e.g. the time of the last heartbeat)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK when the block raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _now() -> str:
    return datetime.now(UTC).isoformat()
