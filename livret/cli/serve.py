"""``livret serve``, ``worker``, ``demo`` and ``manage``: running the platform.

See docs/operator-guide.md. ``manage`` passes its arguments to Django's management commands.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from livret.cli.common import OFFERS_TABLE, require_database, setup_django


def cmd_serve(args: argparse.Namespace) -> int:
    """``livret serve``: the web server, with a background worker if asked."""
    setup_django()
    from livret.server import serve

    worker = None
    if args.with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "livret", "worker"])
    try:
        serve(args.host, args.port, workers=args.workers, threads=args.threads)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    return 0


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
    p.add_argument("--host", default=os.environ.get("LIVRET_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("LIVRET_PORT", "8000")))
    p.add_argument("--workers", type=int, default=int(os.environ.get("LIVRET_WEB_WORKERS", "2")))
    # One thread per process: measured faster than threads on 2 cores (docs/performance.md).
    p.add_argument("--threads", type=int, default=int(os.environ.get("LIVRET_WEB_THREADS", "1")))
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
