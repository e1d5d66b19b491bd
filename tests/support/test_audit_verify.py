"""REQ-11: the audit trail is hash-chained; ``livret audit verify`` names the first broken event
of each request whose trail was edited, added to or cut."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from livret.cli import main
from livret.core.audit import GENESIS, event_hash
from livret.mail.models import OutgoingMail
from livret.support import services
from livret.support.checkpoints import read_checkpoints, write_checkpoint
from livret.support.models import Request, RequestEvent
from livret.support.services import NewRequest
from tests.helpers.cli import run_livret
from tests.helpers.clock import at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def checkpoint_file(settings, tmp_path: Path) -> Path:
    """Each test's own checkpoint file (absent until a checkpoint is written)."""
    settings.AUDIT_CHECKPOINTS = tmp_path / "audit" / "checkpoints.log"
    return settings.AUDIT_CHECKPOINTS


@pytest.fixture
def trail(personas) -> Request:  # type: ignore[no-untyped-def]
    """A request with four events: registered, taken in charge, qualified, a comment."""
    tech = personas.technician
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Plantage", description="ERR-42"),
        at=at("2026-11-19 10:00"),
    )
    services.take_in_charge(request, tech, at=at("2026-11-19 10:30"))
    services.qualify(request, tech, 2, at=at("2026-11-19 11:00"))
    services.comment(request, tech, "Nous regardons.", at=at("2026-11-19 11:30"))
    request.refresh_from_db()
    assert request.event_count == 4
    return request


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["audit", "verify"])
    return code, capsys.readouterr().out.splitlines()


@pytest.mark.django_db
def test_it_accepts_an_intact_chain(trail, capsys) -> None:
    code, lines = verify(capsys)
    assert (code, lines) == (0, ["ok: 1 requests, 4 events"])


@pytest.mark.django_db
def test_it_names_an_edited_event(trail, capsys) -> None:
    RequestEvent.objects.filter(request=trail, seq=3).update(data={"criticity": 3})
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 3: content does not match its hash (edited)"]


@pytest.mark.django_db
def test_it_names_an_event_whose_date_was_moved(trail, capsys) -> None:
    RequestEvent.objects.filter(request=trail, seq=2).update(at=at("2026-11-19 10:05"))
    code, lines = verify(capsys)
    assert code == 1 and lines[0].startswith(f"{trail.number}: event 2: content does not match")


@pytest.mark.django_db
def test_it_names_an_inserted_event_even_with_a_forged_hash(trail, capsys) -> None:
    # a careful forger renumbers the later events and chains the new one to event 1
    events = RequestEvent.objects.filter(request=trail)
    for event in events.filter(seq__gte=2).order_by("-seq"):
        event.seq += 1
        event.save(update_fields=["seq"])
    first = events.get(seq=1)
    forged = RequestEvent.objects.create(
        request=trail,
        seq=2,
        at=at("2026-11-19 10:10"),
        kind="taken-in-charge",
        actor_label="Quelqu'un (éditeur)",
        data={},
        prev_hash=first.hash,
        hash="",
    )
    forged.hash = event_hash(first.hash, services.event_payload(forged))
    forged.save(update_fields=["hash"])
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [
        f"{trail.number}: event 3: does not link to the previous event (inserted or reordered)"
    ]


@pytest.mark.django_db
def test_it_names_a_deleted_event_in_the_middle(trail, capsys) -> None:
    RequestEvent.objects.filter(request=trail, seq=2).delete()
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 3: event 2 is missing (found 3)"]


@pytest.mark.django_db
def test_it_names_a_deleted_last_event_from_the_stored_count(trail, capsys) -> None:
    RequestEvent.objects.filter(request=trail, seq=4).delete()
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 4: 1 event(s) after 3 are missing (deleted)"]


@pytest.mark.django_db
def test_it_names_a_deleted_last_event_even_when_the_count_was_lowered(trail, capsys) -> None:
    RequestEvent.objects.filter(request=trail, seq=4).delete()
    Request.objects.filter(pk=trail.pk).update(event_count=3)
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [
        f"{trail.number}: event 3: the request's last hash does not match "
        "(events deleted or edited)"
    ]


@pytest.mark.django_db
def test_it_reports_every_broken_request_and_only_those(personas, trail, capsys) -> None:
    other = services.file_request(
        filer=personas.user_b,
        contract=personas.client_b.contracts.get(),
        new=NewRequest(kind="usage-question", title="Question", description="Comment ?"),
        at=at("2026-11-20 09:00"),
    )
    code, lines = verify(capsys)
    assert (code, lines) == (0, ["ok: 2 requests, 5 events"])
    RequestEvent.objects.filter(request=other, seq=1).update(actor_label="Un autre")
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{other.number}: event 1: content does not match its hash (edited)"]


@pytest.mark.django_db
def test_it_names_an_event_whose_visibility_was_flipped(trail, capsys) -> None:
    """issue 13, item 4: an internal note made visible to the client breaks the chain."""
    RequestEvent.objects.filter(request=trail, seq=4).update(visible_to_client=False)
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 4: content does not match its hash (edited)"]


