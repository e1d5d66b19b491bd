"""Fan the status events out to the subscriptions, then deliver them (MNT-3).

**Fan-out** (:func:`fan_out`) reads the event log after a cursor and writes one
:class:`~livret.statuspage.models.Delivery` per (subscription, event) that should hear of it;
the unique constraint on that pair makes a replayed event harmless, so an event is queued at
most once per subscription. Who hears what (tenancy, ACC-3):

* a subscription without a client gets the vendor's public events (the public page's rule:
  published, about a public service or one of the vendor's offers, not probe-written);
* a client's subscription also gets the events of that client's own services, and never
  another client's (its person must still belong to the client);
* nobody gets an event from before the subscription was confirmed.

**Delivery** (:func:`deliver_due`) sends the due rows: e-mail through Django's SMTP backend
(with ``List-Unsubscribe`` and one-click ``List-Unsubscribe-Post``, RFC 8058), webhooks as a
signed JSON POST. A row is claimed by compare-and-swap on (status, attempts), so two workers
never send the same row; success marks it delivered; a failure waits 1 min, 2, 4, … (at most
one hour) and gives up after :data:`rules.MAX_ATTEMPTS` attempts. Like the mail outbox, a
worker killed between sending and recording leaves the row ``sending``; it is sent again after
:data:`STUCK_AFTER` — the only duplicate possible, which receivers detect by the
``X-Livret-Delivery`` id (mails by their stable ``Message-ID``). No transaction is open while
a remote server is spoken to.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import smtplib
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from livret.mail.letters import letter
from livret.offers.models import OfferVersion
from livret.status.models import Incident, IncidentStatus, Maintenance, Service, StatusEvent
from livret.statuspage.board import PARIS, public_keys, public_label, vendors
from livret.statuspage.feeds import absolute, event_path, site_domain
from livret.statuspage.models import Channel, Delivery, FanOutCursor, Subscription
from livret.statuspage.rules import MAX_ATTEMPTS, retry_delay, signature, webhook_url_problem
from livret.statuspage.targets import TargetRefused, delivery_addresses
from livret.tenants.models import Membership

log = logging.getLogger("livret.statuspage")

Status = Delivery.Status
BATCH = 500  # events fanned out per run
GAP_PATIENCE = timedelta(minutes=10)  # how long a missing event id is waited for
SEND_LIMIT = 50  # deliveries tried per run
TIME_BUDGET = 20.0  # seconds of sending per run, so other jobs keep their turn
WEBHOOK_TIMEOUT = 5.0
STUCK_AFTER = timedelta(minutes=10)
USER_AGENT = "livret-webhooks/1"

KIND_LABELS = {
    "incident.created": _("Nouvel incident"),
    "incident.updated": _("Incident : mise à jour"),
    "incident.resolved": _("Incident résolu"),
    "maintenance.planned": _("Maintenance planifiée"),
    "maintenance.started": _("Maintenance commencée"),
    "maintenance.completed": _("Maintenance terminée"),
    "maintenance.cancelled": _("Maintenance annulée"),
    "update.announced": _("Mise à jour annoncée"),
    "update.agreed": _("Date de mise à jour convenue"),
    "service.state": _("Changement d'état d'un service"),
}


# --------------------------------------------------------------------------- audiences


@dataclass(frozen=True)
class ServiceFacts:
    pk: int
    vendor: str  # slug
    client_id: int
    public: bool
    label: str  # the public label
    key: str  # the public slug, as on the page
    name: str  # its own name and slug, for its client
    slug: str


@dataclass
class Audience:
    """Who may hear of one event, per vendor slug."""

    public: set[str] = field(default_factory=set)
    clients: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    services: list[ServiceFacts] = field(default_factory=list)

    def admits(self, subscription: Subscription) -> bool:
        if subscription.vendor in self.public:
            return True
        return subscription.client_id in self.clients.get(subscription.vendor, set())


def _service_facts(ids: Iterable[int]) -> dict[int, ServiceFacts]:
    slugs = {name: slug for slug, name in vendors().items()}
    rows = list(Service.objects.filter(pk__in=set(ids)).select_related("contract__offer_version"))
    keys: dict[int, str] = {}
    for vendor in {s.contract.offer_version.vendor for s in rows if s.public}:
        keys.update(public_keys(vendor))
    return {
        s.pk: ServiceFacts(
            pk=s.pk,
            vendor=slugs.get(s.contract.offer_version.vendor, ""),
            client_id=s.contract.client_id,
            public=s.public,
            label=public_label(s),
            key=keys.get(s.pk, ""),
            name=s.name,
            slug=s.slug,
        )
        for s in rows
    }


def _publishable(event: StatusEvent) -> bool:
    """The public page's rule (``feeds.public_events``), for one event."""
    if not event.public or "probe" in (event.data or {}):
        return False
    if event.incident is not None and not event.incident.public:
        return False
    return not (event.maintenance is not None and not event.maintenance.public)


