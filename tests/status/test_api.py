"""The status JSON API with three personas: client A's user, client B's user, a technician.
Another client's service or incident is 404; writes are the vendor's; refusals name the field."""

from __future__ import annotations

import time
from typing import Any

import pytest
import time_machine
from ninja import NinjaAPI
from ninja.testing import TestClient

from livret.accounts.services import create_token
from livret.api import errors
from livret.status import services
from livret.status.api import router
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

api = NinjaAPI(urls_namespace="status-api-test")
errors.install(api)
api.add_router("/status/", router, url_name_prefix="status-api-test")
client = TestClient(api)


@pytest.fixture(autouse=True)
def frozen_clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        yield


def call(user: Any, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {create_token(user)}"}
    return getattr(client, method)(path, headers=headers, **kwargs)


@pytest.fixture
def incident_a(world):  # type: ignore[no-untyped-def]
    return services.declare_incident(
        world.tech, [world.a], "Coupure A", "service", at("2026-11-16 08:00"), "Coupure."
    )


def test_it_lists_each_callers_own_services(world) -> None:
    def names(user: Any) -> set[str]:
        response = call(user, "get", "/status/services")
        assert response.status_code == 200
        return {s["name"] for s in response.json()}

    assert names(world.personas.user_a) == {"Quadra — Client A"}
    assert names(world.personas.user_b) == {"Quadra — Client B"}
    assert names(world.tech) == {"Quadra — Client A", "Quadra — Client B"}


def test_it_gives_a_months_availability_to_its_client_only(world, incident_a) -> None:
    services.resolve_incident(world.tech, incident_a, at("2026-11-16 08:30"), "Fini.")
    url = f"/status/services/{world.a.pk}/availability?month=2026-11"
    mine = call(world.personas.user_a, "get", url)
    assert mine.status_code == 200
    body = mine.json()
    assert (body["prt_minutes"], body["downtime_minutes"], body["td"]) == (15600.0, 30.0, 99.808)
    assert (body["target"], body["met"]) == (99.0, True)
    assert call(world.personas.user_b, "get", url).status_code == 404
    assert call(world.tech, "get", url).status_code == 200
    bad = call(world.personas.user_a, "get", url.replace("2026-11", "2026-13"))
    assert bad.status_code == 400 and bad.json()["field"] == "month"


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "5000-01", "2024-12", "2028-01"])
def test_it_refuses_a_month_out_of_the_contracts_years_at_once(world, month) -> None:
    """issue 13, item 5: 9999-12 and 0001-01 were 500s, 5000-01 held a worker for 45 s."""
    started = time.monotonic()
    url = f"/status/services/{world.a.pk}/availability?month={month}"
    refused = call(world.personas.user_a, "get", url)
    assert time.monotonic() - started < 2
    assert refused.status_code == 400
    assert refused.json()["field"] == "month"
    assert "entre 2025-01 et 2027-12" in refused.json()["message"]
    for accepted in ("2025-01", "2027-12"):
        url = f"/status/services/{world.a.pk}/availability?month={accepted}"
        assert call(world.personas.user_a, "get", url).status_code == 200


def test_it_shows_incidents_only_to_the_clients_they_touch(world, incident_a) -> None:
    titles_b = [i["title"] for i in call(world.personas.user_b, "get", "/status/incidents").json()]
    assert titles_b == []
    mine = call(world.personas.user_a, "get", "/status/incidents").json()
    assert [i["title"] for i in mine] == ["Coupure A"] and mine[0]["counted"] is True
    resolve = f"/status/incidents/{incident_a.pk}/resolve"
    payload = {"ended_at": "2026-11-16T08:30:00+01:00", "message": "fini"}
    assert call(world.personas.user_b, "post", resolve, json=payload).status_code == 404
    assert call(world.personas.user_a, "post", resolve, json=payload).status_code == 403
    assert call(world.tech, "post", resolve, json=payload).status_code == 200


def test_it_lets_the_vendor_declare_and_names_the_bad_field(world) -> None:
    payload = {
        "services": [world.a.pk],
        "title": "Coupure",
        "cause": "service",
        "started_at": "2026-11-16T08:00:00+01:00",
        "message": "Coupure.",
    }
    assert call(world.personas.user_a, "post", "/status/incidents", json=payload).status_code == 403
    created = call(world.tech, "post", "/status/incidents", json=payload)
    assert created.status_code == 201 and created.json()["status"] == "investigating"
    future = call(
        world.tech,
        "post",
        "/status/incidents",
        json={**payload, "started_at": "2026-11-16T10:00:00+01:00"},
    )
    assert future.status_code == 400 and future.json()["field"] == "started_at"
    unknown = call(world.tech, "post", "/status/incidents", json={**payload, "cause": "panne"})
    assert unknown.status_code == 422 and "cause" in unknown.json()["message"]


INCIDENT = {"title": "Coupure", "cause": "service", "message": "Coupure."}
PLAN = {"title": "Migration", "blocking": True}


@pytest.mark.parametrize("year", ["9999", "0001"])
@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/status/incidents", {**INCIDENT, "started_at": "{y}-11-16T08:00:00+01:00"}, "started_at"),
        (
            "/status/incidents/{incident}/resolve",
            {"ended_at": "{y}-11-16T08:30:00+01:00", "message": "fini"},
            "ended_at",
        ),
        (
            "/status/maintenances",
            {
                **PLAN,
                "starts_at": "{y}-11-18T22:00:00+01:00",
                "ends_at": "2026-11-18T23:00:00+01:00",
            },
            "starts_at",
        ),
        (
            "/status/maintenances",
            {
                **PLAN,
                "starts_at": "2026-11-18T22:00:00+01:00",
                "ends_at": "{y}-11-18T23:00:00+01:00",
            },
            "ends_at",
        ),
    ],
)
def test_it_refuses_an_instant_out_of_the_calendar_years(
    world, incident_a, year, path, payload, field
) -> None:
    """issue 13, item 6: year 9999 or 0001 in an incident or a maintenance was a 500."""
    body = {k: v.replace("{y}", year) if isinstance(v, str) else v for k, v in payload.items()}
    body["services"] = [world.a.pk]
    response = call(world.tech, "post", path.format(incident=incident_a.pk), json=body)
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["message"] == f"{field} : la date doit être entre 1901 et 2199"


def test_it_refuses_a_plan_with_the_rules_and_the_next_start(world) -> None:
    """MNT-1: blocking work at 20:30 on a weekday → 409, next start 22:00."""
    payload = {
        "services": [world.a.pk],
        "title": "Migration",
        "starts_at": "2026-11-18T20:30:00+01:00",
        "ends_at": "2026-11-18T21:30:00+01:00",
        "blocking": True,
    }
    refused = call(world.tech, "post", "/status/maintenances", json=payload)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "maintenance-refused"
    assert [v["code"] for v in body["violations"]] == ["blocking-too-early"]
    assert body["next_allowed_start"] == "2026-11-18T22:00:00+01:00"
    urgent = call(world.tech, "post", "/status/maintenances", json={**payload, "urgent": True})
    assert urgent.status_code == 201 and urgent.json()["kind"] == "urgent"
    seen_b = call(world.personas.user_b, "get", "/status/maintenances").json()
    assert seen_b == []