@pytest.mark.django_db
def test_it_names_an_event_whose_actor_was_changed(personas, trail, capsys) -> None:
    """issue 13, item 4: the actor's id is hashed, not only the label shown."""
    RequestEvent.objects.filter(request=trail, seq=2).update(actor=personas.user_a)
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 2: content does not match its hash (edited)"]


def rehash_with_the_first_formula(request: Request) -> None:
    """Rewrite a chain as the rows written before version 2 are (hash_version 1)."""
    prev = GENESIS
    for event in RequestEvent.objects.filter(request=request).order_by("seq"):
        event.hash_version = 1
        event.prev_hash = prev
        event.hash = event_hash(prev, services.event_payload(event))
        event.save(update_fields=["hash_version", "prev_hash", "hash"])
        prev = event.hash
    Request.objects.filter(pk=request.pk).update(last_event_hash=prev)


@pytest.mark.django_db
def test_rows_of_the_first_formula_still_verify_and_new_ones_follow(personas, trail, capsys):
    """issue 13, item 4: existing rows keep version 1; the events added after get version 2."""
    rehash_with_the_first_formula(trail)
    assert verify(capsys) == (0, ["ok: 1 requests, 4 events"])
    trail.refresh_from_db()
    services.comment(trail, personas.technician, "Suite.", at=at("2026-11-19 12:00"))
    versions = list(trail.events.order_by("seq").values_list("hash_version", flat=True))
    assert versions == [1, 1, 1, 1, 2]
    assert verify(capsys) == (0, ["ok: 1 requests, 5 events"])
    RequestEvent.objects.filter(request=trail, seq=1).update(hash_version=2)
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [f"{trail.number}: event 1: content does not match its hash (edited)"]


def cut_newest_event(request: Request) -> None:
    """What a careful forger does: delete the newest event, lower the count and head to match."""
    RequestEvent.objects.filter(request=request, seq=request.event_count).delete()
    newest = RequestEvent.objects.get(request=request, seq=request.event_count - 1)
    Request.objects.filter(pk=request.pk).update(
        event_count=newest.seq, last_event_hash=newest.hash
    )


@pytest.mark.django_db
def test_it_names_newest_events_deleted_after_a_checkpoint(trail, capsys) -> None:
    """issue 13, item 4: the chain alone holds after the cut; the checkpoint does not."""
    assert write_checkpoint(at("2026-11-20 01:00")) == 1
    cut_newest_event(trail)
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [
        f"{trail.number}: event 4: the chain ends before the head checkpointed on "
        "2026-11-20T00:00:00+00:00 (3 of 4 events: newest events deleted)"
    ]


@pytest.mark.django_db
def test_it_names_a_request_deleted_after_a_checkpoint(trail, capsys) -> None:
    """issue 13, item 4: a whole request removed from the database is named too."""
    write_checkpoint(at("2026-11-20 01:00"))
    trail.events.all().delete()
    trail.comments.all().delete()
    Request.objects.filter(pk=trail.pk).delete()
    code, lines = verify(capsys)
    assert code == 1
    assert lines == [
        f"{trail.number}: event 1: the request is missing (checkpointed on "
        "2026-11-20T00:00:00+00:00 with 4 events)"
    ]


@pytest.mark.django_db
def test_a_checkpoint_appends_only_the_heads_that_moved(personas, trail, checkpoint_file):
    """issue 13, item 4: one line per changed request and a summary; once a day for the job."""
    assert write_checkpoint(at("2026-11-20 01:00")) == 1
    assert write_checkpoint(at("2026-11-20 02:00")) == 0
    services.comment(trail, personas.technician, "Suite.", at=at("2026-11-20 09:00"))
    assert write_checkpoint(at("2026-11-20 10:00"), once_a_day=True) == 0
    assert write_checkpoint(at("2026-11-21 10:00"), once_a_day=True) == 1
    lines = checkpoint_file.read_text().splitlines()
    assert [line.split()[1:3] for line in lines] == [
        [trail.number, "4"],
        ["*", "1"],
        ["*", "1"],
        [trail.number, "5"],
        ["*", "1"],
    ]
    trail.refresh_from_db()
    saved = read_checkpoints()[trail.number]
    assert (saved.at, saved.count, saved.head) == (
        "2026-11-21T09:00:00+00:00",
        5,
        trail.last_event_hash,
    )


@pytest.mark.django_db
def test_a_checkpoint_is_mailed_to_the_audit_address(settings, trail) -> None:
    """issue 13, item 4: LIVRET_AUDIT_MAIL receives a copy outside the server."""
    settings.AUDIT_MAIL = ["audit@vendor.test"]
    write_checkpoint(at("2026-11-20 01:00"))
    mail = OutgoingMail.objects.get(reason="audit-checkpoint")
    assert mail.to == ["audit@vendor.test"]
    assert mail.subject == "Journal d'audit : point de contrôle du 2026-11-20"
    assert f" {trail.number} 4 {trail.last_event_hash}\n" in mail.body


