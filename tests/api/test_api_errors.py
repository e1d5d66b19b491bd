"""Every API error is JSON with a code, whatever layer produces it."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError

from livret.accounts.services import create_token
from livret.support import api as api_module
from livret.support import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(personas):
    return {"Authorization": f"Bearer {create_token(personas.user_a)}"}


def test_it_answers_an_unknown_api_path_in_json(client, auth) -> None:
    response = client.get("/api/nowhere", headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"


def test_it_answers_a_wrong_method_in_json(client, auth) -> None:
    response = client.delete("/api/offers", headers=auth)
    assert response.status_code == 405
    assert response.json()["code"] == "method-not-allowed"


def test_it_names_malformed_json(client, auth, personas) -> None:
    response = client.post(
        "/api/requests", data="{not json", content_type="application/json", headers=auth
    )
    assert response.status_code == 400
    assert response.json() == {"code": "bad-json", "message": "the request body is not valid JSON"}


def test_it_names_the_missing_field_without_the_parameter_name(client, auth, personas) -> None:
    contract = personas.client_a.contracts.get()
    response = client.post(
        "/api/requests",
        {"contract_id": contract.pk, "kind": "anomaly"},
        content_type="application/json",
        headers=auth,
    )
    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("title: ") or message.startswith("description: "), message


def test_it_answers_a_body_over_the_upload_limit_413_in_json(client, auth, personas) -> None:
    """issue 13, item 10: a 3 MB JSON body got Django's HTML 400 (RequestDataTooBig)."""
    contract = personas.client_a.contracts.get()
    body = json.dumps(
        {
            "contract_id": contract.pk,
            "kind": "anomaly",
            "title": "T",
            "description": "x" * 3_000_000,
        }
    )
    response = client.post(
        "/api/requests", data=body, content_type="application/json", headers=auth
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "too-large"
    assert "dépasse" in response.json()["message"]


def test_it_answers_503_in_json_with_retry_after_when_the_database_fails(
    client, auth, personas, monkeypatch, caplog
) -> None:
    """issue 13, item 10: a database failure inside a handler was Django's HTML 500."""

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "file_request", down)
    body = {"contract_id": personas.client_a.contracts.get().pk, "kind": "anomaly"}
    body |= {"title": "T", "description": "D"}
    response = client.post("/api/requests", body, content_type="application/json", headers=auth)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "unavailable"
    assert "indisponible" in response.json()["message"]
    assert "database unavailable" in caplog.text


def test_it_answers_an_unexpected_error_500_in_json_and_logs_it(
    client, auth, monkeypatch, caplog
) -> None:
    """issue 13, item 10: any other exception is a logged JSON 500, never an HTML page."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(api_module, "visible_requests", broken)
    response = client.get("/api/requests", headers=auth)
    assert response.status_code == 500
    assert response.json()["code"] == "server-error"
    assert "RuntimeError: boom" in caplog.text
