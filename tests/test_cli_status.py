"""``livret availability compute`` and ``livret maintenance check`` (SPEC AVL-1..3, AVL-3b,
MNT-1, MNT-2), run as the real command: stable JSON, no database, one-line errors, exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import UNREACHABLE_DATABASE, run_livret


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory, which must stay empty: no database can be reached."""
    return tmp_path_factory.mktemp("data")


def livret(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_livret(*args, data_dir=data, database_url=UNREACHABLE_DATABASE)


def csv_file(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def compute(data, events: str, *extra: str, offer: str = "quadra-entreprise", month="2026-11"):
    return livret(data, "availability", "compute", "--offer", offer, "--month", month,
                  "--events", events, *extra)  # fmt: skip


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("livret: error: ") and "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr


# --------------------------------------------------------------------------- availability


def test_it_computes_a_month_as_stable_json_without_a_database(data, tmp_path) -> None:
    """AVL-3, AVL-3b: Q November 2026, 15,600 min of PRT; overlaps once, excluded wins."""
    events = csv_file(
        tmp_path,
        "start,end,cause",
        "2026-11-17T10:00:00+01:00,2026-11-17T17:48:00+01:00,service",  # 7 h 48
        "2026-11-17T17:00:00+01:00,2026-11-17T18:00:00+01:00,service",  # 48 min overlap
        "2026-11-18T09:00:00Z,2026-11-18T10:30:00Z,maintenance",  # 10:00-11:30 Paris
        "2026-11-18T10:00:00+01:00,2026-11-18T11:00:00+01:00,service",  # all under maintenance
        "2026-11-11T10:00:00+01:00,2026-11-11T12:00:00+01:00,service",  # 11 Nov: not PRT
    )
    done = compute(data, events, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "month": "2026-11",
        "prt_minutes": 15600.0,
        "downtime_minutes": 480.0,
        "excluded_minutes": {
            "maintenance": 90.0,
            "urgent-maintenance": 0.0,
            "force-majeure": 0.0,
            "client-equipment": 0.0,
            "out-of-perimeter": 0.0,
        },
        "td": 96.923,
        "target": 99.0,
        "met": False,
    }
    assert list(data.iterdir()) == []


def test_it_computes_s_in_martinique_local_time_and_prints_a_summary(data, tmp_path) -> None:
    """AVL-1: May 2026 in Martinique has 16 business days (22 May is a holiday there)."""
    events = csv_file(tmp_path, "start,end,cause",
                      "2026-05-19T10:30:00Z,2026-05-19T11:30:00Z,service")  # fmt: skip
    done = livret(data, "availability", "compute", "--offer", "carrus-saas", "--territory",
                  "martinique", "--month", "2026-05", "--events", events, "--json")  # fmt: skip
    document = json.loads(done.stdout)
    assert (document["prt_minutes"], document["downtime_minutes"]) == (12480.0, 30.0)
    assert (document["td"], document["target"], document["met"]) == (99.76, 99.85, False)
    text = compute(data, events, offer="carrus-saas", month="2026-05")
    assert text.returncode == 0, text.stderr
    assert "PRT (période de référence) : 13260 min" in text.stdout
    assert "TD = 99.548 %" in text.stdout and "manqué (missed)" in text.stdout


def test_it_accepts_a_month_without_downtime(data, tmp_path) -> None:
    done = compute(data, csv_file(tmp_path, "start,end,cause"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["td"] == 100.0


BAD_CSV = [
    ("inverted interval", ["2026-11-17T11:00:00+01:00,2026-11-17T10:00:00+01:00,service"],
     [":2: column end:", "not after start"]),
    ("empty interval", ["2026-11-17T10:00:00+01:00,2026-11-17T10:00:00+01:00,service"],
     [":2: column end:", "inverted or empty"]),
    ("unknown cause", ["2026-11-17T10:00:00+01:00,2026-11-17T11:00:00+01:00,panne"],
     [":2: column cause:", "unknown cause 'panne'", "client-equipment"]),
    ("unparsable start", ["2026-11-17T10:00:00+01:00,2026-11-17T11:00:00+01:00,service",
                          "yesterday,2026-11-17T11:00:00+01:00,service"],
     [":3: column start:", "cannot read instant 'yesterday'"]),
    ("naive end", ["2026-11-17T10:00:00+01:00,2026-11-17T11:00:00,service"],
     [":2: column end:", "has no UTC offset"]),
    ("missing column", ["2026-11-17T10:00:00+01:00,2026-11-17T11:00:00+01:00"],
     [":2:", "expected 3 columns"]),
]  # fmt: skip


@pytest.mark.parametrize(("what", "rows", "words"), BAD_CSV, ids=[c[0] for c in BAD_CSV])
def test_it_refuses_a_bad_csv_line_naming_line_and_column(data, tmp_path, what, rows, words):
    assert_refused(compute(data, csv_file(tmp_path, "start,end,cause", *rows)), *words)


def test_it_refuses_a_bad_header_or_a_missing_file(data, tmp_path) -> None:
    bad_header = csv_file(
        tmp_path, "debut,fin,cause", "2026-11-17T10:00Z,2026-11-17T11:00Z,service"
    )
    assert_refused(compute(data, bad_header), ":1: the header must be start,end,cause")
    assert_refused(compute(data, str(tmp_path / "none.csv")), "cannot read", "none.csv")


@pytest.mark.parametrize(
    ("month", "words"),
    [
        ("2026-12", ["--month 2026-12 is outside the data", "2026-11-17T10:00:00+01:00"]),
        ("2026-13", ["--month", "01 to 12"]),
        ("2026/11", ["--month", "YYYY-MM"]),
        ("1969-12", ["year must be 1970 to 2100"]),
        ("2101-01", ["year must be 1970 to 2100"]),
    ],
)
def test_it_refuses_a_month_outside_the_data_or_the_range(data, tmp_path, month, words) -> None:
    events = csv_file(tmp_path, "start,end,cause",
                      "2026-11-17T10:00:00+01:00,2026-11-17T11:00:00+01:00,service")  # fmt: skip
    assert_refused(compute(data, events, month=month), *words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--offer", "nope"], ["nope"]),
        (["--offer", "eksae-contact"], ["no availability commitment"]),
        (["--offer", "quadra-entreprise", "--territory", "mars"], ["unknown territory 'mars'"]),
        (["--offer", "quadra-entreprise", "--territory", "972"], ["not sold in territory 972"]),
    ],
)
def test_it_refuses_an_unknown_offer_or_territory(data, tmp_path, args, words) -> None:
    events = csv_file(tmp_path, "start,end,cause")
    done = livret(data, "availability", "compute", *args, "--month", "2026-11", "--events", events)
    assert_refused(done, *words)


# --------------------------------------------------------------------------- maintenance


def check(data, start: str, end: str, announced: str, *extra: str, offer="quadra-entreprise"):
    return livret(data, "maintenance", "check", "--offer", offer, "--start", start,
                  "--end", end, "--announced", announced, *extra)  # fmt: skip


def test_it_allows_a_plan_in_the_window_with_exit_0(data) -> None:
    done = check(data, "2026-11-17T20:30:00+01:00", "2026-11-17T21:30:00+01:00",
                 "2026-11-10T09:00:00+01:00", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "allowed": True,
        "violations": [],
        "next_allowed_start": None,
    }


def test_it_refuses_blocking_work_before_22_and_proposes_22(data) -> None:
    """MNT-1 (Q art. 5): no blocking work before 22:00 on weekdays."""
    done = check(data, "2026-11-17T20:30:00+01:00", "2026-11-17T21:30:00+01:00",
                 "2026-11-10T09:00:00+01:00", "--blocking", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr  # answered: the verdict is in "allowed"
    document = json.loads(done.stdout)
    assert document["allowed"] is False
    assert [v["code"] for v in document["violations"]] == ["blocking-too-early"]
    assert "Q art. 5" in document["violations"][0]["message"]
    assert document["next_allowed_start"] == "2026-11-17T22:00:00+01:00"
    text = check(data, "2026-11-17T20:30:00+01:00", "2026-11-17T21:30:00+01:00",
                 "2026-11-15T21:30:00+01:00")  # fmt: skip
    assert text.returncode == 0
    assert "refusée (refused)" in text.stdout and "[notice]" in text.stdout
    assert "2026-11-17T21:30:00+01:00" in text.stdout


def test_it_checks_s_in_the_overseas_zone_and_records_urgent_work(data) -> None:
    """MNT-1 (S art. 5): nights 00:00-07:00 in Martinique time; MNT-2: urgent any time."""
    done = check(data, "2026-11-17T00:30:00Z", "2026-11-17T01:30:00Z", "2026-11-10T09:00:00Z",
                 "--territory", "972", "--json", offer="carrus-saas")  # fmt: skip
    document = json.loads(done.stdout)
    assert [v["code"] for v in document["violations"]] == ["outside-window"]
    assert document["next_allowed_start"] == "2026-11-17T00:00:00-04:00"
    urgent = check(data, "2026-11-17T10:00:00+01:00", "2026-11-17T11:00:00+01:00",
                   "2026-11-17T09:58:00+01:00", "--urgent", "--blocking", "--json")  # fmt: skip
    assert urgent.returncode == 0, urgent.stderr
    assert json.loads(urgent.stdout) == {
        "allowed": True,
        "violations": [],
        "next_allowed_start": None,
    }


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["2026-11-17T21:30:00+01:00", "2026-11-17T20:30:00+01:00", "2026-11-10T09:00:00Z"],
         ["--end", "is not after --start"]),
        (["2026-11-17T20:30:00", "2026-11-17T21:30:00+01:00", "2026-11-10T09:00:00Z"],
         ["--start:", "has no UTC offset"]),
        (["2026-11-17T20:30:00+01:00", "soon", "2026-11-10T09:00:00Z"],
         ["--end:", "cannot read instant 'soon'"]),
        (["2026-11-17T20:30:00+01:00", "2026-11-17T21:30:00+01:00", "last week"],
         ["--announced:", "cannot read instant"]),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_plan_with_one_line_and_exit_2(data, args, words) -> None:
    assert_refused(check(data, *args), *words)


def test_it_refuses_an_offer_without_maintenance_rules(data) -> None:
    done = check(data, "2026-11-17T20:30:00+01:00", "2026-11-17T21:30:00+01:00",
                 "2026-11-10T09:00:00Z", offer="preventcare")  # fmt: skip
    assert_refused(done, "no maintenance rules")
