"""The production web server: gunicorn, run in-process by ``livret serve``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from livret.wsgi import application

        return application


def serve(
    host: str,
    port: int,
    *,
    workers: int = 2,
    threads: int = 4,
    when_ready: Callable[[], None] | None = None,
) -> None:
    """Serve the WSGI app on host:port until SIGTERM/SIGINT; print where it listens.
    ``when_ready`` runs once the address is bound (gunicorn's hook of that name)."""
    print(
        f"livret: serving on http://{host}:{port}/ (workers={workers}, threads={threads})",
        flush=True,
    )
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "accesslog": "-",
            "graceful_timeout": 10,
            "timeout": 60,
            **({"when_ready": lambda _arbiter: when_ready()} if when_ready else {}),
        }
    ).run()
