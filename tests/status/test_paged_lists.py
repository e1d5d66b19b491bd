"""The back office's status lists are paged with their count, never cut (issue 12): past
incidents and drafts, past maintenances, update announcements, a service's incidents and
probe changes. Two lists on one page keep each other's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from livret.status import services
from livret.status.models import Probe, ProbeStateChange
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db
NOW = at("2026-11-16 09:00")


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("livret.web.pagination.PER_PAGE", 2)


def tech_browser(world) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.tech)
    return client


def resolved_incidents(world, count: int) -> list:  # type: ignore[no-untyped-def]
    made = []
    for n in range(count):
        start = NOW - timedelta(days=n + 1)
        incident = services.declare_incident(
            world.tech, [world.a], f"Coupure n° {n}", "service", start, "Coupure."
        )
        made.append(
            services.resolve_incident(world.tech, incident, start + timedelta(hours=1), "Rétabli.")
        )
    return made


def test_it_pages_the_recent_incidents_with_their_count(world) -> None:
    resolved_incidents(world, 3)
    browser = tech_browser(world)
    first = browser.get("/exploitation/incidents/").content.decode()
    assert "3 incidents — page 1 / 2" in first and first.count("<h1>") == 1
    assert "Coupure n° 0" in first and "Coupure n° 2" not in first  # newest first
    second = browser.get("/exploitation/incidents/?page=2").content.decode()
    assert "page 2 / 2" in second and "Coupure n° 2" in second and "Coupure n° 0" not in second


def test_two_lists_on_one_page_keep_each_others_page(world) -> None:
    resolved_incidents(world, 3)
    for n in range(3):
        probe = Probe.objects.create(service=world.a, kind="http", target=f"https://x{n}.test/")
        ProbeStateChange.objects.create(probe=probe, at=NOW - timedelta(minutes=n), state="down")
    page = tech_browser(world).get(f"/exploitation/services/{world.a.pk}/?incidents=2")
    body = page.content.decode()
    assert "3 incidents — page 2 / 2" in body and "Coupure n° 2" in body
    assert "3 changements d&#x27;état — page 1 / 2" in body
    assert 'href="?incidents=2&amp;changements=2"' in body  # the next changes, same incidents


def test_it_pages_past_maintenances_and_update_announcements(world) -> None:
    for n in range(3):
        start = (NOW + timedelta(days=7 + n)).replace(hour=22)
        planned = services.plan_maintenance(
            world.tech, [world.a], f"Maintenance {n}", start, start + timedelta(hours=2), True
        )
        services.cancel_maintenance(world.tech, planned, "Reportée")
        services.announce_update(
            world.tech,
            "quadra-entreprise",
            "new-version",
            f"2027.{n}",
            NOW + timedelta(days=30 + n),
        )
    browser = tech_browser(world)
    maintenances = browser.get("/exploitation/maintenances/").content.decode()
    assert "3 maintenances — page 1 / 2" in maintenances and maintenances.count("<h1>") == 1
    updates = browser.get("/exploitation/mises-a-jour/?page=2").content.decode()
    assert "3 annonces — page 2 / 2" in updates and "2027.0" in updates and "2027.2" not in updates


@pytest.mark.parametrize("persona", ["user_a", "user_b"])
def test_a_client_never_reaches_the_paged_back_office_lists(world, persona) -> None:
    resolved_incidents(world, 3)
    client = Client()
    client.force_login(getattr(world.personas, persona))
    for url in ("/exploitation/incidents/?page=2", "/exploitation/maintenances/?page=2",
                "/exploitation/mises-a-jour/?page=2"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404 and "Coupure" not in response.content.decode()
