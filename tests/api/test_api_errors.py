"""Every API error is JSON with a code, whatever layer produces it."""

from __future__ import annotations

import pytest

from livret.accounts.services import create_token

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
