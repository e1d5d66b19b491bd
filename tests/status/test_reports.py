"""Monthly TD from the database (AVL-1..4), checked against numbers worked out by hand.

Quadra (Q art. 6): PRT = 07:00-20:00 Monday-Friday except public holidays, Paris time; target
99 %. November 2026 has 21 weekdays, one of them a holiday (Wednesday 11 November):
PRT = 20 days × 13 h = 15,600 minutes, so 156 minutes of counted downtime is exactly 99 %.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from livret.status import reports, services
from livret.status.models import Incident, Maintenance, MaintenanceKind, MaintenanceStatus
from livret.status.reports import availability_by_service, monthly_history, service_month_report
from tests.helpers.clock import MARTINIQUE, at

pytestmark = pytest.mark.django_db

NOW = at("2026-12-02 12:00")
NOV_PRT = 15_600.0


def incident(service, start: datetime, end: datetime | None, cause: str = "service") -> Incident:  # type: ignore[no-untyped-def]
    made = Incident.objects.create(
        title="Coupure",
        cause=cause,
        status="resolved" if end else "investigating",
        started_at=start,
        ended_at=end,
        created_at=start,
        updated_at=start,
    )
    made.services.set([service])
    return made


def maintenance(
    service,
    start: datetime,
    end: datetime | None,
    *,
    urgent: bool = False,  # type: ignore[no-untyped-def]
    status: str = MaintenanceStatus.COMPLETED,
) -> Maintenance:
    made = Maintenance.objects.create(
        title="Maintenance",
        kind=MaintenanceKind.URGENT if urgent else MaintenanceKind.PLANNED,
        announced_at=start,
        starts_at=start,
        ends_at=end or NOW,
        status=status,
        started_at=start if status != MaintenanceStatus.SCHEDULED else None,
        completed_at=end if status == MaintenanceStatus.COMPLETED else None,
        created_at=start,
    )
    made.services.set([service])
    return made


def empty_excluded(**minutes: float) -> dict[str, float]:
    out = dict.fromkeys(
        (
            "maintenance",
            "urgent-maintenance",
            "force-majeure",
            "client-equipment",
            "out-of-perimeter",
        ),
        0.0,
    )
    out.update({k.replace("_", "-"): v for k, v in minutes.items()})
    return out


CASES = [
    # (name, setup, counted minutes, excluded minutes by cause, TD, met)
    ("no downtime", lambda s: None, 0, {}, 100.0, True),
    (
        "two hours on a Tuesday morning",
        lambda s: incident(s, at("2026-11-17 10:00"), at("2026-11-17 12:00")),
        120,
        {},
        99.231,  # (15600 - 120) / 15600
        True,
    ),
    (
        "156 minutes is exactly the 99 % target",
        lambda s: incident(s, at("2026-11-17 10:00"), at("2026-11-17 12:36")),
        156,
        {},
        99.0,
        True,
    ),
    (
        "157 minutes misses it",
        lambda s: incident(s, at("2026-11-17 10:00"), at("2026-11-17 12:37")),
        157,
        {},
        98.994,
        False,
    ),
    (
        "only the part inside 07:00-20:00 counts",
        lambda s: incident(s, at("2026-11-18 19:00"), at("2026-11-18 21:00")),
        60,
        {},
        99.615,
        True,
    ),
    (
        "a weekend and a public holiday are outside PRT",
        lambda s: (
            incident(s, at("2026-11-21 09:00"), at("2026-11-22 18:00")),
            incident(s, at("2026-11-11 09:00"), at("2026-11-11 18:00")),
        ),
        0,
        {},
        100.0,
        True,
    ),
    (
        "an urgent maintenance inside an incident is excluded (AVL-3b)",
        lambda s: (
            incident(s, at("2026-11-17 10:00"), at("2026-11-17 12:00")),
            maintenance(s, at("2026-11-17 11:00"), at("2026-11-17 11:30"), urgent=True),
        ),
        90,
        {"urgent_maintenance": 30},
        99.423,
        True,
    ),
    (
        "overlapping incidents count once (AVL-3b)",
        lambda s: (
            incident(s, at("2026-11-17 10:00"), at("2026-11-17 12:00")),
            incident(s, at("2026-11-17 11:00"), at("2026-11-17 13:00")),
        ),
        180,
        {},
        98.846,
        False,
    ),
    (
        "every excluded cause of AVL-2",
        lambda s: (
            incident(s, at("2026-11-17 10:00"), at("2026-11-17 11:00"), "force-majeure"),
            incident(s, at("2026-11-18 10:00"), at("2026-11-18 10:20"), "client-equipment"),
            incident(s, at("2026-11-19 10:00"), at("2026-11-19 10:10"), "out-of-perimeter"),
            maintenance(s, at("2026-11-20 10:00"), at("2026-11-20 10:05")),
        ),
        0,
        {"force_majeure": 60, "client_equipment": 20, "out_of_perimeter": 10, "maintenance": 5},
        100.0,
        True,
    ),
    (
        "a cancelled or not yet started maintenance excludes nothing",
        lambda s: (
            incident(s, at("2026-11-17 10:00"), at("2026-11-17 11:00")),
            maintenance(
                s,
                at("2026-11-17 10:00"),
                at("2026-11-17 11:00"),
                status=MaintenanceStatus.CANCELLED,
            ),
            maintenance(
                s,
                at("2026-11-17 10:00"),
                at("2026-11-17 11:00"),
                status=MaintenanceStatus.SCHEDULED,
            ),
        ),
        60,
        {},
        99.615,
        True,
    ),
    (
        "an incident from October counts from 1 November only",
        lambda s: incident(s, at("2026-10-30 19:00"), at("2026-11-02 08:00")),
        60,
        {},
        99.615,
        True,
    ),
    (
        "an ongoing incident runs to the end of the month",
        lambda s: incident(s, at("2026-11-30 19:00"), None),
        60,
        {},
        99.615,
        True,
    ),
]


@pytest.mark.parametrize(
    ("name", "setup", "counted", "excluded", "td", "met"), CASES, ids=[c[0] for c in CASES]
)
def test_it_reports_the_month_of_a_quadra_service(world, name, setup, counted, excluded, td, met):
    setup(world.a)
    report = service_month_report(world.a.pk, 2026, 11, now=NOW)
    assert report.month == "2026-11"
    assert report.prt_minutes == NOV_PRT
    assert report.downtime_minutes == counted
    assert report.excluded_minutes == empty_excluded(**excluded)
    assert report.td == td
    assert report.target == 99.0
    assert report.met is met


def test_it_follows_a_reclassification(world) -> None:
    """AVL-2: the cause decides; changing it changes the month's TD."""
    found = incident(world.a, at("2026-11-17 10:00"), at("2026-11-17 13:00"))
    assert service_month_report(world.a.pk, 2026, 11, now=NOW).met is False
    services.reclassify_incident(world.tech, found, "client-equipment")
    report = service_month_report(world.a.pk, 2026, 11, now=NOW)
    assert (report.downtime_minutes, report.excluded_minutes["client-equipment"]) == (0, 180)
    assert report.met is True