@pytest.mark.django_db
def test_it_refuses_an_unreadable_checkpoint_file(trail, checkpoint_file, capsys) -> None:
    """issue 13, item 4: a damaged checkpoint file is one line on stderr, exit 2."""
    checkpoint_file.parent.mkdir(parents=True)
    checkpoint_file.write_text("pas un point de contrôle\n")
    assert main(["audit", "verify"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"livret: error: {checkpoint_file}: line 1 is not a checkpoint: 'pas un point de contrôle'"
    ]


# --------------------------------------------------------------------------- the real command

SETUP = r"""
from datetime import date, datetime
from zoneinfo import ZoneInfo
from livret.boot import setup_django
setup_django()
from django.contrib.auth import get_user_model
from livret.offers.services import import_builtin_presets
from livret.support import services
from livret.tenants.models import Client, Membership, Role
from livret.tenants.services import create_contract

versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
client = Client.objects.create(name="Client V", slug="client-v")
contract = create_contract(client=client, reference="V-1",
                           offer_version=versions["quadra-entreprise"], start_date=date(2026, 1, 5))
users = get_user_model()
filer = users.objects.create_user("filer", email="filer@v.test")
tech = users.objects.create_user("tech", email="tech@vendor.test")
Membership.objects.create(user=filer, client=client, role=Role.CLIENT_USER)
Membership.objects.create(user=tech, client=None, role=Role.TECHNICIAN)
t = datetime(2026, 11, 19, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
for i in range(2):
    r = services.file_request(filer=filer, contract=contract, at=t, new=services.NewRequest(
        kind="anomaly", title=f"R{i}", description="d"))
    services.take_in_charge(r, tech, at=t)
    services.qualify(r, tech, 2, at=t)
"""


@pytest.mark.slow
def test_the_real_command_exits_0_then_1_naming_the_broken_events(tmp_path) -> None:
    assert run_livret("manage", "migrate", "-v0", data_dir=tmp_path).returncode == 0
    env = {**os.environ, "LIVRET_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    env["PYTHONPATH"] = str(ROOT)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr
    ok = run_livret("audit", "verify", data_dir=tmp_path)
    assert (ok.returncode, ok.stdout) == (0, "ok: 2 requests, 6 events\n")

    # someone edits the database behind livret's back
    database = sqlite3.connect(tmp_path / "livret.sqlite3")
    with database:
        database.execute(
            "UPDATE support_requestevent SET data = '{\"criticity\": 3}' "
            "WHERE seq = 3 AND request_id = (SELECT min(id) FROM support_request)"
        )
        database.execute(
            "DELETE FROM support_requestevent "
            "WHERE seq = 3 AND request_id = (SELECT max(id) FROM support_request)"
        )
        numbers = [n for (n,) in database.execute("SELECT number FROM support_request ORDER BY id")]
    database.close()
    broken = run_livret("audit", "verify", data_dir=tmp_path)
    assert broken.returncode == 1, broken.stderr
    assert broken.stdout.splitlines() == [
        f"{numbers[0]}: event 3: content does not match its hash (edited)",
        f"{numbers[1]}: event 3: 1 event(s) after 2 are missing (deleted)",
    ]
    assert "Traceback" not in broken.stderr


def test_the_real_command_refuses_a_database_that_is_not_set_up(tmp_path) -> None:
    result = run_livret("audit", "verify", data_dir=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "livret: error: the database is not set up: "
        "run `livret demo` or `livret manage migrate` first"
    ]


@pytest.mark.slow
def test_the_real_commands_checkpoint_then_name_the_deleted_newest_event(tmp_path) -> None:
    """issue 13, item 4: ``audit checkpoint`` then a cut chain: ``audit verify`` exits 1."""
    assert run_livret("manage", "migrate", "-v0", data_dir=tmp_path).returncode == 0
    env = {**os.environ, "LIVRET_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    env["PYTHONPATH"] = str(ROOT)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr
    written = run_livret("audit", "checkpoint", data_dir=tmp_path)
    checkpoints = tmp_path / "audit" / "checkpoints.log"
    assert (written.returncode, written.stdout) == (
        0,
        f"checkpoint: 2 requests changed, written to {checkpoints}\n",
    )
    assert len(checkpoints.read_text().splitlines()) == 3

    # a forger deletes the newest event and lowers the count and head to match
    database = sqlite3.connect(tmp_path / "livret.sqlite3")
    with database:
        (pk, number) = database.execute("SELECT min(id), number FROM support_request").fetchone()
        database.execute(f"DELETE FROM support_requestevent WHERE request_id = {pk} AND seq = 3")
        (head,) = database.execute(
            f"SELECT hash FROM support_requestevent WHERE request_id = {pk} AND seq = 2"
        ).fetchone()
        database.execute(
            "UPDATE support_request SET event_count = 2, last_event_hash = ? WHERE id = ?",
            (head, pk),
        )
    database.close()
    broken = run_livret("audit", "verify", data_dir=tmp_path)
    assert broken.returncode == 1, broken.stderr
    assert len(broken.stdout.splitlines()) == 1
    assert broken.stdout.startswith(
        f"{number}: event 3: the chain ends before the head checkpointed on "
    )
    assert broken.stdout.endswith("(2 of 3 events: newest events deleted)\n")
    assert broken.stderr == "broken: 1 of 2 requests\n"
