"""``livret serve``, ``worker``, ``demo`` and ``manage``: running the platform.

See docs/operator-guide.md. ``manage`` passes its arguments to Django's management commands.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable

from livret.cli.common import OFFERS_TABLE, require_database, setup_django


def _at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer from ``minimum`` (to ``maximum``), else a usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"{minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value

    return parse


def cmd_serve(args: argparse.Namespace) -> int:
    """``livret serve``: the web server, with a background worker if asked.

    ``--host``/``--port`` are passed on as LIVRET_HOST/LIVRET_PORT before the settings are read,
    to this process and to the worker: LIVRET_SITE_URL, when unset, is derived from them."""
    if args.host:
        os.environ["LIVRET_HOST"] = args.host
    if args.port:
        os.environ["LIVRET_PORT"] = str(args.port)
    setup_django()
    from django.conf import settings

    from livret.server import serve

    host = args.host or settings.WEB_HOST
    port = args.port or settings.WEB_PORT
    workers = args.workers or settings.WEB_WORKERS
    threads = args.threads or settings.WEB_THREADS
    _follow_site_url()
    # gunicorn forks its workers from this process: a database connection opened here would be
    # shared by all of them (on PostgreSQL, answers interleaved on one socket: 500s at start).
    from django.db import connections

    connections.close_all()
    worker: list[subprocess.Popen[bytes]] = []

    def start_worker() -> None:
        # Once the server listens: the worker's first probes of the demo find it up.
        worker.append(subprocess.Popen([sys.executable, "-m", "livret", "worker"]))

    try:
        serve(
            host,
            port,
            workers=workers,
            threads=threads,
            when_ready=start_worker if args.with_worker else None,
        )
    finally:
        for process in worker:
            process.terminate()
            process.wait(timeout=30)
    return 0


def _follow_site_url() -> None:
    """The demo's probes look at the address served now (``livret.status.demo``); nothing to
    do on a database without the demo, or not migrated yet."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.db import DatabaseError

    from livret.status.demo import follow_site_url

    try:
        moved = follow_site_url()
    except (DatabaseError, ObjectDoesNotExist):
        return
    if moved:
        print(f"livret: the demo's probes now watch {_site_url()}", flush=True)


def _site_url() -> str:
    from django.conf import settings

    return str(settings.SITE_URL)


def cmd_worker(args: argparse.Namespace) -> int:
    """``livret worker``: the background jobs, forever or once."""
    require_database(OFFERS_TABLE)
    from livret.ops.worker import Worker

    worker = Worker()
    if args.once:
        worker.run_due()
        return 0
    worker.run_forever()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``livret demo``: migrate, import the presets, create the demo clients."""
    setup_django()
    from livret.demo import load_demo

    for line in load_demo():
        print(line)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    """``livret manage``: Django's management commands."""
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["livret manage", *args.rest])
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``serve``, ``worker``, ``demo`` and ``manage``."""
    p = subparsers.add_parser("serve", help="run the web server (pages, API, admin)")
    # Defaults: LIVRET_HOST, LIVRET_PORT, LIVRET_WEB_WORKERS, LIVRET_WEB_THREADS (settings).
    p.add_argument("--host", help="default: LIVRET_HOST, else 127.0.0.1")
    p.add_argument("--port", type=_at_least(1, 65535), help="default: LIVRET_PORT, else 8000")
    p.add_argument("--workers", type=_at_least(1), help="default: LIVRET_WEB_WORKERS, else 2")
    p.add_argument("--threads", type=_at_least(1), help="default: LIVRET_WEB_THREADS, else 1")
    p.add_argument("--with-worker", action="store_true", help="also start one background worker")
    p.set_defaults(handler=cmd_serve)

    p = subparsers.add_parser("worker", help="run the background worker (deadlines, probes, jobs)")
    p.add_argument("--once", action="store_true", help="run every job once and exit")
    p.set_defaults(handler=cmd_worker)

    p = subparsers.add_parser("demo", help="migrate, import the presets, create the demo clients")
    p.set_defaults(handler=cmd_demo)

    p = subparsers.add_parser("manage", help="Django's manage.py commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_manage)
