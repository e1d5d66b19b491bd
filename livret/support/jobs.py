"""Worker jobs of the support app: the SLA alert scan and the audit checkpoint.

Breach scan (REQ-4, REQ-6; DESIGN "deadlines are stored")
---------------------------------------------------------
Every open request stores ``next_alert_at``, the instant its next 75 % warning or breach
alert is to be sent (deferred to the next opening outside the support hours, except for
criticity 1). :func:`scan_breaches` finds due requests with one query on the partial index
``request_next_alert`` and hands each one to :func:`livret.support.services.send_due_alerts`
in its own short transaction:

* **Claim.** Inside that transaction the row is claimed again with the scan's condition
  (``pk = … AND next_alert_at <= now``): ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
  a second worker skips a request the first one is handling; on SQLite the transaction is
  ``IMMEDIATE`` (settings), so writers take turns and the second one finds ``next_alert_at``
  already moved past ``now``. Any number of workers can run side by side.
* **Once.** ``send_due_alerts`` records the ``SlaAlert`` row (unique per request, clock and
  level), its audit event and its outbox mail in one transaction, then moves ``next_alert_at``
  on. A worker killed before the commit leaves nothing behind: the next scan sends the alert
  (never lost); after the commit it is recorded and never planned again (never twice).
* **One bad row never blocks the queue** (:func:`livret.ops.scan.scan`). A request that raises
  is logged and skipped; its ``next_alert_at`` is pushed :data:`RETRY_AFTER` later so that it
  cannot hold the head of the queue, and it is retried then.

Audit checkpoint (REQ-11)
-------------------------
Once a UTC day, :func:`checkpoint_audit` appends every audit chain's head to the checkpoint
file outside the database (:mod:`livret.support.checkpoints`); the job runs hourly and writes
only when that day has no checkpoint yet.

The bulk recompute of stored deadlines lives in :mod:`livret.support.recompute`.

New requests told to the staff
------------------------------
A filing leaves ``staff_told_at`` empty; :func:`tell_staff_of_new_requests` (every 5 s) finds
those requests on the partial index ``request_staff_untold`` and, for each, sets the column
with a compare-and-swap update and notifies the staff in the same transaction
(``services.staff.notify_new_request``): once with several workers (the second one's update
finds the column set), and never lost (a worker killed before the commit leaves it empty for
the next scan). Filing itself pays nothing for the notification.

Idempotency keys
----------------
The ``idempotency-keys`` job forgets the ``Idempotency-Key`` of API filings older than
24 hours (:func:`livret.support.idempotency.purge`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction

from livret.ops.scan import scan
from livret.ops.worker import Job
from livret.support import idempotency, services
from livret.support.checkpoints import write_checkpoint
from livret.support.models import Request
from livret.support.services.staff import notify_new_request

log = logging.getLogger("livret.support.jobs")

# A request whose alerts failed is tried again this much later (it keeps its place otherwise).
RETRY_AFTER = timedelta(minutes=1)


# --------------------------------------------------------------------------- breach scan


def due_requests(now: datetime, limit: int = 500) -> list[int]:
    """Primary keys of the requests with an alert due at ``now``, earliest first (one query on
    the partial index ``request_next_alert``)."""
    query = (
        Request.objects.filter(next_alert_at__lte=now)
        .order_by("next_alert_at")
        .values_list("pk", flat=True)
    )
    return list(query[:limit])


def _claim(pk: int, now: datetime) -> bool:
    """Inside the caller's transaction: is the request still due, and ours to handle?"""
    query = Request.objects.filter(pk=pk, next_alert_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return bool(list(query.values_list("pk", flat=True)))


def _send(pk: int, now: datetime) -> int:
    """Claim one request and record its due alerts in one transaction; how many were recorded."""
    with transaction.atomic():
        if not _claim(pk, now):
            return 0  # another worker has it, or has already sent it
        return len(services.send_due_alerts(pk, now))


def _defer(pk: int, now: datetime) -> None:
    """Push a failing request back by RETRY_AFTER, so that it cannot block the scan."""
    Request.objects.filter(pk=pk, next_alert_at__lte=now).update(next_alert_at=now + RETRY_AFTER)


def scan_breaches(now: datetime, limit: int = 500) -> int:
    """Send the 75 % warnings and breach alerts due at ``now``; return how many were recorded.

    Safe with several workers at once and after a crash (see the module documentation).
    """
    recorded = scan(
        due_requests(now, limit),
        lambda pk: _send(pk, now),
        lambda pk: _defer(pk, now),
        log=log,
        failure="request %s: sending its SLA alerts failed; retried later",
    )
    if recorded:
        log.info("recorded %d SLA alert(s)", recorded)
    return recorded


# --------------------------------------------------------------------------- new requests


def _tell_new(pk: int, now: datetime) -> int:
    """Claim one untold request and tell its staff, in one transaction; 1 if told."""
    with transaction.atomic():
        if not Request.objects.filter(pk=pk, staff_told_at__isnull=True).update(staff_told_at=now):
            return 0  # another worker told them
        request = Request.objects.select_related("client", "contract__offer_version").get(pk=pk)
        filed = request.events.filter(seq=1).select_related("actor").first()
        # The person who filed or recorded it (a technician taking a call) is not told.
        notify_new_request(request, actor=filed.actor if filed else None)
    return 1


def tell_staff_of_new_requests(now: datetime, limit: int = 200) -> int:
    """Tell the staff of every request filed since the last scan; return how many."""
    due = Request.objects.filter(staff_told_at__isnull=True).order_by("registered_at", "pk")
    return scan(
        list(due.values_list("pk", flat=True)[:limit]),
        lambda pk: _tell_new(pk, now),
        None,  # a failure leaves the request untold: tried again at the next scan
        log=log,
        failure="request %s: telling the staff of it failed; retried at the next scan",
    )


def run_new_requests(now: datetime) -> None:
    """The ``new-requests`` worker job: :func:`tell_staff_of_new_requests`."""
    tell_staff_of_new_requests(now)


def run_scan(now: datetime) -> None:
    """The ``sla-alerts`` worker job: :func:`scan_breaches` at the worker's clock."""
    scan_breaches(now)


def run_purge_keys(now: datetime) -> None:
    """The ``idempotency-keys`` worker job: forget the keys older than 24 hours."""
    idempotency.purge(now)


def checkpoint_audit(now: datetime) -> None:
    """The ``audit-checkpoint`` worker job: the chains' heads, once a day (REQ-11)."""
    written = write_checkpoint(now, once_a_day=True)
    if written:
        log.info("audit checkpoint: %d request head(s) written", written)


# The SLA alert scan: 75 % warnings and breaches, once each, in every `livret worker`; new
# requests told to the staff; the
# hourly purge of expired idempotency keys; the daily audit checkpoint.
JOBS: list[Job] = [
    Job("sla-alerts", 30, run_scan),
    Job("new-requests", 5, run_new_requests),
    Job("idempotency-keys", 3600, run_purge_keys),
    Job("audit-checkpoint", 3600, checkpoint_audit),
]
