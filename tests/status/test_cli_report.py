"""``livret availability report --service ID --month YYYY-MM``: the monthly TD of a stored
service (AVL-3), run as a real subprocess on a SQLite database of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import run_livret

# A Quadra client (target 99 %), its production service with 157 minutes of counted downtime
# in November 2026 (PRT 15,600 min: 20 business days × 13 h) and 30 excluded minutes of urgent
# maintenance, plus an acceptance service on an E contract.
SETUP = """
from datetime import date, datetime
from zoneinfo import ZoneInfo
import time_machine
from django.contrib.auth import get_user_model
from livret.offers.services import import_builtin_presets, latest_version
from livret.status import services
from livret.tenants.models import Client, Membership
from livret.tenants.services import create_contract

paris = ZoneInfo("Europe/Paris")
import_builtin_presets()
client = Client.objects.create(name="Client A", slug="client-a")
quadra = create_contract(client=client, reference="Q-1",
    offer_version=latest_version("quadra-entreprise"), start_date=date(2026, 1, 5))
expert = create_contract(client=client, reference="E-1",
    offer_version=latest_version("expert-on-demand"), formula="private",
    options=["personalised-update", "acceptance-environment"], named_users=320,
    start_date=date(2026, 1, 5))
tech = get_user_model().objects.create_user("tech", password="x")
Membership.objects.create(user=tech, role="technician")
service = services.create_service(tech, quadra, name="Quadra A")
recette = services.create_service(tech, expert, name="Recette E", environment="acceptance")
with time_machine.travel(datetime(2026, 12, 2, 12, 0, tzinfo=paris), tick=False):
    found = services.declare_incident(tech, [service], "Coupure", "service",
        datetime(2026, 11, 17, 10, 0, tzinfo=paris), "Coupure.")
    services.resolve_incident(tech, found, datetime(2026, 11, 17, 12, 37, tzinfo=paris), "Fini.")
    services.plan_maintenance(tech, [service], "Correctif",
        datetime(2026, 11, 18, 10, 0, tzinfo=paris), datetime(2026, 11, 18, 10, 30, tzinfo=paris),
        True, urgent=True)
print(service.pk, recette.pk)
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    path = tmp_path_factory.mktemp("status-cli")
    migrated = run_livret("manage", "migrate", "--verbosity", "0", data_dir=path)
    assert migrated.returncode == 0, migrated.stderr
    made = run_livret("manage", "shell", "-c", SETUP, data_dir=path)
    assert made.returncode == 0, made.stderr
    service, recette = map(int, made.stdout.strip().splitlines()[-1].split())
    return path, service, recette


def test_it_reports_a_stored_services_month_as_json(database) -> None:
    path, service, _ = database
    result = run_livret(
        "availability",
        "report",
        "--service",
        str(service),
        "--month",
        "2026-11",
        "--json",
        data_dir=path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "month": "2026-11",
        "prt_minutes": 15600.0,
        "downtime_minutes": 157.0,
        "excluded_minutes": {
            "maintenance": 0.0,
            "urgent-maintenance": 30.0,
            "force-majeure": 0.0,
            "client-equipment": 0.0,
            "out-of-perimeter": 0.0,
        },
        "td": 98.994,  # (15600 - 157) / 15600, three decimals
        "target": 99.0,
        "met": False,
    }


def test_it_prints_the_month_for_people(database) -> None:
    path, service, _ = database
    result = run_livret(
        "availability", "report", "--service", str(service), "--month", "2026-11", data_dir=path
    )
    assert result.returncode == 0, result.stderr
    assert "TD = 98.994 %" in result.stdout and "objectif 99 %" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--service", "999999", "--month", "2026-11"], "no service 999999"),
        (["--service", "{recette}", "--month", "2026-11"], "only production counts"),
        (["--service", "{service}", "--month", "2026-13"], "--month"),
        # issue 13, item 5: far months are refused at once, naming --month and the range
        (["--service", "{service}", "--month", "9999-12"], "--month 9999-12: year must be"),
        (["--service", "{service}", "--month", "0001-01"], "--month 0001-01: year must be"),
        (["--service", "{service}", "--month", "5000-01"], "--month 5000-01: year must be"),
        (["--service", "{service}", "--month", "2024-12"], "entre 2025-01 et 2027-12"),
    ],
)
def test_it_refuses_bad_input_in_one_line(database, arguments, message) -> None:
    path, service, recette = database
    filled = [a.format(service=service, recette=recette) for a in arguments]
    result = run_livret("availability", "report", *filled, data_dir=path)
    assert result.returncode == 2
    assert result.stderr.startswith("livret: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # no traceback
