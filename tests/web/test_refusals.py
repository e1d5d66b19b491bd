"""A service's refusal that a page's view does not catch: a page saying why, with the error's
4xx status, never a 500 (``livret.web.errors``); the JSON API keeps its own errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from livret.errors import NotAllowed, ServiceError, WrongState
from livret.support import services
from livret.support.services import NewRequest
from livret.web.errors import ServiceErrorMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ServiceError("invalid", "valeur « x » inconnue"), 400),
        (NotAllowed("vendor-only", "seul l'éditeur peut faire cela"), 403),
        (WrongState("wrong-state", "la demande est déjà close"), 409),
    ],
)
def test_it_shows_an_uncaught_refusal_as_a_page_with_its_status(
    client, personas, monkeypatch, error, status
) -> None:
    filed = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Écran figé", description="Plus rien"),
        at=datetime(2026, 11, 19, 10, tzinfo=ZoneInfo("Europe/Paris")),
    )

    def refuse(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(services, "sla_state", refuse)  # the request page reads its clocks
    client.force_login(personas.user_a)
    response = client.get(f"/demandes/{filed.number}/")
    assert response.status_code == status
    page = response.content.decode()
    assert "Action refusée" in page and '<html lang="fr">' in page
    assert error.message.replace("'", "&#x27;") in page


def test_it_leaves_the_api_errors_to_the_api() -> None:
    middleware = ServiceErrorMiddleware(lambda request: HttpResponse())
    refusal = WrongState("wrong-state", "la demande est déjà close")
    api_call = RequestFactory().post("/api/support/requests/DEM-2026-000001/validate")
    assert middleware.process_exception(api_call, refusal) is None
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("bug")) is None
