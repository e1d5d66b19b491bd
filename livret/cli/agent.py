"""``livret agent``: the monitoring agent of a client's server (docs/agent.md, issue 7).

``livret agent --url URL --token TOKEN`` (or ``--token-file FILE``) collects this server's
counters every ``--interval`` seconds (MON-2), adds an hourly heartbeat and sends them to the
livret site, keeping them on disk while the site cannot be reached. It never sets Django up: it
runs on servers that have only livret and psutil.

Exit codes: 0 stopped cleanly (SIGTERM, SIGINT, or ``--once`` with everything sent); 2 bad input
(one ``livret: error:`` line); 75 ``--once`` could not send (the batch stays on disk); 77 the
server refused the token (unknown or revoked).
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from livret.cli.common import CommandError

if TYPE_CHECKING:
    from livret.agent.main import AgentConfig


def _positive_seconds(text: str, flag: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{flag}: {text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise CommandError(f"{flag}: must be a positive number of seconds, got {text!r}")
    return value


def _read_token(args: argparse.Namespace) -> str:
    if args.token_file is None:
        token = str(args.token).strip()
        where = "--token"
    else:
        where = f"--token-file {args.token_file}"
        try:
            lines = Path(args.token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{where}: cannot read the token: {error}") from None
        token = lines[0].strip() if lines else ""
    if not token:
        raise CommandError(f"{where}: the token is empty")
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise CommandError(f"{where}: the token contains spaces or control characters")
    return token


def _services(text: str) -> tuple[str, ...]:
    names = [name.strip() for name in text.split(",")]
    bad = [name for name in names if name and not name.isprintable()]
    if bad:
        raise CommandError(f"--services: {bad[0]!r} is not a service name")
    return tuple(dict.fromkeys(name for name in names if name))


def _config(args: argparse.Namespace) -> AgentConfig:
    from livret.agent.buffer import default_state_dir
    from livret.agent.client import check_url
    from livret.agent.main import AgentConfig

    try:
        url = check_url(args.url)
    except ValueError as error:
        raise CommandError(f"--url: {error}") from None
    return AgentConfig(
        url=url,
        token=_read_token(args),
        state_dir=Path(args.state_dir) if args.state_dir else default_state_dir(),
        interval=_positive_seconds(args.interval, "--interval"),
        heartbeat_every=_positive_seconds(args.heartbeat_every, "--heartbeat-every"),
        services=_services(args.services),
        once=args.once,
    )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM, SIGINT (and SIGBREAK on Windows) ask the loop to stop after its current step."""
    names = ("SIGTERM", "SIGINT", "SIGBREAK")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _setup_logging() -> None:
    logger = logging.getLogger("livret.agent")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s livret agent %(levelname)s: %(message)s")
        )
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def cmd_agent(args: argparse.Namespace) -> int:
    """Run the agent until SIGTERM/SIGINT (or one cycle with ``--once``)."""
    import sqlite3
    from urllib.parse import urlsplit

    from livret.agent.client import TokenRejected
    from livret.agent.main import EXIT_TOKEN, Agent

    config = _config(args)
    _setup_logging()
    host = urlsplit(config.url).hostname or ""
    if config.url.startswith("http://") and host not in ("localhost", "127.0.0.1", "::1"):
        logging.getLogger("livret.agent").warning(
            "%s is not https: the token travels unencrypted", config.url
        )
    stop = threading.Event()
    try:
        agent = Agent(config, stop)
    except (OSError, sqlite3.Error) as error:
        raise CommandError(
            f"--state-dir {config.state_dir}: cannot open the buffer: {error}"
        ) from None
    with _stop_on_signals(stop):
        try:
            return agent.run()
        except TokenRejected as error:
            raise CommandError(
                f"the server refused the token (HTTP 401: {error}): it is "
                "unknown or revoked; create a new token for this server in livret and restart "
                "the agent (collected batches stay on disk)",
                EXIT_TOKEN,
            ) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``livret agent``."""
    p = subparsers.add_parser(
        "agent",
        help="monitoring agent: send this server's counters to livret (docs/agent.md)",
        description="Collect this server's counters every interval, with an hourly "
        "heartbeat, and send them to the livret site; batches wait on disk while the site "
        "cannot be reached.",
    )
    p.add_argument("--url", required=True, help="the livret site, e.g. https://livret.example")
    token = p.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="this server's monitoring token")
    token.add_argument(
        "--token-file", metavar="FILE", help="read the token from the first line of FILE"
    )
    p.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the buffer lives (default ~/.local/state/livret-agent, "
        "%%LOCALAPPDATA%%\\livret-agent on Windows)",
    )
    p.add_argument("--interval", default="60", metavar="S", help="seconds between collections")
    p.add_argument(
        "--heartbeat-every", default="3600", metavar="S", help="seconds between heartbeats"
    )
    p.add_argument(
        "--services", default="", metavar="NAME,NAME", help="services whose state is reported"
    )
    p.add_argument("--once", action="store_true", help="collect and send once, then exit")
    p.set_defaults(handler=cmd_agent)
