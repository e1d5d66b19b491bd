"""What the commands say when the database is not usable (issue 13, item 13): each fault its
own one line, exit 2, instead of "not set up" for all of them."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from tests.helpers.cli import run_livret

NOT_SET_UP = (
    "livret: error: the database is not set up: run `livret demo` or `livret manage migrate` first"
)


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return str(result.stderr.strip())


def _postgres_listens() -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def test_it_says_it_cannot_connect(tmp_path) -> None:
    """issue 13, item 13: nothing listens at the database's address."""
    url = "postgres://postgres@127.0.0.1:1/livret"
    for command in (("audit", "verify"), ("offers", "list")):
        line = _one_line(run_livret(*command, data_dir=tmp_path, database_url=url))
        assert line == (
            "livret: error: cannot connect to the database (connection failed: connection to "
            'server at "127.0.0.1", port 1 failed: Connection refused)'
        )


@pytest.mark.skipif(not _postgres_listens(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_it_says_the_login_is_refused(tmp_path) -> None:
    """issue 13, item 13: PostgreSQL refuses a role it does not know (even with trust auth)."""
    url = "postgres://nobody@127.0.0.1:5432/test"
    line = _one_line(run_livret("audit", "verify", data_dir=tmp_path, database_url=url))
    assert line == (
        'livret: error: the database refuses the login (FATAL: role "nobody" does not exist)'
    )


def test_it_says_the_sqlite_file_is_read_only(demo_dir, tmp_path) -> None:
    """issue 13, item 13: a read-only SQLite file. Tests run as root, whom file modes do not
    stop, so the file is opened read-only by the URL (``?mode=ro``) instead of ``chmod 0444``."""
    copy = tmp_path / "copy.sqlite3"
    with sqlite3.connect(demo_dir / "livret.sqlite3") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}?mode=ro"
    line = _one_line(
        run_livret("offers", "import", "--builtin", data_dir=tmp_path, database_url=url)
    )
    assert line == f"livret: error: the SQLite file is read-only: {copy}"
    # reading needs no write: the audit still runs on a read-only copy
    verified = run_livret("audit", "verify", data_dir=tmp_path, database_url=url)
    assert verified.returncode == 0, verified.stderr


def test_it_says_an_empty_database_is_not_set_up(tmp_path) -> None:
    """issue 13, item 13: an empty SQLite file is a database never migrated."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "livret.sqlite3").write_bytes(b"")
    assert _one_line(run_livret("audit", "verify", data_dir=data)) == NOT_SET_UP
    assert _one_line(run_livret("worker", "--once", data_dir=data)) == NOT_SET_UP
