"""Idempotent filing: ``POST /api/requests`` with an ``Idempotency-Key`` (issue 13, item 15).

A client that lost the answer to a filing sends it again with the same key: it gets the first
answer back and nothing is filed twice, even when both calls arrive at the same moment.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from livret.accounts.services import create_token
from livret.mail.models import OutgoingMail
from livret.support.jobs import run_purge_keys
from livret.support.models import IdempotencyKey, Request
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


def body_for(contract: Any, title: str = "Export FEC en erreur") -> dict[str, Any]:
    return {"contract_id": contract.pk, "kind": "anomaly", "title": title, "description": "E-17"}


def post(token: str, body: dict[str, Any], key: str | None = None) -> Any:
    """``POST /api/requests`` from a fresh test client (one per call, like two retries)."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return Client().post(
        "/api/requests", json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """Thursday 19 November 2026, 10:00 in Paris, frozen."""
    with time_machine.travel(at("2026-11-19 10:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def token_a(personas) -> str:  # type: ignore[no-untyped-def]
    return create_token(personas.user_a, "tests")


def test_the_same_key_twice_files_one_request_and_answers_the_same(
    personas, token_a, clock
) -> None:
    """Issue 13, item 15: a retried filing replays the first answer and files nothing."""
    body = body_for(personas.client_a.contracts.get())
    first = post(token_a, body, key="retry-42")
    clock.shift(timedelta(minutes=5))
    again = post(token_a, body, key="retry-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Request.objects.count() == 1
    assert OutgoingMail.objects.filter(reason="acknowledgement").count() == 1


def test_the_same_key_with_another_body_is_refused(personas, token_a, clock) -> None:
    """Issue 13, item 15: a key names one filing; another body with it is a client bug."""
    contract = personas.client_a.contracts.get()
    assert post(token_a, body_for(contract), key="k-1").status_code == 201
    response = post(token_a, body_for(contract, "Autre chose"), key="k-1")
    assert response.status_code == 409
    error = response.json()
    assert (error["code"], error["field"]) == ("idempotency-key-reused", "Idempotency-Key")
    assert "déjà servi" in error["message"]
    assert Request.objects.count() == 1


def test_without_a_key_every_call_files_a_request(personas, token_a, clock) -> None:
    """Issue 13, item 15: without the header nothing changes."""
    body = body_for(personas.client_a.contracts.get())
    assert [post(token_a, body).status_code for _ in range(2)] == [201, 201]
    assert Request.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_another_user_with_the_same_key_files_its_own_request(personas, token_a, clock) -> None:
    """Issue 13, item 15: keys belong to their user."""
    token_b = create_token(personas.user_b, "tests")
    first = post(token_a, body_for(personas.client_a.contracts.get()), key="k-1")
    second = post(token_b, body_for(personas.client_b.contracts.get()), key="k-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]
    assert Request.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "clé-1", "deux mots", "tab\tkey"])
def test_a_malformed_key_is_refused_naming_the_header(personas, token_a, clock, key) -> None:
    """Issue 13, item 15: 1 to 200 printable ASCII characters, else 400 and nothing filed."""
    response = post(token_a, body_for(personas.client_a.contracts.get()), key=key)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["field"] == "Idempotency-Key"
    assert "1 à 200 caractères ASCII" in error["message"]
    assert not Request.objects.exists()


def test_a_key_is_forgotten_after_24_hours(personas, token_a, clock) -> None:
    """Issue 13, item 15: past 24 hours the same key files anew; the hourly job purges it."""
    body = body_for(personas.client_a.contracts.get())
    assert post(token_a, body, key="k-1").status_code == 201
    clock.shift(timedelta(hours=24, seconds=1))
    assert post(token_a, body, key="k-1").status_code == 201
    assert Request.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1
    run_purge_keys(at("2026-11-21 09:59"))  # the second key is not 24 hours old yet
    assert IdempotencyKey.objects.count() == 1
    run_purge_keys(at("2026-11-21 10:01"))
    assert not IdempotencyKey.objects.exists()


def test_the_openapi_schema_documents_the_header(client) -> None:
    """Issue 13, item 15: API clients learn the header from the schema."""
    schema = client.get("/api/openapi.json").json()
    parameters = schema["paths"]["/api/requests"]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("Idempotency-Key", "header")]


@pytest.mark.django_db(transaction=True)
def test_two_calls_at_once_with_the_same_key_file_once(personas) -> None:
    """Issue 13, item 15: the unique (user, key) makes the loser undo its filing and replay."""
    if connection.vendor != "postgresql":
        pytest.skip("two writers at once need PostgreSQL (SQLite serialises the transactions)")
    token = create_token(personas.user_a, "tests")
    body = body_for(personas.client_a.contracts.get())
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def call() -> None:
        try:
            barrier.wait()
            answers.append(post(token, body, key="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["number"] == answers[1].json()["number"]
    assert Request.objects.count() == 1
    assert OutgoingMail.objects.filter(reason="acknowledgement").count() == 1
