"""The real ``livret`` command, run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# A PostgreSQL address nothing listens on: commands that must not open a database.
UNREACHABLE_DATABASE = "postgres://nobody@127.0.0.1:9/none"


def run_livret(
    *args: str, data_dir: Path, stdin: str | None = None, database_url: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m livret ARGS`` with data_dir as its data directory.

    The database is the SQLite file of data_dir unless ``database_url`` names another.
    """
    env = {**os.environ, "LIVRET_DATA_DIR": str(data_dir), "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "livret", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )
