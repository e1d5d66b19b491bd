"""The API answers what its OpenAPI schema says, for generated calls (issue 13, item 11).

schemathesis reads /api/openapi.json from the application itself and, for every operation,
sends a few generated calls (derandomized: the same ones on every run) as a vendor technician
and as a client user. Each answer must not be a server error, its status must be one the
operation documents, and its body must match the documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from livret.accounts.services import create_token
from livret.tenants.models import Client, Membership, Role

# The explicit examples and the random generation only: the coverage phase sends dozens of
# boundary cases per operation, beyond the minute this test may take.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes an obsolete connection at each request's start and end; the
    test's own transaction makes it look obsolete, and on PostgreSQL that closed it mid-test.
    Django's test client disconnects the same receivers for the same reason."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db: Any) -> list[str]:
    """API tokens of a vendor technician and of a client user (no offer imported: fast)."""
    client = Client.objects.create(name="Client A", slug="client-a")
    technician = User.objects.create_user("tech", is_staff=True)
    user = User.objects.create_user("user-a", email="user-a@client-a.test")
    Membership.objects.create(user=technician, client=None, role=Role.TECHNICIAN)
    Membership.objects.create(user=user, client=client, role=Role.CLIENT_ADMIN)
    return [create_token(who, "schemathesis") for who in (technician, user)]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_answers_as_its_schema_says(case: Any, tokens: list[str]) -> None:
    """issue 13, item 11: documented statuses and bodies, never a server error."""
    for token in tokens:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("NewRequestIn", ["title", "description"]),
        ("TextIn", ["text"]),
        ("QuestionIn", ["question"]),
        ("ReasonIn", ["reason"]),
        ("CommentIn", ["body"]),
        ("IncidentIn", ["title", "message"]),
        ("MaintenanceIn", ["title"]),
    ],
)
def test_it_documents_the_texts_refused_when_empty(
    client: Any, component: str, fields: list[str]
) -> None:
    """issue 13, item 11: a text the service refuses when empty has minLength 1 in the schema."""
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for field in fields:
        assert schemas[component]["properties"][field]["minLength"] == 1, field
