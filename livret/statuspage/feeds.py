"""The public page's feeds (MNT-3): JSON summary, iCalendar of maintenance, Atom of events.

All three show only what the public page shows: public services under their public label,
published incidents and maintenances that concern them — never a client's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from livret.offers.models import OfferVersion
from livret.status.models import Maintenance, MaintenanceStatus, Service, StatusEvent
from livret.statuspage.board import (
    Board,
    IncidentView,
    MaintenanceView,
    ServiceView,
    public_label,
    vendor_name,
)
from livret.text import xml_safe

FEED_EVENTS = 50  # entries in the Atom feed
CALENDAR_HISTORY = timedelta(days=90)  # past maintenances kept in the calendar


def site_domain() -> str:
    """The host name of LIVRET_SITE_URL (stable ids in feeds and calendars)."""
    return urlsplit(settings.SITE_URL).hostname or "livret.invalid"


def absolute(path: str) -> str:
    """An absolute URL on the site (LIVRET_SITE_URL): mails and feeds leave the page."""
    return settings.SITE_URL.rstrip("/") + path


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


# --------------------------------------------------------------------------- JSON


def _keys(services: Iterable[ServiceView]) -> list[str]:
    return [s.key for s in services]


def _incident_json(vendor: str, incident: IncidentView) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "started_at": _iso(incident.started_at),
        "services": _keys(incident.services),
        "updates": [
            {"at": _iso(u.at), "status": u.status, "message": u.message} for u in incident.updates
        ],
        "url": absolute(reverse("statuspage:incident", args=[vendor, incident.pk])),
    }


def _maintenance_json(vendor: str, maintenance: MaintenanceView) -> dict[str, Any]:
    return {
        "id": maintenance.pk,
        "title": maintenance.title,
        "description": maintenance.description,
        "kind": maintenance.kind,
        "blocking": maintenance.blocking,
        "status": "in-progress" if maintenance.ongoing else maintenance.status,
        "starts_at": _iso(maintenance.starts_at),
        "ends_at": _iso(maintenance.ends_at),
        "services": _keys(maintenance.services),
        "url": absolute(reverse("statuspage:maintenance", args=[vendor, maintenance.pk])),
    }


def summary_json(board: Board) -> dict[str, Any]:
    """The JSON summary (shape documented in docs/status-page.md; times in UTC)."""
    return {
        "vendor": {"slug": board.vendor, "name": board.vendor_name},
        "generated_at": _iso(board.generated_at),
        "state": board.summary_state,
        "services": [
            {
                "slug": s.key,
                "label": s.label,
                "offer": s.offer,
                "environment": s.environment,
                "state": s.state,
                "since": _iso(s.since),
            }
            for s in board.services
        ],
        "ongoing_incidents": [_incident_json(board.vendor, i) for i in board.ongoing_incidents],
        "planned_maintenance": [
            _maintenance_json(board.vendor, m)
            for m in [*board.ongoing_maintenances, *board.planned_maintenances]
        ],
        "availability": [
            {
                "service": a.service.key,
                "month": m.report.month,
                "td": m.report.td,
                "target": m.report.target,
                "met": m.report.met,
                "provisional": m.provisional,
            }
            for a in board.availability
            for m in a.months
        ],
    }


# --------------------------------------------------------------------------- shared queries


def public_services(vendor: str) -> list[Service]:
    """The vendor's public services (``vendor``: its name)."""
    return list(
        Service.objects.filter(contract__offer_version__vendor=vendor, public=True).select_related(
            "contract__offer_version"
        )
    )


def public_events(vendor: str, limit: int = FEED_EVENTS) -> list[StatusEvent]:
    """The vendor's newest public events, as the public page may show them.

    An event is public when ``livret.status`` marked it so, its incident or maintenance is
    still published, and it concerns a public service of the vendor (or one of its offers).
    Probe-written messages (``data["probe"]``) stay private: they name the probe's target.
    """
    ids = [s.pk for s in public_services(vendor)]
    offers = OfferVersion.objects.filter(vendor=vendor).values("offer_id")
    concerns = (
        Q(service__in=ids)
        | Q(incident__services__in=ids)
        | Q(maintenance__services__in=ids)
        | Q(announcement__offer_id__in=offers)
    )
    events = (
        StatusEvent.objects.filter(public=True)
        .filter(concerns)
        .exclude(incident__public=False)
        .exclude(maintenance__public=False)
        .exclude(data__has_key="probe")
        .select_related("incident", "maintenance")
        .distinct()
        .order_by("-at", "-pk")
    )
    return list(events[:limit])


