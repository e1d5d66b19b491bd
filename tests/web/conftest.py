"""The demo, loaded into the test database at a fixed instant: every persona with data to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from tests.helpers.clock import at

DEMO_NOW = at("2026-12-02 10:00")  # a Wednesday: clocks run, the maintenance is ahead


@dataclass
class Demo:
    """The demo's people by role, and a few of its objects."""

    lead: Any
    technician: Any
    operator: Any
    client_admin: Any
    client_user: Any

    @property
    def everyone(self) -> dict[str, Any]:
        return {
            "lead": self.lead,
            "technician": self.technician,
            "operator": self.operator,
            "client-admin": self.client_admin,
            "client-user": self.client_user,
        }


@pytest.fixture
def demo(db) -> Any:  # type: ignore[no-untyped-def]
    """``livret demo``'s data (without the migrate step) at DEMO_NOW, the clock kept frozen."""
    from django.contrib.auth import get_user_model

    from livret.demo import _load_data, _load_requests
    from livret.monitoring.demo import load_monitoring_demo
    from livret.status.demo import load_status_demo

    with time_machine.travel(DEMO_NOW, tick=False):
        _load_data()
        _load_requests()
        load_status_demo()
        load_monitoring_demo()
        users = get_user_model().objects
        yield Demo(
            lead=users.get(username="admin"),
            technician=users.get(username="technicien"),
            operator=users.get(username="exploitation"),
            client_admin=users.get(username="martin"),
            client_user=users.get(username="durand"),
        )
