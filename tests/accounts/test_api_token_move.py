"""ApiToken moved from the support app to accounts (issue 11): tokens issued before still work."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from livret.accounts.models import ApiToken
from livret.accounts.services import hash_token, user_for_token

BEFORE_THE_MOVE = [("support", "0002_alert_per_clock_run"), ("accounts", "0001_initial")]
TOKEN = "issued-before-the-move-0123456789abcdefghij"


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    """Migrate the test database to ``targets``; the executor, to read the state it reached."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_tokens_issued_before_the_move(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("script-owner")
    before = migrate(BEFORE_THE_MOVE)
    try:
        old_model = before.loader.project_state(BEFORE_THE_MOVE).apps.get_model(
            "support", "ApiToken"
        )
        old_model.objects.create(
            user_id=user.pk, name="compta", key_hash=hash_token(TOKEN), prefix=TOKEN[:8]
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert ApiToken._meta.db_table == "accounts_apitoken"
    assert ApiToken.objects.get().name == "compta"
    assert user_for_token(TOKEN) == user
