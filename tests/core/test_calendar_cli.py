"""``livret calendar add|between|show`` (SPEC CAL-4..7): stable JSON, one-line errors, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from livret.cli import main
from livret.core.calendar import calendar_for
from livret.core.offer import load_preset


def run(*args: str) -> int:
    return main(["calendar", *args])


def test_it_prints_a_deadline_as_stable_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = run("add", "--offer", "quadra-entreprise", "--calendar", "support",
               "--from", "2026-03-13T16:30:00+01:00", "--hours", "1", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "from": "2026-03-13T16:30:00+01:00",
        "due": "2026-03-16T09:30:00+01:00",
        "offer": "quadra-entreprise",
        "calendar": "support",
        "formula": "standard",
        "territory": "metropole",
    }


@pytest.mark.parametrize(
    ("extra", "due"),
    [
        (["--minutes", "90"], "2026-04-07T10:00:00+02:00"),  # Moselle: Good Friday, Easter Mon
        (["--business-days", "1"], "2026-04-08T00:00:00+02:00"),  # CAL-5
        (["--calendar-days", "1"], "2026-04-04T00:00:00+02:00"),  # CAL-6
    ],
)
def test_it_adds_every_kind_of_duration(
    extra: list[str], due: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run("add", "--offer", "quadra-entreprise", "--calendar", "support", "--territory",
               "alsace-moselle", "--from", "2026-04-02T15:00:00Z", *extra, "--json")  # fmt: skip
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["due"] == due
    assert document["territory"] == "57"


def test_it_uses_the_formulas_calendar_and_the_overseas_offset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run("add", "--offer", "expert-on-demand", "--calendar", "support", "--formula", "private",
        "--from", "2026-03-10T17:00:00+01:00", "--hours", "2", "--json")  # fmt: skip
    assert json.loads(capsys.readouterr().out)["due"] == "2026-03-11T10:00:00+01:00"
    run("add", "--offer", "carrus-saas", "--calendar", "support", "--territory", "972",
        "--from", "2026-05-21T21:00:00Z", "--hours", "1", "--json")  # fmt: skip
    assert json.loads(capsys.readouterr().out)["due"] == "2026-05-26T09:30:00-04:00"


def test_it_prints_business_seconds_between_two_instants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run("between", "--offer", "quadra-entreprise", "--calendar", "support",
               "--from", "2026-03-13T16:00:00+01:00", "--to", "2026-03-16T10:00:00+01:00",
               "--json")  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"business_seconds": 7200}


def test_it_shows_hours_and_holidays_of_a_year(capsys: pytest.CaptureFixture[str]) -> None:
    code = run("show", "--offer", "quadra-entreprise", "--calendar", "support",
               "--territory", "68", "--year", "2026")  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "fri  09:00-12:30, 14:00-17:00" in out
    assert "2026-04-03  closed" in out and "Vendredi saint" in out
    assert "2026-12-26" in out
    run("show", "--offer", "carrus-saas", "--calendar", "maintenance", "--territory", "974",
        "--year", "2026", "--json")  # fmt: skip
    document = json.loads(capsys.readouterr().out)
    assert document["timezone"] == "Indian/Reunion"
    assert document["opening_hours"]["sun"] == [["00:00", "24:00"]]
    assert {"date": "2026-12-20", "name": "Abolition de l'esclavage",
            "status": "open-all-day"} in document["holidays"]  # fmt: skip


def test_it_writes_one_due_per_line_from_a_file_with_the_bulk_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instants = ["2026-03-13T16:30:00+01:00", "2026-03-29T01:30:00Z", "",
                "2026-10-25T02:30:00+01:00", "2026-07-07T19:00:00.250000Z"]  # fmt: skip
    path = tmp_path / "instants.txt"
    path.write_text("\n".join(instants) + "\n")
    code = run("add", "--offer", "quadra-entreprise", "--calendar", "maintenance",
               "--from-file", str(path), "--minutes", "30")  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    calendar = calendar_for(load_preset("quadra-entreprise").offer, "maintenance")
    expected = [
        calendar.add_business_time(datetime.fromisoformat(text), timedelta(minutes=30)).isoformat()
        for text in instants
        if text
    ]
    assert lines == expected
    assert lines[1] == "2026-03-29T04:00:00+02:00"
    assert lines[3] == "2026-07-07T21:30:00.250000+02:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--offer", "nope"], "no built-in offer 'nope'"),
        (["--calendar", "nope"], "no calendar 'nope'"),
        (["--formula", "gold"], "no formula 'gold'"),
        (["--territory", "Atlantis"], "unknown territory 'Atlantis'"),
        (["--from", "yesterday"], "cannot read instant 'yesterday'"),
        (["--from", "2026-03-10T10:00:00"], "has no UTC offset"),
        (["--hours", "-1"], "negative duration"),
        (["--business-days", "-2"], "negative duration"),
    ],
)
def test_it_refuses_bad_input_with_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"--offer": "quadra-entreprise", "--calendar": "support",
              "--from": "2026-03-10T10:00:00Z", "--hours": "1"}  # fmt: skip
    if "--business-days" in args:
        del values["--hours"]
    values.update(dict(zip(args[::2], args[1::2], strict=True)))
    code = run("add", *[part for pair in values.items() for part in pair], "--json")
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("livret: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


def test_it_reports_the_line_of_a_bad_instant_in_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "instants.txt"
    path.write_text("2026-03-10T10:00:00Z\n2026-03-10T10:00:00\n")
    code = run("add", "--offer", "quadra-entreprise", "--calendar", "support",
               "--from-file", str(path), "--hours", "1")  # fmt: skip
    assert code == 2
    assert f"{path}:2: " in capsys.readouterr().err


def test_it_runs_as_the_livret_command() -> None:
    # The real entry point, in a subprocess: JSON on stdout, status 0; bad input, status 2.
    base = [sys.executable, "-m", "livret", "calendar", "add", "--offer", "quadra-entreprise",
            "--calendar", "support", "--hours", "8", "--json"]  # fmt: skip
    done = subprocess.run(
        [*base, "--from", "2026-03-10T10:00:00+01:00"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["due"] == "2026-03-11T11:00:00+01:00"
    bad = subprocess.run(
        [*base, "--from", "2026-03-10T10:00:00"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("livret: error: ") and bad.stdout == ""
