"""Migration 0006 (issue 13, item 4): the events written before it keep hash version 1."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from livret.cli import main
from livret.support.models import RequestEvent
from tests.support.test_audit_verify import rehash_with_the_first_formula, trail  # noqa: F401

BEFORE = [("support", "0005_idempotency_key")]


def migrate(targets: list[tuple[str, str]]) -> None:
    """Migrate the test database to ``targets``."""
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_events_get_version_1_and_still_verify(trail, capsys) -> None:  # noqa: F811
    """issue 13, item 4: rows hashed with the first formula are not re-hashed, and verify."""
    rehash_with_the_first_formula(trail)
    migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM support_requestevent")
            assert cursor.fetchone() == (4,)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert set(RequestEvent.objects.values_list("hash_version", flat=True)) == {1}
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == "ok: 1 requests, 4 events\n"
