"""Background jobs of this app (:data:`JOBS`, collected by the worker, ``livret.ops.worker``).

* ``probes`` (every second): :class:`livret.status.probes.ProbeRunner` — records the checks
  that ended and starts the due ones, without ever waiting for a host (AVL-4).
* ``maintenance-clock`` (every 30 s): scheduled maintenances start at their planned start and
  complete at their planned end (:func:`livret.status.services.advance_maintenances`).
"""

from __future__ import annotations

from datetime import datetime

from livret.ops.worker import Job
from livret.status.probes import ProbeRunner
from livret.status.services import advance_maintenances

_runners: list[ProbeRunner] = []  # one per worker process, made at its first tick


def run_probes(now: datetime) -> None:
    """The ``probes`` job: one non-blocking tick of the process's probe runner."""
    if not _runners:
        _runners.append(ProbeRunner())
    _runners[0].tick(now)


def run_maintenance_clock(now: datetime) -> None:
    """The ``maintenance-clock`` job."""
    advance_maintenances(now)


JOBS: list[Job] = [
    Job("probes", 1.0, run_probes),
    Job("maintenance-clock", 30.0, run_maintenance_clock),
]
