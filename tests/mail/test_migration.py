"""support 0004: the outbox rows written before the move survive it, in the mail app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from livret.mail.models import OutgoingMail
from livret.mail.services import queue_mail
from livret.support import services
from livret.support.services import NewRequest

BEFORE = [("support", "0002_alert_per_clock_run")]
SENT = datetime(2026, 11, 19, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


def migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """Migrate to ``targets``; return the apps (historical models) of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_it_keeps_every_outbox_row_through_the_move(personas) -> None:
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Plantage", description="ERR-42"),
    )
    acknowledgement = OutgoingMail.objects.get()
    try:
        old_apps = migrate(BEFORE)
        old = old_apps.get_model("support", "OutgoingMail")
        # Going back put the acknowledgement in the old table, linked to its request again.
        assert old.objects.get(pk=acknowledgement.pk).request_id == request.pk
        sent = old.objects.create(
            request_id=request.pk,
            to=["user-a@client-a.test"],
            subject="Déjà parti",
            body="…",
            reason="state",
            status="sent",
            attempts=2,
            sent_at=SENT,
            last_error="",
            created_at=SENT,
        )
        refusal = old.objects.create(
            to=["x@ailleurs.test"], subject="Refus", body="…", reason="refusal", created_at=NOW
        )
    finally:
        # Every app to its latest migration: going back to support 0002 also undid the
        # migrations that depend on it (accounts' API tokens among them).
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    rows = {m.pk: m for m in OutgoingMail.objects.all()}
    assert set(rows) == {acknowledgement.pk, sent.pk, refusal.pk}
    assert rows[acknowledgement.pk].thread == request.number
    assert rows[acknowledgement.pk].subject == acknowledgement.subject
    moved = rows[sent.pk]
    assert (moved.thread, moved.to, moved.subject, moved.reason) == (
        request.number,
        ["user-a@client-a.test"],
        "Déjà parti",
        "state",
    )
    assert (moved.status, moved.attempts, moved.sent_at) == ("sent", 2, SENT)
    assert (rows[refusal.pk].thread, rows[refusal.pk].status) == ("", "pending")
    # New rows take ids after the copied ones (the id sequence moved on, on PostgreSQL too).
    later = queue_mail(["user-a@client-a.test"], "Suite", "…", reason="state")
    assert later.pk > max(rows)