def audiences(events: list[StatusEvent]) -> dict[int, Audience]:
    """Each event's audience, in a handful of queries for the whole batch."""
    concerned: dict[int, set[int]] = defaultdict(set)
    by_incident: dict[int, set[int]] = defaultdict(set)
    by_maintenance: dict[int, set[int]] = defaultdict(set)
    incidents = {e.incident_id for e in events if e.incident_id}
    maintenances = {e.maintenance_id for e in events if e.maintenance_id}
    links = Incident.services.through.objects.filter(incident_id__in=incidents)
    for incident_id, service_id in links.values_list("incident_id", "service_id"):
        by_incident[incident_id].add(service_id)
    links = Maintenance.services.through.objects.filter(maintenance_id__in=maintenances)
    for maintenance_id, service_id in links.values_list("maintenance_id", "service_id"):
        by_maintenance[maintenance_id].add(service_id)
    for event in events:
        ids = concerned[event.pk]
        if event.service_id:
            ids.add(event.service_id)
        ids |= by_incident.get(event.incident_id or 0, set())
        ids |= by_maintenance.get(event.maintenance_id or 0, set())
    facts = _service_facts(i for ids in concerned.values() for i in ids)
    slugs = {name: slug for slug, name in vendors().items()}
    offer_vendor = {
        offer_id: slugs.get(vendor, "")
        for offer_id, vendor in OfferVersion.objects.values_list("offer_id", "vendor")
    }
    out: dict[int, Audience] = {}
    for event in events:
        audience = Audience(services=[facts[i] for i in sorted(concerned[event.pk]) if i in facts])
        publishable = _publishable(event)
        # What a probe wrote on its draft is for the vendor only (issue 12): no client hears it.
        drafted = (event.data or {}).get("status") == IncidentStatus.DRAFT
        for service in audience.services:
            if not drafted:
                audience.clients[service.vendor].add(service.client_id)
            if publishable and service.public:
                audience.public.add(service.vendor)
        if event.announcement is not None:
            vendor = offer_vendor.get(event.announcement.offer_id, "")
            audience.clients[vendor].update(int(c) for c in event.clients or [])
            if publishable:
                audience.public.add(vendor)
        out[event.pk] = audience
    return out


# --------------------------------------------------------------------------- fan-out


def _receivers() -> list[Subscription]:
    """Confirmed, active subscriptions whose client (if any) is active and, for a person's
    subscription, whose person still belongs to that client."""
    subscriptions = list(
        Subscription.objects.filter(active=True, confirmed_at__isnull=False).select_related(
            "client"
        )
    )
    people = {s.created_by_id for s in subscriptions if s.client_id and s.created_by_id}
    belongs = dict(
        Membership.objects.filter(user_id__in=people, user__is_active=True).values_list(
            "user_id", "client_id"
        )
    )
    out = []
    for s in subscriptions:
        if s.client_id is None or (
            s.client is not None and s.client.active and belongs.get(s.created_by_id) == s.client_id
        ):
            out.append(s)
    return out


