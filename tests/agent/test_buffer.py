"""The agent's on-disk queue (issue 7: "buffers on disk and later sends the backlog in order,
without duplicates"), on real SQLite files, including a process killed right after a write."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from livret.agent.buffer import FILE_NAME, Buffer, default_state_dir
from livret.agent.collect import Sample

T0 = datetime(2026, 11, 24, 8, 20, tzinfo=UTC)


def samples(minute: int) -> list[Sample]:
    at = T0 + timedelta(minutes=minute)
    return [Sample(at, "cpu_percent", 10.0 + minute), Sample(at, "disk_free_percent:/", 50.0)]


def test_it_hands_out_batches_oldest_first_and_keeps_them_until_acknowledged(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    ids = [buffer.add(samples(minute)) for minute in range(3)]
    assert len(set(ids)) == 3
    first = buffer.oldest()
    assert first is not None and first.batch_id == ids[0]
    assert buffer.oldest() == first  # reading does not remove
    assert first.samples[0] == {
        "time": "2026-11-24T08:20:00.000+00:00",
        "metric": "cpu_percent",
        "value": 10.0,
    }
    buffer.acknowledge(first)
    assert [buffer.oldest().batch_id, buffer.pending()] == [ids[1], 2]  # type: ignore[union-attr]


def test_it_never_gives_a_later_batch_an_earlier_place_after_the_queue_emptied(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    buffer.add(samples(0))
    old = buffer.oldest()
    assert old is not None
    buffer.acknowledge(old)
    buffer.add(samples(1))
    new = buffer.oldest()
    assert new is not None and new.seq > old.seq


def test_it_keeps_waiting_batches_and_their_ids_across_a_reopen(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    batch_id = buffer.add(samples(0), {"last_heartbeat": T0.isoformat()})
    buffer.close()
    again = Buffer(tmp_path)
    kept = again.oldest()
    assert kept is not None and kept.batch_id == batch_id
    assert kept.first_time == kept.last_time == T0.isoformat()
    assert again.meta("last_heartbeat") == T0.isoformat()


def test_it_keeps_a_batch_written_by_a_process_killed_right_after_the_write(tmp_path) -> None:
    code = (
        "import os, signal, sys\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from livret.agent.buffer import Buffer\n"
        "from livret.agent.collect import Sample\n"
        "buffer = Buffer(Path(sys.argv[1]))\n"
        "print(buffer.add([Sample(datetime.now(UTC), 'heartbeat', 1.0)]), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == -9, result.stderr
    kept = Buffer(tmp_path).oldest()
    assert kept is not None and kept.batch_id == result.stdout.strip()
    assert kept.samples[0]["metric"] == "heartbeat"


def test_it_moves_a_refused_batch_to_the_rejected_table_so_the_queue_moves_on(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    bad = buffer.add(samples(0))
    good = buffer.add(samples(1))
    batch = buffer.oldest()
    assert batch is not None
    buffer.reject(batch, 400, "samples.0.metric: unknown metric")
    assert buffer.rejected() == [(bad, 400, "samples.0.metric: unknown metric")]
    assert buffer.oldest().batch_id == good  # type: ignore[union-attr]
    with sqlite3.connect(tmp_path / FILE_NAME) as db:
        stored = db.execute("SELECT samples FROM rejected").fetchone()[0]
    assert json.loads(stored) == batch.samples  # kept for the operator to read


def test_it_counts_failed_attempts_without_dropping_the_batch(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    batch_id = buffer.add(samples(0))
    for _ in range(2):
        batch = buffer.oldest()
        assert batch is not None
        buffer.record_failure(batch, "connection refused")
    kept = buffer.oldest()
    assert kept is not None and (kept.batch_id, kept.attempts) == (batch_id, 2)


def test_it_refuses_an_empty_batch(tmp_path) -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        Buffer(tmp_path).add([])


def test_it_refuses_a_non_finite_value_rather_than_send_invalid_json(tmp_path) -> None:
    buffer = Buffer(tmp_path)
    with pytest.raises(ValueError):
        buffer.add([Sample(T0, "cpu_percent", float("nan"))])
    assert buffer.pending() == 0


def test_it_lives_under_the_xdg_state_directory_by_default(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_dir() == tmp_path / "livret-agent"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_state_dir() == Path.home() / ".local" / "state" / "livret-agent"
