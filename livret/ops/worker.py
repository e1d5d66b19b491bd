"""The background worker: runs each app's jobs at their interval until told to stop.

Every app that has background work declares it in its ``jobs`` module as a module-level
``JOBS: list[Job]``; the worker collects those lists from the installed apps
(:func:`installed_jobs`). A failing job is logged and retried at its next turn; it never stops
the loop. SIGTERM and SIGINT end the loop after the job that is running, so no work is cut in
the middle.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from livret.ops.models import WorkerHeartbeat

log = logging.getLogger("livret.worker")


@dataclass(frozen=True)
class Job:
    """A function run every ``interval`` seconds."""

    name: str
    interval: float
    run: Callable[[datetime], None]


def installed_jobs() -> list[Job]:
    """The ``JOBS`` of every installed livret app that has a ``jobs`` module, in the order of
    ``INSTALLED_APPS``."""
    jobs: list[Job] = []
    for app in apps.get_app_configs():
        if app.name.startswith("livret.") and module_has_submodule(app.module, "jobs"):
            jobs.extend(import_module(f"{app.name}.jobs").JOBS)
    return jobs


def _beat(name: str, started: datetime) -> Callable[[datetime], None]:
    def run(now: datetime) -> None:
        updated = WorkerHeartbeat.objects.filter(name=name).update(
            last_seen=now, jobs_run=F("jobs_run") + 1
        )
        if not updated:
            WorkerHeartbeat.objects.update_or_create(
                name=name, defaults={"started_at": started, "last_seen": now}
            )

    return run


class Worker:
    """Runs the jobs (the installed apps' by default); ``stop()`` (or a signal) ends the loop
    between two jobs."""

    def __init__(self, jobs: list[Job] | None = None, tick: float = 1.0) -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started = timezone.now()
        chosen = installed_jobs() if jobs is None else jobs
        self.jobs = [Job("heartbeat", 30.0, _beat(self.name, self.started)), *chosen]
        self.next_run: dict[str, float] = {}  # job name -> monotonic instant of its next turn
        self.tick = tick
        self.running = True

    def stop(self, *_: object) -> None:
        """Ask the loop to end after the current job."""
        self.running = False

    def run_due(self) -> int:
        """Run every job whose time has come; return how many ran."""
        ran = 0
        for job in self.jobs:
            if not self.running:
                break
            if time.monotonic() < self.next_run.get(job.name, 0.0):
                continue
            if not connection.in_atomic_block:  # never inside a caller's transaction
                close_old_connections()
            try:
                job.run(timezone.now())
            except Exception:
                log.exception("job %s failed; it will run again at its next turn", job.name)
            self.next_run[job.name] = time.monotonic() + job.interval
            ran += 1
        return ran

    def run_forever(self) -> None:
        """Loop until SIGTERM/SIGINT."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker %s started with jobs: %s", self.name, ", ".join(j.name for j in self.jobs))
        while self.running:
            self.run_due()
            time.sleep(self.tick)
        log.info("worker %s stopped", self.name)
