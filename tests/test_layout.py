"""The layout's size guard (decision 0011): no module a person cannot hold in their head."""

from __future__ import annotations

from pathlib import Path

LIMIT = 800  # lines; the target is ~600 (issue 11)
ROOT = Path(__file__).resolve().parent.parent / "livret"


def test_it_keeps_every_module_under_800_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT.parent)): lines
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not too_long, f"modules over {LIMIT} lines, split them by concept: {too_long}"


def test_it_finds_the_modules_it_measures() -> None:
    # The guard above passes vacuously if the tree moves: it must see the apps.
    found = {path.name for path in ROOT.rglob("*.py")}
    assert {"errors.py", "sla.py", "scan.py", "outbox.py"} <= found