def fan_out(now: datetime) -> int:
    """Queue the new events for their subscriptions; return how many deliveries were made.

    Event ids usually arrive in order; on PostgreSQL a transaction that took an id first may
    commit after a later one. An id skipped by the cursor is remembered as a gap and looked
    for again at each run for :data:`GAP_PATIENCE` (a rolled-back id never comes).
    """
    with transaction.atomic():
        cursor, _ = FanOutCursor.objects.select_for_update().get_or_create(pk=1)
        gaps: dict[int, str] = {int(k): v for k, v in (cursor.gaps or {}).items()}
        events = list(
            StatusEvent.objects.filter(Q(pk__gt=cursor.position) | Q(pk__in=list(gaps)))
            .select_related("incident", "maintenance", "announcement")
            .order_by("pk")[:BATCH]
        )
        made = _queue(events, now) if events else 0
        seen = {e.pk for e in events}
        position = max([cursor.position, *seen])
        # A new cursor starts at the first event it finds (ids before it are not "missing").
        low = cursor.position + 1 if cursor.position else min(seen, default=position)
        for missing in range(max(low, position - 1000), position):
            if missing not in seen:
                gaps.setdefault(missing, now.isoformat())
        oldest = now - GAP_PATIENCE
        cursor.gaps = {
            str(pk): since
            for pk, since in gaps.items()
            if pk not in seen and datetime.fromisoformat(since) > oldest
        }
        cursor.position = position
        cursor.save(update_fields=["position", "gaps"])
    return made


def _queue(events: list[StatusEvent], now: datetime) -> int:
    receivers = _receivers()
    if not receivers:
        return 0
    heard = audiences(events)
    rows = [
        Delivery(
            subscription=subscription,
            event=event,
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for subscription in receivers
        if event.pk > subscription.start_after_event and heard[event.pk].admits(subscription)
    ]
    # The unique (subscription, event) pair turns a replayed event into nothing.
    queued = Delivery.objects.filter(event__in=events)
    before = queued.count()
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return queued.count() - before


# --------------------------------------------------------------------------- messages


def _services_for(subscription: Subscription, audience: Audience) -> list[tuple[str, str]]:
    """(slug, label) of the event's services this subscription may read about."""
    out = []
    for service in audience.services:
        if service.vendor != subscription.vendor:
            continue
        if subscription.client_id is not None and service.client_id == subscription.client_id:
            out.append((service.slug, service.name))
        elif service.public and subscription.vendor in audience.public:
            out.append((service.key, service.label))
    return out


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def payload(delivery: Delivery, audience: Audience, vendor_name: str) -> dict[str, Any]:
    """The webhook's JSON document (docs/status-page.md)."""
    event = delivery.event
    subscription = delivery.subscription
    incident, maintenance = event.incident, event.maintenance
    return {
        "delivery": delivery.pk,
        "vendor": {"slug": subscription.vendor, "name": vendor_name},
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "at": _iso(event.at),
            "title": event.title,
            "body": event.body,
            "url": absolute(event_path(subscription.vendor, event)),
            "services": [
                {"slug": slug, "label": label}
                for slug, label in _services_for(subscription, audience)
            ],
            "incident": None
            if incident is None
            else {
                "id": incident.pk,
                "status": incident.status,
                "started_at": _iso(incident.started_at),
                "ended_at": _iso(incident.ended_at),
            },
            "maintenance": None
            if maintenance is None
            else {
                "id": maintenance.pk,
                "status": maintenance.status,
                "kind": maintenance.kind,
                "blocking": maintenance.blocking,
                "starts_at": _iso(maintenance.starts_at),
                "ends_at": _iso(maintenance.ends_at),
            },
        },
    }


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute(reverse("statuspage:unsubscribe", args=[subscription.unsubscribe_token]))


