"""Send the mail outbox (SPEC REQ-1: acknowledgement of receipt; state changes and replies).

Service functions queue :class:`~livret.mail.models.OutgoingMail` rows in the transaction of
the change (:func:`livret.mail.services.queue_mail`); :func:`send_pending` (a worker job, or
``livret mail send-pending``) sends them through Django's SMTP backend. Delivery is *at least
once*:

- a row is claimed with a compare-and-swap update (``pending`` → ``sending``), so two workers
  never send the same row at the same time;
- a claim is a lease: while its mail is being sent, the live sender renews it (``claimed_at``
  moves forward every :data:`RENEW_EVERY`, :class:`_Lease`), so a slow SMTP server never lets
  a second worker take the row;
- the row is marked ``sent`` right after the SMTP server accepted it. A worker killed between
  those two instants leaves the row in ``sending``; once its lease is older than :data:`LEASE`
  another worker reclaims it and sends it again (the only window where a duplicate can happen;
  the ``Message-ID`` is stable across attempts, so mail programs can spot the copy);
- an SMTP failure puts the row back to ``pending`` with its error and a growing delay
  (:data:`RETRY_DELAYS`); after :data:`MAX_ATTEMPTS` attempts it is ``failed`` and logged.

No database transaction is open while the SMTP server is spoken to: each claim and each
status change is its own autocommitted statement.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
import time
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, connection
from django.db.models import F, Q

from livret.mail.models import OutgoingMail

log = logging.getLogger("livret.mail")

Status = OutgoingMail.Status

MAX_ATTEMPTS = 8
# Wait after the n-th failed attempt (1 min, 5 min, 15 min, then hourly).
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 60, 60, 60)]
# A row whose claim is older than this belongs to a worker that died mid-send: another worker
# reclaims it, so a crash delays a mail (an alert) by at most this plus one worker turn.
LEASE = timedelta(seconds=90)
# How often a live sender renews the claim of the row it is sending (well inside LEASE).
RENEW_EVERY = timedelta(seconds=20)
SMTP_TIMEOUT = 30
# The mail that opens a thread: its Message-ID is the one every later mail of the thread
# refers to (a request's acknowledgement of receipt, SPEC REQ-1).
THREAD_ROOT_REASON = "acknowledgement"
# Mails that answer a message (RFC 3834 "auto-replied"; the others are "auto-generated").
AUTO_REPLY_REASONS = frozenset({"refusal"})


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its ``attempts``-th failed attempt."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def gate_address() -> str:
    """Where clients' replies go (``LIVRET_MAIL_GATE_ADDRESS``; empty: no Reply-To)."""
    return str(settings.MAIL_GATE_ADDRESS)


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "livret.invalid"


def thread_root_id(thread: str) -> str:
    """The Message-ID every mail of a thread refers to (the acknowledgement's own id)."""
    return f"<{thread}@{_mail_domain()}>"


def _headers(mail: OutgoingMail) -> dict[str, str]:
    domain = _mail_domain()
    # RFC 3834: machines (out-of-office replies, the mail gate) must not answer automatically.
    auto = "auto-replied" if mail.reason in AUTO_REPLY_REASONS else "auto-generated"
    headers = {"Auto-Submitted": auto}
    if mail.thread:
        root = thread_root_id(mail.thread)
        headers["X-Livret-Request"] = mail.thread
        if mail.reason == THREAD_ROOT_REASON:
            headers["Message-ID"] = root
        else:
            # Stable across retries: a duplicate send carries the same id.
            headers["Message-ID"] = f"<{mail.thread}.{mail.pk}@{domain}>"
            headers["In-Reply-To"] = root
            headers["References"] = root
    else:
        headers["Message-ID"] = f"<livret.{mail.reason}.{mail.pk}@{domain}>"
    return headers


def build_message(mail: OutgoingMail, connection: BaseEmailBackend | None = None) -> EmailMessage:
    """The e-mail of an outbox row: French plain text, threaded by its ``thread``."""
    gate = gate_address()
    return EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(mail.to),
        reply_to=[gate] if gate else None,
        headers=_headers(mail),
        connection=connection,
    )


def _due(now: datetime) -> Q:
    """Pending rows never tried, or whose back-off has elapsed."""
    due = Q(attempts=0) | Q(claimed_at__isnull=True)
    for attempts in range(1, MAX_ATTEMPTS):
        due |= Q(attempts=attempts, claimed_at__lte=now - retry_delay(attempts))
    due |= Q(attempts__gte=MAX_ATTEMPTS, claimed_at__lte=now - retry_delay(MAX_ATTEMPTS))
    return Q(status=Status.PENDING) & due


def _candidates(now: datetime, limit: int) -> list[tuple[int, str, datetime | None, int]]:
    stuck = Q(status=Status.SENDING, claimed_at__lte=now - LEASE)
    rows = (
        OutgoingMail.objects.filter(_due(now) | stuck)
        .order_by("created_at", "pk")
        .values_list("pk", "status", "claimed_at", "attempts")[:limit]
    )
    return list(rows)


