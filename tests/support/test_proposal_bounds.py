"""Issue 13, item 7: a billable proposal's amount and credits are bounded in the service, so
the page and the API refuse the same values, naming the field; an ``inf`` already stored is
repaired by a data migration."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client

from livret.accounts.services import create_token
from livret.support import services
from livret.support.models import BillableProposal, Request
from tests.helpers.clock import at
from tests.helpers.support import anomaly

pytestmark = pytest.mark.django_db
repair = importlib.import_module("livret.support.migrations.0007_repair_proposal_amounts").repair


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(at("2026-11-19 10:00"), tick=False):
        yield


@pytest.fixture
def request_a(personas: Any) -> Request:
    return services.file_request(
        filer=personas.user_a, contract=personas.client_a.contracts.get(), new=anomaly()
    )


def api_post(client: Client, user: Any, path: str, body: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {create_token(user, 'tests')}"}
    return client.post(
        f"/api{path}", json.dumps(body), content_type="application/json", headers=headers
    )


BAD = [
    ({"amount_eur": "1000000.01"}, "amount_eur", "montant : entre 0,01 et 1 000 000 € HT"),
    ({"amount_eur": "0"}, "amount_eur", "montant : entre 0,01 et 1 000 000 € HT"),
    ({"credits": 0}, "credits", "crédits : un nombre entier de 1 à 10000"),
    ({"credits": 10_001}, "credits", "crédits : un nombre entier de 1 à 10000"),
]


@pytest.mark.parametrize(("extra", "field", "message"), BAD)
def test_the_api_refuses_an_amount_or_credits_out_of_bounds(
    client, personas, request_a, extra, field, message
) -> None:
    body = {"service": "formation", "description": "Une demi-journée", **extra}
    response = api_post(client, personas.technician, f"/requests/{request_a.number}/proposal", body)
    assert response.status_code == 400, response.content
    assert (response.json()["field"], response.json()["message"]) == (field, message)
    assert not BillableProposal.objects.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"amount_eur": "1e400"}, "montant : entre 0,01 et 1 000 000 € HT"),
        ({"amount_eur": "12.345"}, "montant : deux décimales au plus"),
        *[(extra, message) for extra, _, message in BAD],
    ],
)
def test_the_page_refuses_an_amount_or_credits_out_of_bounds(
    client, personas, request_a, extra, message
) -> None:
    client.force_login(personas.technician)
    data = {"service": "formation", "description": "Une demi-journée", **extra}
    page = client.post(f"/demandes/{request_a.number}/proposition/", data, follow=True)
    assert page.status_code == 200
    assert message.replace("'", "&#x27;") in page.content.decode()
    assert not BillableProposal.objects.exists()
    detail = client.get(f"/api/requests/{request_a.number}")
    assert detail.status_code == 200


def test_the_page_accepts_an_amount_in_bounds(client, personas, request_a) -> None:
    client.force_login(personas.technician)
    data = {"service": "formation", "description": "Une demi-journée", "amount_eur": "1000000"}
    client.post(f"/demandes/{request_a.number}/proposition/", data)
    assert str(BillableProposal.objects.get().amount_eur) == "1000000.00"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite could store inf")
def test_the_migration_repairs_an_inf_already_stored(client, personas, request_a) -> None:
    services.propose_billable(
        request_a, personas.technician, service="formation", description="x", amount_eur="450"
    )
    table = BillableProposal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET amount_eur = 9e999")  # inf, as 1e400 stored
    repair(apps, None)
    assert BillableProposal.objects.get().amount_eur is None
    client.force_login(personas.technician)
    assert client.get(f"/api/requests/{request_a.number}").status_code == 200