def email_message(
    delivery: Delivery, audience: Audience, vendor_name: str, connection: BaseEmailBackend | None
) -> EmailMessage:
    """The notification mail: French plain text greeting the subscriber (by name when it is a
    client's person) and signed by the vendor, one-click unsubscribe (RFC 8058)."""
    event = delivery.event
    subscription = delivery.subscription
    unsubscribe = unsubscribe_url(subscription)
    person = subscription.created_by
    news = render_to_string(
        "statuspage/mail/notification.txt",
        {
            "vendor": vendor_name,
            "event": event,
            "kind": str(KIND_LABELS.get(event.kind, event.kind)),
            "at": event.at.astimezone(PARIS),
            "services": [label for _, label in _services_for(subscription, audience)],
            "link": absolute(event_path(subscription.vendor, event)),
        },
    )
    body = letter(news, names=[person.get_full_name()] if person else [], vendor=vendor_name) + (
        f"\n--\nVous recevez ce message parce que vous êtes abonné à l'état des services "
        f"{vendor_name}.\nSe désabonner en un clic : {unsubscribe}\n"
    )
    return EmailMessage(
        subject=f"[{vendor_name}] {event.title}"[:250],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Message-ID": f"<livret.status.{delivery.pk}@{site_domain()}>",
            "X-Livret-Event": event.kind,
        },
        connection=connection,
    )


class HTTPStatusError(Exception):
    """The receiver answered outside 2xx (a redirect included: it is never followed)."""


class _PinnedHTTP(http.client.HTTPConnection):
    """Speaks to checked addresses while naming the webhook's host (``Host`` header).

    The name was resolved and its addresses checked (:mod:`livret.statuspage.targets`):
    connecting to them, never resolving again, is what defeats DNS rebinding.
    """

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        """Open a TCP connection to the first checked address that answers."""
        error: OSError | None = None
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as failed:
                error = failed
            else:
                return
        assert error is not None  # resolve() never returns an empty list
        raise error


class _PinnedHTTPS(_PinnedHTTP):
    """The same over TLS: the certificate is checked against the host name (SNI too)."""

    default_port = 443

    def connect(self) -> None:
        """Connect to a checked address, then start TLS for the webhook's host name."""
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post_webhook(delivery: Delivery, body: bytes) -> int:
    """POST the signed body; the HTTP status (2xx), or an exception (:class:`TargetRefused`
    when the host is, or now resolves to, a private address)."""
    subscription = delivery.subscription
    url = subscription.webhook_url
    problem = webhook_url_problem(url)
    if problem:  # checked when it was added; never open a file: or other scheme
        raise ValueError(problem)
    host, port, addresses = delivery_addresses(url)
    parts = urlsplit(url)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(host, port, addresses, WEBHOOK_TIMEOUT)
    try:
        connection.request(
            "POST",
            urlunsplit(("", "", parts.path or "/", parts.query, "")),
            body=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "X-Livret-Event": delivery.event.kind,
                "X-Livret-Delivery": str(delivery.pk),
                "X-Livret-Signature": signature(subscription.secret, body),
            },
        )
        response = connection.getresponse()
        response.read(65536)
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise HTTPStatusError(f"HTTP Error {response.status}: {response.reason}")
    return int(response.status)


# --------------------------------------------------------------------------- delivery


def _candidates(now: datetime, limit: int) -> list[tuple[int, str, int, str]]:
    due = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lte=now - STUCK_AFTER
    )
    rows = (
        Delivery.objects.filter(due)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "status", "attempts", "subscription__channel")[:limit]
    )
    return list(rows)


def _claim(pk: int, status: str, attempts: int, now: datetime) -> bool:
    """Compare-and-swap on (status, attempts): exactly one worker wins each attempt."""
    rows = Delivery.objects.filter(pk=pk, status=status, attempts=attempts)
    if status == Status.SENDING:
        if attempts >= MAX_ATTEMPTS:
            if rows.update(status=Status.FAILED, last_error="envoi interrompu (worker arrêté)"):
                log.error("delivery %s failed: interrupted on its last attempt", pk)
            return False
        log.warning("delivery %s was left sending: reclaimed", pk)
    return bool(rows.update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now))


