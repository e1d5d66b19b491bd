"""Maintenance planning through the service layer (MNT-1, MNT-2): each service's contract offer
and territory decide; a refusal names the broken rule and proposes the next allowed start."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
import time_machine

from livret.errors import NotAllowed, ServiceError, WrongState
from livret.status import services
from livret.status.models import MaintenanceKind, MaintenanceStatus, ServiceState, StatusEvent
from livret.status.services import MaintenanceRefused
from livret.status.services import maintenance as maintenance_services
from tests.helpers.clock import MARTINIQUE, at

pytestmark = pytest.mark.django_db


def plan(world, start: datetime, end: datetime, *, blocking: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    target = kwargs.pop("services", [world.a])
    return services.plan_maintenance(
        world.tech, target, "Montée de version", start, end, blocking, "Mise à jour.", **kwargs
    )


@pytest.fixture
def carrus_972(world, contract_of):  # type: ignore[no-untyped-def]
    """S (carrus-saas) for a client in Martinique: the window is read in its own zone."""
    return services.create_service(
        world.tech, contract_of("carrus-saas", territory="972"), name="S"
    )


def test_it_refuses_blocking_work_at_20_30_on_a_weekday_and_proposes_22_00(world) -> None:
    """MNT-1 (Q art. 5): no blocking work before 22:00 on weekdays."""
    with (
        time_machine.travel(at("2026-11-16 09:00"), tick=False),
        pytest.raises(MaintenanceRefused) as refused,
    ):
        plan(world, at("2026-11-18 20:30"), at("2026-11-18 21:30"), blocking=True)
    error = refused.value
    assert [v["code"] for v in error.violations] == ["blocking-too-early"]
    assert error.next_allowed_start == at("2026-11-18 22:00")
    assert error.field == "starts_at" and error.status == 409
    assert "22:00" in error.message
    assert "Prochain début possible : 18/11/2026 22:00 (Europe/Paris)" in error.message
    assert not StatusEvent.objects.exists()


def test_it_accepts_non_blocking_work_at_20_30_on_a_weekday(world) -> None:
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        maintenance = plan(world, at("2026-11-18 20:30"), at("2026-11-18 21:30"))
    assert maintenance.status == MaintenanceStatus.SCHEDULED
    assert maintenance.kind == MaintenanceKind.PLANNED
    event = StatusEvent.objects.get()
    assert (event.kind, event.maintenance, event.public) == (
        "maintenance.planned",
        maintenance,
        True,
    )
    assert event.data["starts_at"] == at("2026-11-18 20:30").isoformat()


def test_it_refuses_a_plan_announced_47_hours_ahead(world) -> None:
    """MNT-2: 48 hours' notice; the proposal is the first start after the notice, with time to
    send the plan again (tests/status/test_maintenance_proposal.py)."""
    with (
        time_machine.travel(at("2026-11-19 23:00"), tick=False),
        pytest.raises(MaintenanceRefused) as refused,
    ):
        plan(world, at("2026-11-21 22:00"), at("2026-11-21 23:00"))
    assert [v["code"] for v in refused.value.violations] == ["notice"]
    assert "préavis insuffisant" in refused.value.message
    # 48 h after the announcement, plus the minutes left to send the plan again (issue 12)
    assert refused.value.next_allowed_start == at("2026-11-21 23:05")


def test_it_reads_the_window_in_the_overseas_clients_own_time(world, carrus_972) -> None:
    """MNT-1 (S art. 5): every night 00:00-07:00 in Martinique time."""
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        ok = plan(
            world,
            at("2026-11-19 02:00", MARTINIQUE),
            at("2026-11-19 04:00", MARTINIQUE),
            services=[carrus_972],
        )
        assert ok.starts_at == at("2026-11-19 07:00")  # 02:00 in Martinique, 07:00 in Paris
        with pytest.raises(MaintenanceRefused) as refused:
            # 02:00 in Paris is 21:00 the evening before in Martinique: outside the window
            plan(world, at("2026-11-19 02:00"), at("2026-11-19 04:00"), services=[carrus_972])
    assert [v["code"] for v in refused.value.violations] == ["outside-window"]
    assert refused.value.next_allowed_start == at("2026-11-19 00:00", MARTINIQUE)
    assert "19/11/2026 00:00 (America/Martinique)" in refused.value.message


def test_it_proposes_a_start_every_service_allows(world, carrus_972) -> None:
    """Q wants 22:00 for blocking work, S (Martinique) a night there: Thursday 05:00 Paris."""
    with (
        time_machine.travel(at("2026-11-16 09:00"), tick=False),
        pytest.raises(MaintenanceRefused) as refused,
    ):
        plan(
            world,
            at("2026-11-18 20:30"),
            at("2026-11-18 21:00"),
            blocking=True,
            services=[world.a, carrus_972],
        )
    codes = sorted(v["code"] for v in refused.value.violations)
    assert codes == ["blocking-too-early", "outside-window"]
    assert refused.value.next_allowed_start == at("2026-11-19 05:00")


def test_it_accepts_urgent_maintenance_at_any_time_and_records_it_as_urgent(world) -> None:
    """MNT-2: urgent maintenance at any time, no notice, even blocking in working hours."""
    with time_machine.travel(at("2026-11-17 10:00"), tick=False):
        maintenance = plan(
            world, at("2026-11-17 10:30"), at("2026-11-17 11:00"), blocking=True, urgent=True
        )
    assert maintenance.kind == MaintenanceKind.URGENT
    assert maintenance.status == MaintenanceStatus.SCHEDULED


def test_it_records_an_urgent_maintenance_after_the_fact(world) -> None:
    with time_machine.travel(at("2026-11-17 12:00"), tick=False):
        maintenance = plan(world, at("2026-11-17 09:00"), at("2026-11-17 09:45"), urgent=True)
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert (maintenance.started_at, maintenance.completed_at) == (
        at("2026-11-17 09:00"),
        at("2026-11-17 09:45"),
    )
    assert list(
        StatusEvent.objects.filter(maintenance=maintenance)
        .order_by("pk")
        .values_list("kind", flat=True)
    ) == [
        "maintenance.planned",
        "maintenance.started",
        "maintenance.completed",
    ]


def test_it_starts_and_completes_maintenance_on_the_worker_clock(world) -> None:
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        maintenance = plan(world, at("2026-11-21 10:00"), at("2026-11-21 12:00"))
    assert services.advance_maintenances(at("2026-11-21 09:59")) == 0
    assert services.advance_maintenances(at("2026-11-21 10:00")) == 1
    maintenance.refresh_from_db()
    world.a.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    assert world.a.state == ServiceState.MAINTENANCE
    assert services.advance_maintenances(at("2026-11-21 10:01")) == 0  # never twice
    assert services.advance_maintenances(at("2026-11-21 12:03")) == 1
    maintenance.refresh_from_db()
    world.a.refresh_from_db()
    assert maintenance.status == MaintenanceStatus.COMPLETED
    assert maintenance.completed_at == at("2026-11-21 12:00")  # the planned end
    assert world.a.state == ServiceState.OPERATIONAL
    kinds = list(StatusEvent.objects.values_list("kind", flat=True))
    assert kinds == [
        "maintenance.planned",
        "maintenance.started",
        "service.state",
        "maintenance.completed",
        "service.state",
    ]


def test_it_logs_a_maintenance_the_clock_cannot_move_and_moves_the_others(
    world, monkeypatch, caplog
) -> None:
    """One bad row never stops the clock: it is logged and left for the next run."""
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        broken, *others = [
            plan(world, at("2026-11-21 10:00"), at("2026-11-21 12:00"), services=[service])
            for service in (world.a, world.b, world.a)
        ]
    real_move = maintenance_services._move

    def move(maintenance, *args):  # type: ignore[no-untyped-def]
        if maintenance.pk == broken.pk:
            raise RuntimeError("boom")
        real_move(maintenance, *args)

    monkeypatch.setattr(maintenance_services, "_move", move)
    with caplog.at_level(logging.ERROR, logger="livret.status.maintenance"):
        assert services.advance_maintenances(at("2026-11-21 10:00")) == 2
    assert f"maintenance {broken.pk}: could not be started" in caplog.text
    for maintenance in others:
        maintenance.refresh_from_db()
        assert maintenance.status == MaintenanceStatus.IN_PROGRESS
    broken.refresh_from_db()
    assert broken.status == MaintenanceStatus.SCHEDULED

    monkeypatch.setattr(maintenance_services, "_move", real_move)
    assert services.advance_maintenances(at("2026-11-21 10:01")) == 1  # retried at the next run
    broken.refresh_from_db()
    assert (broken.status, broken.started_at) == (
        MaintenanceStatus.IN_PROGRESS,
        at("2026-11-21 10:00"),
    )


def test_it_never_starts_a_planned_maintenance_before_its_announced_start(world) -> None:
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        maintenance = plan(world, at("2026-11-21 10:00"), at("2026-11-21 12:00"))
    with pytest.raises(ServiceError) as early:
        services.start_maintenance(world.tech, maintenance, at=at("2026-11-21 09:00"))
    assert early.value.code == "too-early"
    services.start_maintenance(world.tech, maintenance, at=at("2026-11-21 10:05"))
    services.complete_maintenance(world.tech, maintenance, at=at("2026-11-21 11:00"))
    maintenance.refresh_from_db()
    assert (maintenance.started_at, maintenance.completed_at) == (
        at("2026-11-21 10:05"),
        at("2026-11-21 11:00"),
    )


def test_it_cancels_only_a_scheduled_maintenance(world) -> None:
    with time_machine.travel(at("2026-11-16 09:00"), tick=False):
        maintenance = plan(world, at("2026-11-21 10:00"), at("2026-11-21 12:00"))
        services.cancel_maintenance(world.tech, maintenance, "Reportée.")
        with pytest.raises(WrongState):
            services.cancel_maintenance(world.tech, maintenance)
    assert StatusEvent.objects.filter(kind="maintenance.cancelled").get().body == "Reportée."
    assert services.advance_maintenances(at("2026-11-21 10:00")) == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (at("2026-11-21 12:00"), at("2026-11-21 10:00"), "ends_at"),
        (datetime(2026, 11, 21, 10), datetime(2026, 11, 21, 12), "starts_at"),  # naive
    ],
)
def test_it_names_the_field_of_a_bad_plan(world, start, end, field) -> None:
    with (
        time_machine.travel(at("2026-11-16 09:00"), tick=False),
        pytest.raises(ServiceError) as refused,
    ):
        plan(world, start, end)
    assert refused.value.field == field


def test_it_lets_only_vendor_staff_plan(world) -> None:
    with pytest.raises(NotAllowed):
        services.plan_maintenance(
            world.personas.user_a,
            [world.a],
            "x",
            at("2026-11-21 10:00"),
            at("2026-11-21 11:00"),
            False,
        )


def test_it_counts_the_notice_in_real_hours_across_the_march_dst_change(world) -> None:
    """Sunday 29 March 2026 loses an hour: Friday 10:00 to Sunday 10:00 is 47 real hours."""
    with (
        time_machine.travel(at("2026-03-27 10:00"), tick=False),
        pytest.raises(MaintenanceRefused) as refused,
    ):
        plan(world, at("2026-03-29 10:00"), at("2026-03-29 11:00"))
    assert [v["code"] for v in refused.value.violations] == ["notice"]
    assert refused.value.next_allowed_start == at("2026-03-29 11:05")  # 48 real hours + 5 min


def test_it_counts_the_notice_in_real_hours_across_the_october_dst_change(world) -> None:
    """Sunday 25 October 2026 gains an hour: Friday 10:00 to Sunday 09:00 is 48 real hours."""
    with time_machine.travel(at("2026-10-23 10:00"), tick=False):
        maintenance = plan(world, at("2026-10-25 09:00"), at("2026-10-25 10:00"))
    assert maintenance.status == MaintenanceStatus.SCHEDULED
