"""The availability demo (``livret.status.demo``): idempotent, public labels never name a client,
the maintenance respects the window and the 48 h notice (MNT-1, MNT-2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from livret.status.demo import load_status_demo
from livret.status.models import (
    Incident,
    IncidentStatus,
    Maintenance,
    Probe,
    Service,
    UpdateAnnouncement,
)
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


def test_it_loads_the_status_demo_once(db) -> None:
    from livret.demo import _load_data

    with time_machine.travel(at("2026-11-30 16:00"), tick=False):
        _load_data()
        first = load_status_demo()
        assert load_status_demo() == first  # idempotent
    assert Service.objects.count() == 4  # Q, E (+ acceptance), S; none for P and C
    for service in Service.objects.filter(public=True).select_related("contract__client"):
        assert service.contract.client.name not in service.public_label
    assert set(Probe.objects.values_list("kind", flat=True)) == {"http", "tcp"}
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED and incident.updates.count() == 4
    maintenance = Maintenance.objects.get()
    assert maintenance.starts_at - maintenance.announced_at >= timedelta(hours=48)
    assert maintenance.starts_at == at("2026-12-03 22:00")  # first 22:00 after three days
    assert UpdateAnnouncement.objects.get(version_label="2027.1").agreed_dates.count() == 1
