"""OFF-1: an invalid booklet yields one message naming file, line, field path and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from livret.core.offer import OfferError, load_offer_file
from livret.core.offer.presets import preset_path
from tests.helpers.cli import run_livret

QUADRA = preset_path("quadra-entreprise").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# (case, text change: old -> new, expected path, words of the reason, line holding `anchor`)
CASES = [
    (
        "malformed TOML",
        ('name = "Quadra Entreprise On Demand"', 'name = = "Quadra"'),
        "(file)",
        "malformed TOML",
        'name = = "Quadra"',
    ),
    (
        "unknown field",
        ("critical = {", "critcal = {"),
        "support.pickup.standard.critcal",
        "unknown field",
        "critcal = {",
    ),
    (
        "negative duration",
        ("critical = { amount = 4,", "critical = { amount = -4,"),
        "support.pickup.standard.critical.amount",
        "greater than 0",
        "amount = -4",
    ),
    (
        "interval closing before it opens",
        (
            'weekdays.fri = [["09:00", "12:30"], ["14:00", "17:00"]]',
            'weekdays.fri = [["09:00", "12:30"], ["17:00", "14:00"]]',
        ),
        "calendars.support.weekdays.fri[1]",
        "closes at 14:00 before it opens at 17:00",
        '["17:00", "14:00"]',
    ),
    (
        "unknown territory",
        ('sold_in = ["metropolitan"]', 'sold_in = ["atlantis"]'),
        "territories.sold_in",
        "unknown territory 'atlantis'",
        'sold_in = ["atlantis"]',
    ),
    (
        "formula referenced but not defined",
        ("[support.pickup.standard]", "[support.pickup.premium]"),
        "support.pickup.premium",
        "formula 'premium' is not defined",
        "[support.pickup.premium]",
    ),
    (
        "calendar referenced but not defined",
        ('calendar = "availability"', 'calendar = "prt"'),
        "availability.calendar",
        "calendar 'prt' is not defined",
        'calendar = "prt"',
    ),
    (
        "missing required field",
        ("target_percent = 99.0\n", ""),
        "availability.target_percent",
        "required field is missing",
        "[availability]",
    ),
]


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    assert old in QUADRA, old
    text = QUADRA.replace(old, new, 1)
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


@pytest.mark.parametrize(
    ("case", "change", "field", "reason", "anchor"), CASES, ids=[c[0] for c in CASES]
)
def test_it_names_file_line_path_and_reason(tmp_path, case, change, field, reason, anchor) -> None:
    path, text = _broken(tmp_path, *change)
    with pytest.raises(OfferError) as raised:
        load_offer_file(path)
    problems = raised.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    message = str(problems[0])
    assert message.startswith(f"{path}:{_line_of(text, anchor)}: {field}: ")
    assert reason in message


def test_it_validates_from_the_command_line_with_exit_codes(tmp_path) -> None:
    good = run_livret(
        "offers", "validate", str(preset_path("quadra-entreprise")), data_dir=tmp_path
    )
    assert good.returncode == 0
    assert "valid" in good.stdout

    path, text = _broken(tmp_path, "critical = {", "critcal = {")
    bad = run_livret("offers", "validate", str(path), data_dir=tmp_path)
    assert bad.returncode == 1
    line = _line_of(text, "critcal")
    assert bad.stderr.strip() == f"{path}:{line}: support.pickup.standard.critcal: unknown field"
    assert "Traceback" not in bad.stderr


def test_it_reports_a_missing_file_without_a_traceback(tmp_path) -> None:
    result = run_livret("offers", "validate", str(tmp_path / "nope.toml"), data_dir=tmp_path)
    assert result.returncode == 1
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr
