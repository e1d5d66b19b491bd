"""Probes: HTTP(S) and TCP checks of the services, run by the worker (AVL-4).

How a round works
-----------------
* **Due.** One query on the partial index ``probe_due`` (``enabled AND next_run_at <= now``)
  lists the probes to run.
* **Claim.** They are claimed with a compare-and-swap ``UPDATE`` that only takes rows still due
  and unclaimed; it moves ``next_run_at`` one interval on and sets ``claimed_until`` to the end
  of the check's time budget (one statement per interval, read back to see which rows were
  won: :func:`claim_many`). Two workers never run one probe twice; a worker killed mid-check
  leaves the claim to expire, and the probe runs again at its next turn.
* **Check.** The checks run in a thread pool, concurrently, with no database access: each
  attempt has its own socket timeout, failed attempts are retried after a short pause, and a
  check that overruns its whole budget (a server that trickles bytes) is recorded as down by
  the runner without waiting for its thread. So a hung host delays nothing but itself.
* **Record.** Results are stored as they arrive, in the worker's thread, by
  :func:`livret.status.services.record_probe_result` (the results of one tick in one
  transaction, a savepoint each; one that fails is logged and the others are recorded,
  :func:`livret.ops.scan.scan`): a :class:`ProbeStateChange` only on a change of state, a
  draft incident when a service goes down, its end when it comes back.

The worker job (:class:`ProbeRunner.tick`) never waits for a check: it collects what finished,
then claims and submits what is due. :func:`run_due_probes` runs one complete round and waits
for it (tests, benchmarks, one-off runs).
"""

from __future__ import annotations

import http.client
import logging
import secrets
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from livret.ops.scan import scan
from livret.status.models import Probe, ProbeKind
from livret.status.services import record_probe_result

log = logging.getLogger("livret.status.probes")

RETRY_PAUSE = 0.2  # seconds between two attempts of one check
CLAIM_MARGIN = 5.0  # seconds added to a check's budget before its claim expires
OVERRUN_GRACE = 1.0  # seconds past its budget before a running check is recorded as down
MAX_THREADS = 64  # checks wait on the network, not the CPU: hung hosts must not fill the pool
USER_AGENT = "livret-probe/1"


class CheckFailed(Exception):
    """One attempt failed; the message (French) is what the state change records."""


@dataclass(frozen=True)
class CheckSpec:
    """What a thread needs to check one probe (no model instance crosses threads)."""

    probe_id: int
    kind: str
    target: str
    timeout: float
    retries: int
    interval: int = 60

    @property
    def budget(self) -> float:
        """The longest a whole check may take: every attempt timing out, plus the pauses."""
        return self.timeout * (self.retries + 1) + RETRY_PAUSE * self.retries


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check (all attempts)."""

    probe_id: int
    up: bool
    at: datetime  # when the check started
    latency_ms: float | None
    error: str
    attempts: int


# --------------------------------------------------------------------------- the checks


def check_tcp(target: str, timeout: float) -> None:
    """Up if a TCP connection to ``host:port`` opens within ``timeout``."""
    host, _, port = target.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except TimeoutError:
        raise CheckFailed(f"pas de connexion en {timeout:g} s") from None
    except OSError as error:
        raise CheckFailed(f"connexion impossible : {error.strerror or error}") from None


def check_http(target: str, timeout: float) -> None:
    """Up if the URL answers with a status below 400 within ``timeout`` (redirects are not
    followed: a 3xx answer is an answer)."""
    parts = urlsplit(target)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": USER_AGENT, "Connection": "close"})
        response = connection.getresponse()
        response.read(65536)
    except TimeoutError:
        raise CheckFailed(f"pas de réponse en {timeout:g} s") from None
    except ssl.SSLError as error:
        raise CheckFailed(f"erreur TLS : {error.reason or error}") from None
    except (OSError, http.client.HTTPException) as error:
        text = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise CheckFailed(f"échec HTTP : {text}") from None
    finally:
        connection.close()
    if response.status >= 400:
        raise CheckFailed(f"réponse HTTP {response.status} {response.reason}")


def run_check(spec: CheckSpec, started_at: dict[int, float] | None = None) -> CheckResult:
    """Check once, retrying ``retries`` times after a short pause (thread-safe, no database).

    ``started_at`` receives the probe's monotonic start, for the runner's overrun watch.
    """
    if started_at is not None:
        started_at[spec.probe_id] = time.monotonic()
    started = timezone.now()
    check = check_http if spec.kind == ProbeKind.HTTP else check_tcp
    error = ""
    for attempt in range(1, spec.retries + 2):
        begin = time.monotonic()
        try:
            check(spec.target, spec.timeout)
        except CheckFailed as failure:
            error = str(failure)
        except Exception as failure:  # a bad target must not kill the round
            error = f"erreur : {failure}"
        else:
            latency = (time.monotonic() - begin) * 1000
            return CheckResult(spec.probe_id, True, started, latency, "", attempt)
        if attempt <= spec.retries:
            time.sleep(RETRY_PAUSE)
    return CheckResult(spec.probe_id, False, started, None, error, spec.retries + 1)


# --------------------------------------------------------------------------- due and claim


def due_probes(now: datetime, limit: int = 500) -> list[CheckSpec]:
    """The enabled probes due at ``now``, earliest first (one query on ``probe_due``)."""
    rows = (
        Probe.objects.filter(enabled=True, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", "kind", "target", "timeout_seconds", "retries", "interval_seconds")[
            :limit
        ]
    )
    return [CheckSpec(*row) for row in rows]


def claim_many(specs: Iterable[CheckSpec], now: datetime) -> list[CheckSpec]:
    """Compare-and-swap in bulk: take the probes still due and unclaimed, and say which.

    One ``UPDATE`` per (interval, budget) group moves ``next_run_at`` one interval on and sets
    ``claimed_until`` to a value unique to this call (the claim's end plus random
    microseconds); reading back the rows that hold it tells which ones this caller won. A row
    already claimed by another worker does not match the ``UPDATE`` and is not ours.
    """
    groups: dict[tuple[int, float], list[CheckSpec]] = defaultdict(list)
    for spec in specs:
        groups[(spec.interval, spec.budget)].append(spec)
    claimed: list[CheckSpec] = []
    for (interval, budget), members in groups.items():
        ids = [spec.probe_id for spec in members]
        token = now + timedelta(
            seconds=budget + CLAIM_MARGIN, microseconds=1 + secrets.randbelow(999_999)
        )
        Probe.objects.filter(pk__in=ids, enabled=True, next_run_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
        ).update(next_run_at=now + timedelta(seconds=interval), claimed_until=token)
        won = set(
            Probe.objects.filter(pk__in=ids, claimed_until=token).values_list("pk", flat=True)
        )
        claimed.extend(spec for spec in members if spec.probe_id in won)
    return claimed


def claim(spec: CheckSpec, now: datetime) -> bool:
    """Take one probe if it is still due and nobody holds it (see :func:`claim_many`)."""
    return bool(claim_many([spec], now))


def record(result: CheckResult) -> int:
    """Store a result; 1 when stored, 0 when its probe was deleted while it was checked."""
    try:
        record_probe_result(
            result.probe_id,
            result.up,
            result.at,
            latency_ms=result.latency_ms,
            error=result.error,
        )
    except Probe.DoesNotExist:
        return 0
    return 1


def _overrun(spec: CheckSpec, started: datetime) -> CheckResult:
    return CheckResult(
        spec.probe_id,
        False,
        started,
        None,
        f"aucune réponse complète en {spec.budget:g} s",
        spec.retries + 1,
    )


# --------------------------------------------------------------------------- runners


class ProbeRunner:
    """Submits due checks to a thread pool and records each one as it ends.

    :meth:`tick` (the worker job) returns at once; a check still running stays in flight until
    it finishes, or is recorded as down once it overruns its budget counted from the moment it
    really started (a check may wait in the pool's queue behind hung ones first).
    """

    def __init__(self, threads: int = MAX_THREADS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="probe")
        self.in_flight: dict[Future[CheckResult], tuple[CheckSpec, datetime]] = {}
        self.started: dict[int, float] = {}  # probe id -> monotonic start, set by the thread

    def tick(self, now: datetime) -> int:
        """Record what ended, then claim and start what is due; return how many results
        were recorded."""
        recorded = len(self.collect())
        self.submit_due(now)
        return recorded

    def submit_due(self, now: datetime) -> int:
        """Claim the due probes not already in flight and start their checks."""
        running = {spec.probe_id for spec, _ in self.in_flight.values()}
        with transaction.atomic():
            due = [spec for spec in due_probes(now) if spec.probe_id not in running]
            claimed = claim_many(due, now)
        for spec in claimed:
            self.in_flight[self.pool.submit(run_check, spec, self.started)] = (spec, now)
        return len(claimed)

    def collect(self) -> list[CheckResult]:
        """Record the checks that ended, and those past their budget as down (one commit for
        the batch; each result has its own savepoint, so a bad one spoils nothing else)."""
        ready = []
        clock = time.monotonic()
        for future, (spec, claimed_at) in list(self.in_flight.items()):
            if future.done():
                result = future.result()
            else:
                began = self.started.get(spec.probe_id)
                if began is None or clock <= began + spec.budget + OVERRUN_GRACE:
                    continue
                result = _overrun(spec, claimed_at)  # its thread ends on its own, ignored
            del self.in_flight[future]
            ready.append(result)
        if ready:
            with transaction.atomic():  # a bad result is logged; its probe runs at its next turn
                scan(ready, record, None, log=log, failure="probe result %s could not be recorded")
        return ready

    def wait(self, timeout: float) -> None:
        """Block until a check in flight ends, or ``timeout`` seconds."""
        if self.in_flight:
            wait(list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED)

    def close(self) -> None:
        """Stop the pool without waiting for running checks."""
        self.pool.shutdown(wait=False, cancel_futures=True)


def run_due_probes(now: datetime | None = None, threads: int = MAX_THREADS) -> list[CheckResult]:
    """One complete round: claim every due probe, check them concurrently, record each result
    as it arrives, and return once all are recorded (tests, benchmarks, one-off runs)."""
    runner = ProbeRunner(threads)
    results: list[CheckResult] = []
    try:
        runner.submit_due(now or timezone.now())
        while runner.in_flight:
            runner.wait(0.05)
            results.extend(runner.collect())
    finally:
        runner.close()
    return results
