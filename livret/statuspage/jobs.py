"""Background jobs of this app (:data:`JOBS`, collected by the worker, ``livret.ops.worker``).

* ``status-notifications`` (every 5 s): fan the new status events out to the subscriptions,
  then send the due e-mails and webhooks (:mod:`livret.statuspage.notify`, MNT-3).
"""

from __future__ import annotations

from datetime import datetime

from livret.ops.worker import Job
from livret.statuspage.notify import deliver_due, fan_out


def run_notifications(now: datetime) -> None:
    """The ``status-notifications`` job."""
    fan_out(now)
    deliver_due(now)


JOBS: list[Job] = [Job("status-notifications", 5.0, run_notifications)]
