"""SPEC OFF-4: the five built-in booklets render byte for byte as their reviewed golden files.

A change in the wording or layout of a booklet shows up as a diff of ``tests/offers/golden/``.
When the change is wanted, regenerate the files and review their diff:

    LIVRET_UPDATE_GOLDEN=1 make test PYTEST_ARGS=tests/offers/test_booklet_golden.py
"""

from __future__ import annotations

import difflib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from livret.core.offer import PRESET_IDS, load_preset
from livret.offers.booklet import render_booklet

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LIVRET_UPDATE_GOLDEN") == "1"
REGENERATE = "LIVRET_UPDATE_GOLDEN=1 make test PYTEST_ARGS=tests/offers/test_booklet_golden.py"
# The booklets hold no date of their own; the clock is fixed so that none can slip in unseen.
FROZEN_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("fmt", ("md", "html"))
@pytest.mark.parametrize("offer_id", PRESET_IDS)
def test_it_renders_each_preset_as_its_golden_file(offer_id: str, fmt: str) -> None:
    with time_machine.travel(FROZEN_AT, tick=False):
        rendered = render_booklet(load_preset(offer_id).offer, fmt)  # type: ignore[arg-type]
    golden = GOLDEN_DIR / f"{offer_id}.{fmt}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
        return
    expected = golden.read_bytes().decode("utf-8") if golden.exists() else ""
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                fromfile=f"golden/{golden.name}",
                tofile="rendered",
            )
        )
        pytest.fail(
            f"{golden.name} differs from the rendered booklet:\n{diff}\n"
            f"If the change is wanted, regenerate and review: {REGENERATE}",
            pytrace=False,
        )
