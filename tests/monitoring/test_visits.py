"""MON-4 set-up length and MON-5 preventive visits, with the PreventCare seed's numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from livret.core.calendar import calendar_for
from livret.errors import NotAllowed, ServiceError
from livret.monitoring import services
from livret.monitoring.models import PreventiveVisit, Server
from tests.helpers.monitoring import preventcare_site

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _hosts(n: int) -> tuple[str, ...]:
    return tuple(f"srv-{i:02d}" for i in range(1, n + 1))


@pytest.mark.parametrize(("servers", "visits"), [(1, 2), (2, 3), (3, 4), (5, 6)])
def test_it_plans_two_visits_a_year_plus_one_per_server_beyond_the_first(
    personas, versions, servers, visits
):  # type: ignore[no-untyped-def]
    """MON-5: 1 server → 2 visits, 3 servers → 4; spread over the year on business days."""
    monitored = preventcare_site(versions, personas.client_a, hostnames=_hosts(servers))

    planned = services.plan_visits(monitored.site, 2026)

    days = [v.planned_for for v in planned]
    assert len(days) == visits
    assert days == sorted(set(days))
    assert all(date(2026, 1, 5) <= d <= date(2026, 12, 31) for d in days)
    calendar = calendar_for(versions["preventcare"].offer, "support")
    assert all(calendar.is_business_day(d) for d in days)
    # spread: each half of the year gets its share
    assert sum(d.month <= 6 for d in days) in (visits // 2, (visits + 1) // 2)


def test_it_plans_only_the_missing_visits(personas, versions):  # type: ignore[no-untyped-def]
    monitored = preventcare_site(versions, personas.client_a, hostnames=_hosts(1))
    services.plan_visits(monitored.site, 2026)
    assert services.plan_visits(monitored.site, 2026) == []

    Server.objects.create(site=monitored.site, hostname="srv-new")
    added = services.plan_visits(monitored.site, 2026)

    assert len(added) == 1
    assert PreventiveVisit.objects.filter(site=monitored.site, year=2026).count() == 3


def test_it_plans_from_the_contract_start(personas, versions):  # type: ignore[no-untyped-def]
    monitored = preventcare_site(
        versions, personas.client_a, hostnames=_hosts(1), start=date(2026, 9, 1)
    )
    planned = services.plan_visits(monitored.site, 2026)
    assert all(v.planned_for >= date(2026, 9, 1) for v in planned)
    with pytest.raises(ServiceError) as refused:
        services.plan_visits(monitored.site, 2025)
    assert refused.value.field == "year"


def test_it_refuses_to_plan_a_site_without_server(personas, versions):  # type: ignore[no-untyped-def]
    monitored = preventcare_site(versions, personas.client_a, hostnames=())
    with pytest.raises(ServiceError) as refused:
        services.plan_visits(monitored.site, 2026)
    assert refused.value.field == "servers"


def test_it_appends_each_report_to_the_technical_document(personas, versions):  # type: ignore[no-untyped-def]
    """MON-5: the visit report is added to the site's technical document, with date and author."""
    monitored = preventcare_site(versions, personas.client_a, hostnames=_hosts(1))
    personas.technician.first_name, personas.technician.last_name = "Léa", "Girard"
    personas.technician.save()
    first, second = services.plan_visits(monitored.site, 2026)

    services.record_visit(personas.technician, first, date(2026, 5, 12), "Disques OK.", now=NOW)
    services.record_visit(
        personas.technician, second, date(2026, 11, 3), "Onduleur à changer.", now=NOW
    )

    monitored.site.refresh_from_db()
    section = monitored.site.technical_document["Visites préventives"]
    assert section == (
        "Visite du 12/05/2026 — Léa Girard\nDisques OK.\n\n"
        "Visite du 03/11/2026 — Léa Girard\nOnduleur à changer."
    )
    names = [name for name, _ in services.document_sections(monitored.site)]
    assert names[-1] == "Visites préventives"  # after the offer's 13 sections
    assert len(names) == 14
    first.refresh_from_db()
    assert first.done_on == date(2026, 5, 12) and first.technician == personas.technician


def test_it_refuses_a_second_report_a_future_date_and_a_client(personas, versions):  # type: ignore[no-untyped-def]
    monitored = preventcare_site(versions, personas.client_a, hostnames=_hosts(1))
    visit, _ = services.plan_visits(monitored.site, 2026)
    with pytest.raises(NotAllowed):
        services.record_visit(personas.user_a, visit, date(2026, 5, 12), "x", now=NOW)
    with pytest.raises(ServiceError) as refused:
        services.record_visit(personas.technician, visit, date(2026, 12, 1), "x", now=NOW)
    assert refused.value.field == "done_on"
    services.record_visit(personas.technician, visit, date(2026, 5, 12), "x", now=NOW)
    with pytest.raises(ServiceError) as refused:
        services.record_visit(personas.technician, visit, date(2026, 5, 13), "y", now=NOW)
    assert refused.value.field == "visit"


@pytest.mark.parametrize(
    ("users", "servers", "days"),
    [(1, 1, 1), (9, 2, 1), (9, 3, 2), (10, 1, 2), (49, 5, 2), (50, 1, None)],
)
def test_it_computes_the_setup_length_from_the_offers_tiers(
    personas, versions, users, servers, days
):  # type: ignore[no-untyped-def]
    """MON-4: 1 day for 1-9 users and at most 2 servers, 2 days for 10-49 users or 3+ servers,
    quoted from 50 users."""
    monitored = preventcare_site(
        versions, personas.client_a, hostnames=_hosts(servers), users=users
    )
    assert services.setup_length(monitored.site) == days
