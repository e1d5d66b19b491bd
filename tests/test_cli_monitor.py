"""``livret monitor replay|setup|visits`` (SPEC MON-2, MON-4, MON-5): no database, stable JSON,
one-line errors with the file, line and column, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from livret.cli import main
from livret.core.offer import preset_path

HEADER = "time,server,metric,value\n"


def run(*args: str) -> int:
    return main(["monitor", *args])


def minutes(start: str, server: str, metric: str, values: Sequence[float]) -> list[str]:
    first = datetime.fromisoformat(start)
    return [
        f"{(first + timedelta(minutes=i)).isoformat()},{server},{metric},{value}"
        for i, value in enumerate(values)
    ]


def write(path: Path, rows: list[str]) -> str:
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def samples(tmp_path: Path) -> str:
    """One day of a site: every duration rule fires once, a volume is low at 03:00 Paris, and
    the heartbeat stops at 12:00 (rows deliberately out of order: replayed by time)."""
    rows = [
        *minutes("2026-03-10T09:00:00+01:00", "srv-1", "cpu_percent", [97] * 21 + [40]),
        *minutes("2026-03-10T09:00:00+01:00", "srv-1", "memory_committed_percent", [92] * 11),
        *minutes("2026-03-10T10:00:00Z", "srv-2", "pagefile_percent", [90] * 16 + [20]),
        *minutes("2026-03-10T11:00:00+01:00", "srv-2", "disk_busy_percent", [99] * 21),
        *minutes("2026-03-10T11:00:00+01:00", "srv-2", "disk_queue_percent", [96] * 19 + [50]),
        "2026-03-11T02:00:00+01:00,srv-1,disk_free_percent:C:,7.5",
        "2026-03-11T02:00:00+01:00,srv-1,disk_free_percent:D:,40",
        "2026-03-10T11:00:00+01:00,srv-2,heartbeat,1",
        "2026-03-10T12:00:00+01:00,srv-2,heartbeat,1",
        "2026-03-11T04:00:00+01:00,srv-1,heartbeat,1",
    ]
    return write(tmp_path / "samples.csv", rows)


EXPECTED = [
    {"rule": "memory-committed", "server": "srv-1", "series": None,
     "pending_at": "2026-03-10T09:00:00+01:00", "firing_at": "2026-03-10T09:10:00+01:00",
     "resolved_at": None, "impact": "minor-moderate", "value": 92.0},
    {"rule": "cpu", "server": "srv-1", "series": None,
     "pending_at": "2026-03-10T09:00:00+01:00", "firing_at": "2026-03-10T09:20:00+01:00",
     "resolved_at": "2026-03-10T09:21:00+01:00", "impact": "minor-moderate", "value": 97.0},
    {"rule": "pagefile", "server": "srv-2", "series": None,
     "pending_at": "2026-03-10T11:00:00+01:00", "firing_at": "2026-03-10T11:15:00+01:00",
     "resolved_at": "2026-03-10T11:16:00+01:00", "impact": "minor-moderate", "value": 90.0},
    {"rule": "disk-busy", "server": "srv-2", "series": None,
     "pending_at": "2026-03-10T11:00:00+01:00", "firing_at": "2026-03-10T11:20:00+01:00",
     "resolved_at": None, "impact": "minor-moderate", "value": 99.0},
    {"rule": "heartbeat", "server": "srv-2", "series": None,
     "pending_at": "2026-03-10T13:05:00+01:00", "firing_at": "2026-03-10T13:05:00+01:00",
     "resolved_at": None, "impact": "major-extended", "value": 65.0},
    {"rule": "disk-free", "server": "srv-1", "series": "C:",
     "pending_at": "2026-03-11T03:00:00+01:00", "firing_at": "2026-03-11T03:00:00+01:00",
     "resolved_at": None, "impact": "minor-moderate", "value": 7.5},
]  # fmt: skip


def test_it_replays_a_csv_into_alerts_in_firing_order(
    samples: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # MON-2: disk-queue was pending 19 minutes then reset (no alert); srv-1's first heartbeat
    # starts its watch at 04:00 on the 11th (the file ends there: no deadline reached).
    assert run("replay", "--samples", samples, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"alerts": EXPECTED}


def test_it_prints_one_readable_line_per_alert(
    samples: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("replay", "--samples", samples) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(EXPECTED)
    assert lines[1] == (
        "2026-03-10T09:20:00+01:00  cpu               srv-1  [minor-moderate]"
        "  pending since 2026-03-10T09:00:00+01:00  resolved 2026-03-10T09:21:00+01:00"
    )
    assert lines[5].endswith("disk-free         srv-1:C:  [minor-moderate]  still firing")


def test_it_takes_the_heartbeat_grace_and_rules_from_an_offer_file(
    samples: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run("replay", "--samples", samples, "--heartbeat-grace", "15", "--json")
    heartbeat = [
        a for a in json.loads(capsys.readouterr().out)["alerts"] if a["rule"] == "heartbeat"
    ]
    assert heartbeat[0]["firing_at"] == "2026-03-10T13:15:00+01:00"
    # Offers are data: an offer file whose cpu rule holds 5 minutes fires at 09:05.
    text = preset_path("preventcare").read_text(encoding="utf-8")
    marker = 'metric = "cpu_percent"\nabove = 95\nduration = { amount = 20'
    assert marker in text
    offer = tmp_path / "custom.toml"
    offer.write_text(text.replace(marker, marker.replace("amount = 20", "amount = 5")), "utf-8")
    assert run("replay", "--samples", samples, "--rules", str(offer), "--json") == 0
    cpu = [a for a in json.loads(capsys.readouterr().out)["alerts"] if a["rule"] == "cpu"]
    assert cpu[0]["firing_at"] == "2026-03-10T09:05:00+01:00"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["2026-03-10T09:00:00+01:00,srv-1,gpu_percent,3"],
         "samples.csv:2: metric: unknown metric 'gpu_percent'"),
        (["2026-03-10T09:00:00+01:00,srv-1,cpu_percent,1", "yesterday,srv-1,cpu_percent,3"],
         "samples.csv:3: time: cannot read instant 'yesterday'"),
        (["2026-03-10T09:00:00,srv-1,cpu_percent,3"],
         "samples.csv:2: time: instant '2026-03-10T09:00:00' has no UTC offset"),
        (["2026-03-10T09:00:00Z,srv-1,cpu_percent,high"],
         "samples.csv:2: value: 'high' is not a number"),
        (["2026-03-10T09:00:00Z,srv-1,cpu_percent,nan"],
         "samples.csv:2: value: 'nan' is not a finite number"),
        (["2026-03-10T09:00:00Z,,cpu_percent,3"], "samples.csv:2: server: empty"),
        (["2026-03-10T09:00:00Z,srv-1,disk_free_percent:,3"],
         "samples.csv:2: metric: empty series"),
        (["2026-03-10T09:00:00Z,srv-1,cpu_percent"], "samples.csv:2: row: 3 fields, expected 4"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_row_naming_file_line_and_column(
    rows: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "samples.csv", rows)
    assert run("replay", "--samples", path, "--json") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("livret: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "samples.csv:1: header: missing"),
        ("time,server,value\n", [], "samples.csv:1: metric: column missing from the header"),
        ("time,server,metric,value,unit\n", [], "samples.csv:1: unit: unknown column"),
        (HEADER, ["--rules", "nope"], "no built-in offer 'nope'"),
        (HEADER, ["--rules", "quadra-entreprise"], "has no monitoring section"),
        (HEADER, ["--heartbeat-grace", "-5"], "--heartbeat-grace: -5.0 is not a number"),
    ],
)
def test_it_refuses_a_bad_header_or_bad_options(
    content: str, args: list[str], message: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "samples.csv"
    path.write_text(content, encoding="utf-8")
    assert run("replay", "--samples", str(path), *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("livret: error: ") and message in err


def test_it_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("replay", "--samples", str(tmp_path / "none.csv")) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("users", "servers", "days"), [("5", "2", 1), ("5", "3", 2), ("40", "1", 2), ("80", "1", None)]
)
def test_it_prints_the_setup_length_of_a_site(
    users: str, servers: str, days: int | None, capsys: pytest.CaptureFixture[str]
) -> None:
    # MON-4
    assert run("setup", "--offer", "preventcare", "--users", users, "--servers", servers,
               "--json") == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {
        "offer": "preventcare", "users": int(users), "servers": int(servers),
        "days": days, "quoted": days is None,
    }  # fmt: skip


def test_it_prints_the_visits_a_year_and_refuses_zero_servers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # MON-5
    assert run("visits", "--servers", "4", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "offer": "preventcare",
        "servers": 4,
        "visits_per_year": 5,
    }
    assert run("visits", "--servers", "0") == 2
    assert "servers: a site has at least 1 monitored server" in capsys.readouterr().err


def test_it_runs_as_the_livret_command(samples: str, tmp_path: Path) -> None:
    # The real entry point, in a subprocess, without any database.
    env_free = {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "PATH": ""}
    command = [sys.executable, "-m", "livret", "monitor", "replay", "--samples"]
    done = subprocess.run(
        [*command, samples, "--rules", "preventcare", "--json"],
        capture_output=True, text=True, check=False, env=env_free,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"alerts": EXPECTED}
    bad = write(tmp_path / "bad.csv", ["2026-03-10T09:00:00,srv-1,cpu_percent,3"])
    failed = subprocess.run([*command, bad, "--json"], capture_output=True, text=True,
                            check=False, env=env_free)  # fmt: skip
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr == (
        f"livret: error: {bad}:2: time: instant '2026-03-10T09:00:00' has no UTC offset; "
        "give one, e.g. 2026-03-10T09:00:00+01:00 or 2026-03-10T09:00:00Z\n"
    )