def _record(pk: int, attempts: int, **changes: Any) -> bool:
    return bool(
        Delivery.objects.filter(pk=pk, status=Status.SENDING, attempts=attempts).update(**changes)
    )


def _failed(delivery: Delivery, error: Exception, now: datetime) -> None:
    text = f"{type(error).__name__}: {error}"[:2000]
    # A private target is refused for good (issue 13): retrying would not make it public.
    if delivery.attempts >= MAX_ATTEMPTS or isinstance(error, TargetRefused):
        _record(delivery.pk, delivery.attempts, status=Status.FAILED, last_error=text)
        log.error(
            "delivery %s to %s failed after %s attempts: %s",
            delivery.pk,
            delivery.subscription.address,
            delivery.attempts,
            text,
        )
        return
    delay = retry_delay(delivery.attempts)
    _record(
        delivery.pk,
        delivery.attempts,
        status=Status.PENDING,
        next_attempt_at=now + delay,
        last_error=text,
    )
    log.warning(
        "delivery %s: attempt %s failed, retry in %s: %s",
        delivery.pk,
        delivery.attempts,
        delay,
        text,
    )


def deliver_due(now: datetime, limit: int = SEND_LIMIT, budget: float = TIME_BUDGET) -> int:
    """Send up to ``limit`` due deliveries (for at most ``budget`` seconds); return how many
    were delivered."""
    started = time.monotonic()
    names = vendors()
    connection: BaseEmailBackend | None = None
    heard: dict[int, Audience] = {}
    smtp_down = False
    delivered = 0
    try:
        for pk, status, attempts, channel in _candidates(now, limit):
            if time.monotonic() - started > budget:
                break
            if channel == Channel.EMAIL and smtp_down:
                continue  # left for the next run, its attempts untouched
            if not _claim(pk, status, attempts, now):
                continue
            delivery = Delivery.objects.select_related(
                "subscription__created_by",
                "event__incident",
                "event__maintenance",
                "event__announcement",
            ).get(pk=pk)
            subscription = delivery.subscription
            if not subscription.active:
                _record(pk, delivery.attempts, status=Status.DROPPED)
                continue
            if delivery.event_id not in heard:  # one event usually has many subscribers
                heard.update(audiences([delivery.event]))
            audience = heard[delivery.event_id]
            vendor_name = names.get(subscription.vendor, subscription.vendor)
            try:
                if subscription.channel == Channel.EMAIL:
                    if connection is None:
                        connection = get_connection(
                            fail_silently=False, timeout=settings.EMAIL_TIMEOUT or 30
                        )
                        connection.open()
                    email_message(delivery, audience, vendor_name, connection).send()
                else:
                    document = payload(delivery, audience, vendor_name)
                    body = json.dumps(document, ensure_ascii=False).encode()
                    post_webhook(delivery, body)
            except Exception as error:
                _failed(delivery, error, now)
                if subscription.channel == Channel.EMAIL:
                    if connection is not None:
                        _close(connection)
                        connection = None
                    # The SMTP server is unwell (not one refused address): stop mailing.
                    refused = isinstance(error, smtplib.SMTPRecipientsRefused)
                    smtp_down = isinstance(error, smtplib.SMTPException | OSError) and not refused
                continue
            if _record(
                pk, delivery.attempts, status=Status.DELIVERED, delivered_at=now, last_error=""
            ):
                delivered += 1
            else:
                log.warning("delivery %s was reclaimed by another worker while being sent", pk)
    finally:
        if connection is not None:
            _close(connection)
    return delivered


def _close(connection: BaseEmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):  # closing a dead socket
        connection.close()
