"""A local SMTP sink that prints each mail as a person reads it (``make run``'s mail catcher).

``python -m livret.mail.sink [--host 127.0.0.1] [--port 1025]`` accepts every message and
prints its sender, recipients, subject and text, decoded: RFC 2047 subjects ("=?utf-8?q?…"),
quoted-printable and base64 bodies come out as UTF-8 text, attachments by name. aiosmtpd's own
debugging server prints the raw encoded message instead. Development only: it keeps nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, TextIO

RULE = "─" * 72


def readable(raw: bytes, recipients: list[str]) -> str:
    """The message as text: From, To, Subject, then its plain-text body (else its HTML)."""
    message = BytesParser(policy=default_policy).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    lines = [
        f"From: {_header(message, 'From')}",
        f"To: {', '.join(recipients) or _header(message, 'To')}",
        f"Subject: {_header(message, 'Subject')}",
        "",
        _text(message).rstrip(),
    ]
    files = [part.get_filename() for part in message.iter_attachments() if part.get_filename()]
    if files:
        lines += ["", f"Pièces jointes : {', '.join(str(f) for f in files)}"]
    return "\n".join(lines)


def _header(message: EmailMessage, name: str) -> str:
    """A header decoded, on one line (a long one arrives folded)."""
    return " ".join(str(message.get(name, "")).split())


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "(pas de texte)"
    try:
        return str(body.get_content())
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset
        payload = body.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


class Printer:
    """aiosmtpd handler: accept every message and print it readably."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        text = readable(bytes(envelope.content), list(envelope.rcpt_tos))
        print(f"{RULE}\nmail {self.count}\n{text}\n{RULE}", file=self.out, flush=True)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    """Run the sink until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m livret.mail.sink", description="print the mails sent to it, decoded"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args(argv)
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        print("livret mail sink: aiosmtpd is missing (pip install -e '.[dev]')", file=sys.stderr)
        return 1
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")
    controller = Controller(Printer(sys.stdout), hostname=args.host, port=args.port)
    controller.start()
    print(f"livret mail sink: printing the mails sent to {args.host}:{args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
