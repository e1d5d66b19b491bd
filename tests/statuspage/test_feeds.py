"""The public page's feeds (MNT-3): iCalendar of maintenance (read back with ``icalendar``) and
Atom of incidents and maintenance (read back with ``feedparser``), for every persona alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.test import Client
from icalendar import Calendar

from livret.status import services
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "client_a", "client_b", "technician"]


def get(page, who: str, path: str):  # type: ignore[no-untyped-def]
    client = Client()
    user = {
        "anonymous": None,
        "client_a": page.personas.user_a,
        "client_b": page.personas.user_b,
        "technician": page.tech,
    }[who]
    if user is not None:
        client.force_login(user)
    return client.get(path)


def calendar_events(response) -> dict[str, object]:  # type: ignore[no-untyped-def]
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


# --------------------------------------------------------------------------- iCalendar


@pytest.mark.parametrize("who", PERSONAS)
def test_it_publishes_the_public_maintenance_as_a_valid_icalendar(page, who) -> None:
    response = get(page, who, "/statut/cegid/maintenances.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # RFC 5545 folding
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//livret//statut//FR"
    events = calendar_events(response)
    uid = f"maintenance-{page.maintenance.pk}@127.0.0.1"
    assert list(events) == [uid]  # A's private maintenance is not in it
    event = events[uid]
    assert event.decoded("DTSTART") == datetime(2026, 11, 26, 21, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert b"DTSTART:20261126T210000Z" in raw  # UTC, no floating time
    assert str(event["SUMMARY"]) == "Cegid — Mise à jour de la base de données"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTAMP") == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # recorded
    description = str(event["DESCRIPTION"])
    assert "Interruption complète" in description
    assert "Services : Quadra Entreprise On Demand" in description
    assert "Bloquante" in description
    assert "Client" not in raw.decode()


def test_it_bumps_the_sequence_and_keeps_the_uid_when_a_maintenance_changes(page, clock) -> None:
    first = calendar_events(Client().get("/statut/cegid/maintenances.ics"))
    uid = f"maintenance-{page.maintenance.pk}@127.0.0.1"
    clock.move_to(at("2026-11-26 22:00"))
    services.start_maintenance(page.tech, page.maintenance)
    later = calendar_events(Client().get("/statut/cegid/maintenances.ics"))
    assert list(later) == [uid]
    assert int(later[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert later[uid].decoded("LAST-MODIFIED") == datetime(2026, 11, 26, 21, 0, tzinfo=UTC)


def test_it_keeps_a_cancelled_maintenance_as_status_cancelled(page) -> None:
    services.cancel_maintenance(page.tech, page.maintenance, "Reportée.")
    events = calendar_events(Client().get("/statut/cegid/maintenances.ics"))
    event = events[f"maintenance-{page.maintenance.pk}@127.0.0.1"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_it_writes_a_maintenance_across_the_spring_dst_change_in_utc(page, clock) -> None:
    """Last Sunday of March 2026: 02:00 CET jumps to 03:00 CEST. Sunday 29 March 01:00 →
    04:00 (Paris) is 00:00Z → 02:00Z: two real hours."""
    clock.move_to(at("2026-03-20 10:00"))
    maintenance = services.plan_maintenance(
        page.tech,
        [page.b],
        "Nuit du passage à l'heure d'été",
        at("2026-03-29 01:00"),
        at("2026-03-29 04:00"),
        blocking=True,
        announced_at=at("2026-03-20 10:00"),
    )
    events = calendar_events(Client().get("/statut/cegid/maintenances.ics"))
    event = events[f"maintenance-{maintenance.pk}@127.0.0.1"]
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert (start, end) == (
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 0, tzinfo=UTC),
    )
    assert end - start == timedelta(hours=2)  # not the wall clock's three


def test_it_writes_a_maintenance_across_the_autumn_dst_change_in_utc(page, clock) -> None:
    """Last Sunday of October 2026: 03:00 CEST falls back to 02:00 CET. Sunday 25 October
    01:00 → 04:00 (Paris) is 23:00Z → 03:00Z: four real hours."""
    clock.move_to(at("2026-10-20 10:00"))
    maintenance = services.plan_maintenance(
        page.tech,
        [page.b],
        "Nuit du passage à l'heure d'hiver",
        at("2026-10-25 01:00"),
        at("2026-10-25 04:00"),
        blocking=True,
        announced_at=at("2026-10-20 10:00"),
    )
    events = calendar_events(Client().get("/statut/cegid/maintenances.ics"))
    event = events[f"maintenance-{maintenance.pk}@127.0.0.1"]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
    )


# --------------------------------------------------------------------------- Atom


@pytest.mark.parametrize("who", PERSONAS)
def test_it_publishes_the_public_events_as_an_atom_feed(page, who) -> None:
    response = get(page, who, "/statut/cegid/flux.atom")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "État des services — Cegid"
    titles = [e.title for e in feed.entries]
    # newest first: the maintenance announced at 09:30, B's incident at 09:10 (with the
    # service's state change it caused)
    assert titles == [
        "Mise à jour de la base de données",
        "Quadra Entreprise On Demand : Perturbé",
        "Connexions impossibles",
    ]
    incident = feed.entries[2]
    assert incident.link == f"http://127.0.0.1:8000/statut/cegid/incidents/{page.b_incident.pk}/"
    assert "Les connexions échouent" in incident.summary
    assert incident.tags[0].term == "incident.created"
    assert incident.id.startswith("tag:127.0.0.1,2026:status-event:")
    assert len({e.id for e in feed.entries}) == 3
    text = response.content.decode()
    for secret in ("Client A", "Client B", "Lenteurs", "Migration du serveur"):
        assert secret not in text


def test_it_adds_new_events_to_the_feed_at_once(page) -> None:
    Client().get("/statut/cegid/flux.atom")  # cached
    services.resolve_incident(
        page.tech, page.b_incident, at("2026-11-24 09:50"), "Service rétabli."
    )
    feed = feedparser.parse(Client().get("/statut/cegid/flux.atom").content)
    assert feed.entries[0].title == "Quadra Entreprise On Demand : Opérationnel"
    assert feed.entries[1].title == "Connexions impossibles"
    assert "Service rétabli." in feed.entries[1].summary


def test_the_feed_stays_valid_with_a_control_character_already_stored(page) -> None:
    """Issue 13, item 8: a title stored before the check with a vertical tab (forbidden in
    XML 1.0) no longer breaks the feed: the character is left out, the rest is shown."""
    from django.db import connection

    from livret.status.models import StatusEvent

    # PostgreSQL cannot store a NUL at all; SQLite can, so there it is stored too.
    nul = "" if connection.vendor == "postgresql" else "\x00"
    StatusEvent.objects.filter(incident=page.b_incident).update(
        title="Connexions \x0bimpossibles", body=f"Les connexions{nul} échouent"
    )
    feed = feedparser.parse(Client().get("/statut/cegid/flux.atom").content)
    assert not feed.bozo, feed.bozo_exception
    assert "Connexions impossibles" in [e.title for e in feed.entries]
    assert any("Les connexions échouent" in e.summary for e in feed.entries)
