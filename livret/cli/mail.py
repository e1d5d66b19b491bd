"""``livret mail``: the mail gate an MTA pipes messages to, and the outbox sender.

Exit codes of ``livret mail ingest`` follow sysexits(3), which MTAs read: 0 the message was
handled (a new request, a reply, a refusal sent to an unknown sender, an ignored automatic
reply), 75 (EX_TEMPFAIL) the database could not be reached — the MTA keeps the message and
delivers it again later —, 2 the input is not a mail message with a sender (the MTA bounces
it). See docs/mail.md.
"""

from __future__ import annotations

import argparse
import logging
import sys

from livret.cli.common import CommandError, setup_django

EX_OK = 0
EX_UNPARSABLE = 2
EX_TEMPFAIL = 75


def _try_again_later(what: str, detail: str) -> CommandError:
    """Exit 75 (EX_TEMPFAIL): the MTA keeps the message and delivers it again later."""
    return CommandError(detail, EX_TEMPFAIL, prefix=f"livret: {what}, try again later: ")


def cmd_mail_ingest(args: argparse.Namespace) -> int:
    """``livret mail ingest``: file, thread or refuse the message on stdin (REQ-1, REQ-2)."""
    raw = sys.stdin.buffer.read()
    if not raw.strip():
        raise CommandError("empty message on stdin", EX_UNPARSABLE)
    setup_django()
    from django.db import DatabaseError

    from livret.support.mailgate import ingest

    try:
        result = ingest(raw)
    except DatabaseError as error:
        raise _try_again_later("database unavailable", str(error)) from None
    except Exception as error:
        # A bug, not the message's fault: keep the message in the MTA's queue (it is retried
        # for days) rather than bounce it; the traceback goes to the log.
        logging.getLogger("livret.mailgate").exception("mail ingest failed")
        raise _try_again_later("internal error", repr(error)) from None
    if result.outcome == "unparsable":
        raise CommandError(f"unparsable message: {result.reason}", EX_UNPARSABLE)
    print(result.summary())
    return EX_OK


def cmd_mail_send_pending(args: argparse.Namespace) -> int:
    """``livret mail send-pending``: send the mails waiting in the outbox, once."""
    setup_django()
    from django.db import DatabaseError
    from django.utils import timezone

    from livret.mail.outbox import send_pending

    try:
        sent = send_pending(timezone.now(), limit=args.limit)
    except DatabaseError as error:
        raise _try_again_later("database unavailable", str(error)) from None
    print(f"sent {sent} mail(s)")
    return EX_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``livret mail ingest`` and ``livret mail send-pending``."""
    mail = subparsers.add_parser("mail", help="the mail gate (incoming) and the outbox (outgoing)")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")

    p = mail_sub.add_parser(
        "ingest",
        help="read one RFC 5322 message on stdin (as an MTA pipes it): file, thread or refuse",
    )
    p.set_defaults(handler=cmd_mail_ingest)

    p = mail_sub.add_parser("send-pending", help="send the mails waiting in the outbox, once")
    p.add_argument("--limit", type=int, default=50, help="at most this many mails (default 50)")
    p.set_defaults(handler=cmd_mail_send_pending)
