"""Background jobs of this app, registered in the worker (livret.ops.worker.JOBS)."""

from __future__ import annotations


def register_jobs() -> None:
    """Add this app's jobs to the worker once."""