def _claim(pk: int, status: str, claimed_at: datetime | None, attempts: int, now: datetime) -> bool:
    """Compare-and-swap: only one worker wins a row."""
    rows = OutgoingMail.objects.filter(pk=pk, status=status, claimed_at=claimed_at)
    if status == Status.SENDING:
        if attempts >= MAX_ATTEMPTS:
            # Interrupted on its last attempt: give up rather than try a ninth time.
            if rows.update(status=Status.FAILED, last_error="envoi interrompu (worker arrêté)"):
                log.error("mail %s failed: interrupted on its last attempt", pk)
            return False
        log.warning("mail %s was left sending since %s: reclaimed", pk, claimed_at)
    return bool(rows.update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1))


class _Lease:
    """Keeps a claimed row ours while its mail is sent: a thread moves ``claimed_at`` forward
    every :data:`RENEW_EVERY` (compare-and-swap on the last value), until :meth:`release`.

    ``claimed_at`` follows the clock the run was given (``now`` plus the time elapsed), so
    the value stays comparable with the other workers' ``now``.
    """

    def __init__(self, pk: int, claimed_at: datetime) -> None:
        self.pk = pk
        self.claimed_at = claimed_at
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"mail-lease-{pk}", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        try:
            while not self._stop.wait(RENEW_EVERY.total_seconds()):
                with self._lock:
                    if self._stop.is_set():
                        return
                    renewed = self.claimed_at + timedelta(seconds=time.monotonic() - self._started)
                    self._started = time.monotonic()
                    rows = OutgoingMail.objects.filter(
                        pk=self.pk, status=Status.SENDING, claimed_at=self.claimed_at
                    )
                    if not rows.update(claimed_at=renewed):
                        log.warning("mail %s: lease lost while sending", self.pk)
                        return
                    self.claimed_at = renewed
        except DatabaseError:
            log.exception("mail %s: lease not renewed", self.pk)
        finally:
            connection.close()  # this thread's own connection

    def release(self) -> datetime:
        """Stop renewing; return the last ``claimed_at`` written (the row's current claim)."""
        with self._lock:
            self._stop.set()
        self._thread.join()
        return self.claimed_at


def _permanent(error: Exception) -> bool:
    """Retrying will not help: every recipient refused with a 5xx code, or the row itself
    cannot become a message (a header with a line break, an invalid address)."""
    if isinstance(error, ValueError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        return all(code >= 500 for code, _ in error.recipients.values())
    return False


def _failed(mail: OutgoingMail, error: Exception, claimed_at: datetime) -> None:
    attempts = mail.attempts
    text = f"{type(error).__name__}: {error}"[:2000]
    give_up = attempts >= MAX_ATTEMPTS or _permanent(error)
    status = Status.FAILED if give_up else Status.PENDING
    OutgoingMail.objects.filter(pk=mail.pk, status=Status.SENDING, claimed_at=claimed_at).update(
        status=status, last_error=text
    )
    if not isinstance(error, smtplib.SMTPException | OSError):
        log.exception("mail %s could not be sent", mail.pk)
    if give_up:
        recipients = ", ".join(mail.to)
        log.error(
            "mail %s (%s to %s) failed after %s attempts: %s",
            mail.pk,
            mail.reason,
            recipients,
            attempts,
            text,
        )
    else:
        delay = retry_delay(attempts)
        log.warning("mail %s: attempt %s failed, retry in %s: %s", mail.pk, attempts, delay, text)


def send_pending(now: datetime, limit: int = 50) -> int:
    """Send up to ``limit`` due outbox rows over one SMTP connection; return how many were sent.

    An SMTP server that cannot be reached stops the run after the first row (which goes back
    to ``pending`` with the error); the rows not tried yet keep their attempt count.
    """
    sent = 0
    connection: BaseEmailBackend | None = None
    try:
        for pk, status, claimed_at, attempts in _candidates(now, limit):
            if not _claim(pk, status, claimed_at, attempts, now):
                continue
            mail = OutgoingMail.objects.get(pk=pk)
            lease = _Lease(pk, now)
            try:
                if connection is None:
                    timeout = settings.EMAIL_TIMEOUT or SMTP_TIMEOUT
                    connection = get_connection(fail_silently=False, timeout=timeout)
                    connection.open()
                build_message(mail, connection).send(fail_silently=False)
            except Exception as error:
                _failed(mail, error, lease.release())
                if connection is not None:
                    _close(connection)
                    connection = None
                transport = isinstance(error, smtplib.SMTPException | OSError)
                if transport and not isinstance(error, smtplib.SMTPRecipientsRefused):
                    break  # the server is unwell: leave the rest for the next turn
                continue
            marked = OutgoingMail.objects.filter(
                pk=pk, status=Status.SENDING, claimed_at=lease.release()
            ).update(status=Status.SENT, sent_at=now, last_error="")
            if not marked:
                log.warning("mail %s was reclaimed by another worker while being sent", pk)
            sent += 1
    finally:
        if connection is not None:
            _close(connection)
    return sent


def run_outbox(now: datetime) -> None:
    """The worker job ``mail`` (``livret.mail.jobs``)."""
    send_pending(now)


def _close(connection: BaseEmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):  # closing a dead socket
        connection.close()
