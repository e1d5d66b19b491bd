"""Background jobs of this app (:data:`JOBS`, collected by the worker, ``livret.ops.worker``).

* ``mail`` (every 5 s): send the due outbox rows (:func:`livret.mail.outbox.run_outbox`).
"""

from __future__ import annotations

from livret.mail.outbox import run_outbox
from livret.ops.worker import Job

JOBS: list[Job] = [Job("mail", 5, run_outbox)]