def event_path(vendor: str, event: StatusEvent) -> str:
    """Where an event is read on the site: its incident, its maintenance, or the page."""
    if event.incident_id:
        return reverse("statuspage:incident", args=[vendor, event.incident_id])
    if event.maintenance_id:
        return reverse("statuspage:maintenance", args=[vendor, event.maintenance_id])
    return reverse("statuspage:public", args=[vendor])


# --------------------------------------------------------------------------- Atom


def atom_feed(vendor: str) -> bytes:
    """Atom 1.0 feed of the vendor's public incidents, maintenances and announcements."""
    name = vendor_name(vendor)
    domain = site_domain()
    page = absolute(reverse("statuspage:public", args=[vendor]))
    feed = Atom1Feed(
        title=gettext("État des services — %(vendor)s") % {"vendor": name},
        link=page,
        description=gettext("Incidents, maintenances et annonces de %(vendor)s") % {"vendor": name},
        language="fr",
        feed_url=absolute(reverse("statuspage:atom", args=[vendor])),
        feed_guid=f"tag:{domain},2026:statuspage:{vendor}",
    )
    for event in public_events(name):
        # Issue 13: a row stored before the text check may hold what XML forbids (\x0b).
        title = xml_safe(event.title)
        feed.add_item(
            title=title,
            link=absolute(event_path(vendor, event)),
            description=xml_safe(event.body) or title,
            unique_id=f"tag:{domain},2026:status-event:{event.pk}",
            pubdate=event.at,
            updateddate=event.at,
            categories=[event.kind],
        )
    return feed.writeString("utf-8").encode()


# --------------------------------------------------------------------------- iCalendar


def _calendar_status(status: str) -> str:
    return "CANCELLED" if status == MaintenanceStatus.CANCELLED else "CONFIRMED"


def maintenance_calendar(vendor: str, now: datetime) -> bytes:
    """RFC 5545 calendar of the vendor's public maintenances (planned, ongoing, recent).

    One VEVENT per maintenance: UID stable for its life, DTSTART/DTEND in UTC, SEQUENCE the
    number of changes recorded for it (so calendar programs replace their copy), a cancelled
    one kept with STATUS:CANCELLED so that it disappears from subscribers' calendars.
    """
    name = vendor_name(vendor)
    services = {s.pk: s for s in public_services(name)}
    maintenances = list(
        Maintenance.objects.filter(services__in=list(services), public=True)
        .filter(ends_at__gte=now - CALENDAR_HISTORY)
        .distinct()
        .order_by("starts_at", "pk")
        .prefetch_related("services")
    )
    changes = {
        row["maintenance"]: row
        for row in StatusEvent.objects.filter(maintenance__in=maintenances)
        .values("maintenance")
        .annotate(count=Count("id"), last=Max("at"))
    }
    domain = site_domain()
    calendar = Calendar()
    calendar.add("prodid", "-//livret//statut//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", gettext("Maintenances — %(vendor)s") % {"vendor": name})
    for maintenance in maintenances:
        change = changes.get(maintenance.pk, {})
        modified = max(change.get("last") or maintenance.created_at, maintenance.created_at)
        labels = sorted(
            public_label(services[s.pk]) for s in maintenance.services.all() if s.pk in services
        )
        lines = [maintenance.description] if maintenance.description else []
        lines.append(gettext("Services : %(services)s") % {"services": ", ".join(labels)})
        lines.append(
            gettext("Maintenance urgente")
            if maintenance.kind == "urgent"
            else gettext("Maintenance planifiée")
        )
        if maintenance.blocking:
            lines.append(gettext("Bloquante : le service est interrompu."))
        url = absolute(reverse("statuspage:maintenance", args=[vendor, maintenance.pk]))
        event = CalendarEvent()
        event.add("uid", f"maintenance-{maintenance.pk}@{domain}")
        event.add("dtstamp", modified.astimezone(UTC))
        event.add("last-modified", modified.astimezone(UTC))
        event.add("created", maintenance.created_at.astimezone(UTC))
        event.add("sequence", max(change.get("count", 1) - 1, 0))
        event.add("dtstart", maintenance.starts_at.astimezone(UTC))
        event.add("dtend", maintenance.ends_at.astimezone(UTC))
        event.add("summary", f"{name} — {maintenance.title}")
        event.add("description", "\n".join(lines))
        event.add("status", _calendar_status(maintenance.status))
        event.add("url", url)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