def test_it_reads_prt_in_the_overseas_clients_own_time(world, contract_of) -> None:
    """AVL-1 (S art. 6): 07:00-20:00 in Martinique; target 99.85 %."""
    carrus = services.create_service(
        world.tech, contract_of("carrus-saas", territory="972"), name="S"
    )
    incident(carrus, at("2026-11-17 10:00", MARTINIQUE), at("2026-11-17 11:00", MARTINIQUE))
    incident(carrus, at("2026-11-18 10:00"), at("2026-11-18 11:00"))  # 05:00 in Martinique
    report = service_month_report(carrus.pk, 2026, 11, now=NOW)
    assert (report.prt_minutes, report.downtime_minutes) == (NOV_PRT, 60)
    assert (report.td, report.target, report.met) == (99.615, 99.85, False)


def test_it_counts_prt_in_local_time_across_the_march_dst_change(world) -> None:
    """March 2026 (clocks forward on Sunday 29): 22 weekdays × 13 h; Monday 30 March
    07:00-08:00 is 05:00-06:00 UTC and counts fully."""
    incident(world.a, at("2026-03-30 07:00"), at("2026-03-30 08:00"))
    incident(world.a, at("2026-03-29 01:00"), at("2026-03-29 04:00"))  # the short night: Sunday
    report = service_month_report(world.a.pk, 2026, 3, now=NOW)
    assert (report.prt_minutes, report.downtime_minutes) == (17_160, 60)


