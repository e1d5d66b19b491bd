"""The agent's loop: collect, queue on disk, send the queue oldest first (issue 7, MON-1, MON-2).

Every ``interval`` seconds (60 by default, MON-2 "counters collected every minute") the counters
are read and written to the buffer as one batch; when ``heartbeat_every`` seconds (an hour) have
passed since the last heartbeat, the batch also carries a ``heartbeat`` sample of value 1 (MON-2
"heartbeat every hour"). The time of the last heartbeat is kept in the buffer, so restarts and
``--once`` runs from a scheduler keep the hourly rhythm. Between collections the queue is sent;
when the server is unavailable the agent keeps collecting and retries with exponential backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from livret.agent.buffer import Buffer
from livret.agent.client import Backoff, Client
from livret.agent.collect import Collector, Sample

log = logging.getLogger("livret.agent")

EXIT_OK = 0
EXIT_TEMPFAIL = 75  # --once: the server could not take the batch; it stays on disk (sysexits)
EXIT_TOKEN = 77  # the server refused the token (sysexits EX_NOPERM): restarting will not help

BACKOFF_FIRST_MAX_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 300.0


@dataclass(frozen=True)
class AgentConfig:
    """What ``livret agent`` was asked to do."""

    url: str
    token: str
    state_dir: Path
    interval: float = 60.0
    heartbeat_every: float = 3600.0
    services: tuple[str, ...] = field(default_factory=tuple)
    once: bool = False


class Agent:
    """Collects into the buffer and empties the buffer towards the server."""

    def __init__(self, config: AgentConfig, stop: threading.Event) -> None:
        self.config = config
        self.stop = stop
        self.buffer = Buffer(config.state_dir)
        self.client = Client(config.url, config.token)
        self.collector = Collector(config.services)
        # First retry after one interval (at most 10 s); never wait more than ten intervals
        # nor five minutes, so a backlog starts to drain soon after the server is back.
        self.backoff = Backoff(
            first=min(config.interval, BACKOFF_FIRST_MAX_SECONDS),
            cap=min(BACKOFF_CAP_SECONDS, 10 * config.interval),
        )
        self._retry_at = 0.0
        self._clock_flagged = False

    def run(self) -> int:
        """Loop until ``stop`` is set (or one cycle with ``once``); the exit code.

        Raises TokenRejected when the server answers 401.
        """
        log.info(
            "sending to %s every %g s; buffer %s (%d batch(es) waiting)",
            self.client.endpoint,
            self.config.interval,
            self.buffer.path,
            self.buffer.pending(),
        )
        try:
            return self._loop()
        finally:
            log.info("stopped; %d batch(es) kept in %s", self.buffer.pending(), self.buffer.path)
            self.buffer.close()

    def _loop(self) -> int:
        interval = self.config.interval
        next_cycle = time.monotonic()
        while not self.stop.is_set():
            if time.monotonic() >= next_cycle:
                self.cycle()
                next_cycle += interval
                if next_cycle <= time.monotonic():  # late (suspend, slow disk): skip, no burst
                    next_cycle = time.monotonic() + interval
            self.flush(deadline=None if self.config.once else next_cycle)
            if self.config.once:
                return EXIT_OK if self.buffer.pending() == 0 else EXIT_TEMPFAIL
            wake = next_cycle
            if self.buffer.pending():
                wake = min(wake, max(self._retry_at, time.monotonic()))
            # At most a second at a time: on Windows a wait is not interrupted by Ctrl+C.
            self.stop.wait(min(1.0, max(0.0, wake - time.monotonic())))
        return EXIT_OK

    def cycle(self) -> str:
        """Read the counters and write them to the buffer as one batch; its batch_id."""
        samples = self.collector.collect()
        now = samples[0].time if samples else datetime.now(UTC)
        meta = {}
        if self._heartbeat_due(now):
            samples.append(Sample(now, "heartbeat", 1.0))  # MON-2: heartbeat every hour
            meta["last_heartbeat"] = now.isoformat()
        return self.buffer.add(samples, meta)

    def _heartbeat_due(self, now: datetime) -> bool:
        last = self.buffer.meta("last_heartbeat")
        if last is None:
            return True
        try:
            elapsed = (now - datetime.fromisoformat(last)).total_seconds()
        except (ValueError, TypeError):
            return True
        # Half an interval of tolerance: collections drift by milliseconds, and a heartbeat
        # pushed to the next collection would be one interval late every hour.
        due = self.config.heartbeat_every - self.config.interval / 2
        return elapsed >= due or elapsed < 0  # < 0: the clock went back

    def flush(self, deadline: float | None) -> None:
        """Send waiting batches oldest first, until the queue is empty, the server is
        unavailable, ``deadline`` (monotonic) is reached or the agent is stopped."""
        while not self.stop.is_set():
            now = time.monotonic()
            if now < self._retry_at or (deadline is not None and now >= deadline):
                return
            batch = self.buffer.oldest()
            if batch is None:
                return
            answer = self.client.send_samples(batch.batch_id, batch.samples, datetime.now(UTC))
            if answer.outcome == "accepted":
                self.buffer.acknowledge(batch)
                if self.backoff.failures:
                    log.info("server reachable again; %d batch(es) to send", self.buffer.pending())
                self.backoff.success()
                self._note_clock(answer.clock_flagged, answer.clock_skew_seconds)
            elif answer.outcome == "rejected":
                self.buffer.reject(batch, answer.status, answer.message)
                log.warning(
                    "batch %s refused by the server (HTTP %d): %s — moved to the rejected table",
                    batch.batch_id,
                    answer.status,
                    answer.message,
                )
            else:
                self.buffer.record_failure(batch, answer.message)
                if self.config.once:
                    log.warning("%s; the batch stays on disk", answer.message)
                    return
                delay = self.backoff.failure()
                self._retry_at = time.monotonic() + delay
                log.warning(
                    "%s; %d batch(es) kept on disk, next try in %.1f s",
                    answer.message,
                    self.buffer.pending(),
                    delay,
                )
                return

    def _note_clock(self, flagged: bool, skew: float) -> None:
        if flagged and not self._clock_flagged:
            log.warning(
                "the server finds this machine's clock %.0f s off: fix its time synchronisation",
                skew,
            )
        self._clock_flagged = flagged