def test_it_counts_prt_in_local_time_across_the_october_dst_change(world) -> None:
    """October 2026 (clocks back on Sunday 25): 22 weekdays × 13 h; Monday 26 October
    19:30-20:30 Paris counts 30 minutes."""
    incident(world.a, at("2026-10-26 19:30"), at("2026-10-26 20:30"))
    incident(world.a, at("2026-10-25 01:00"), at("2026-10-25 04:00"))  # the long night: Sunday
    report = service_month_report(world.a.pk, 2026, 10, now=NOW)
    assert (report.prt_minutes, report.downtime_minutes) == (17_160, 30)


def test_it_refuses_an_unknown_service_and_an_acceptance_one(world, contract_of) -> None:
    with pytest.raises(LookupError, match="no service 999999"):
        service_month_report(999_999, 2026, 11)
    expert = contract_of(
        "expert-on-demand",
        formula="private",
        options=["personalised-update", "acceptance-environment"],
        named_users=320,
    )
    recette = services.create_service(world.tech, expert, name="Recette", environment="acceptance")
    with pytest.raises(reports.NotCounted, match="only production counts"):
        service_month_report(recette.pk, 2026, 11)
    assert availability_by_service([recette], 2026, 11) == {}


def test_it_gives_the_same_numbers_in_bulk_as_one_by_one(world, contract_of) -> None:
    carrus = services.create_service(
        world.tech, contract_of("carrus-saas", territory="972"), name="S"
    )
    incident(world.a, at("2026-11-17 10:00"), at("2026-11-17 12:00"))
    incident(world.b, at("2026-11-17 11:00"), at("2026-11-17 11:30"))
    maintenance(world.b, at("2026-11-17 11:15"), at("2026-11-17 11:45"), urgent=True)
    incident(carrus, at("2026-11-18 10:00", MARTINIQUE), None)
    everything = [world.a, world.b, carrus]
    bulk = availability_by_service(everything, 2026, 11, now=NOW)
    assert set(bulk) == {s.pk for s in everything}
    for service in everything:
        assert bulk[service.pk] == service_month_report(service.pk, 2026, 11, now=NOW)


def test_it_reads_the_whole_bulk_report_in_three_queries(world, django_assert_num_queries) -> None:
    incident(world.a, at("2026-11-17 10:00"), at("2026-11-17 12:00"))
    availability_by_service([world.a, world.b], 2026, 11, now=NOW)  # offers parsed once
    with django_assert_num_queries(3):
        availability_by_service([world.a, world.b], 2026, 11, now=NOW)


def test_it_gives_a_history_from_the_contract_start(world) -> None:
    """Personas' contracts start on 5 January 2026: at most the 11 months of 2026 so far."""
    incident(world.a, at("2026-11-17 10:00"), at("2026-11-17 12:00"))
    with time_machine.travel(at("2026-11-20 12:00"), tick=False):
        history = monthly_history(world.a, months=24)
    assert [h.month for h in history][:2] == ["2026-01", "2026-02"]
    assert history[-1].month == "2026-11" and len(history) == 11
    assert history[-1].downtime_minutes == 120
