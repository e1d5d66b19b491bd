"""``livret sla due``: the deadline a request would get, from the offer alone (REQ-4, REQ-6),
with the seeds' numbers, DST edges, an overseas client and bad input; ``sla report``."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from livret.cli import main
from tests.helpers.cli import UNREACHABLE_DATABASE, run_livret
from tests.helpers.clock import at

# (offer, formula, territory, priority, kind, criticity, at, due) — seed numbers:
DUE = [
    # REQ-4, Q art. 14: Critical 4 h, High 6 h, Moderate 8 h; lunch 12:30-14:00
    ("quadra-entreprise", None, None, "critical", "pickup", None,
     "2026-11-19T10:00:00+01:00", "2026-11-19T15:30:00+01:00"),
    ("quadra-entreprise", None, None, "high", "pickup", None,
     "2026-11-19T10:00:00+01:00", "2026-11-19T17:30:00+01:00"),
    ("quadra-entreprise", None, None, "moderate", "pickup", None,
     "2026-11-19T10:00:00+01:00", "2026-11-20T11:00:00+01:00"),
    # a request's priority defaults to moderate
    ("quadra-entreprise", None, None, None, "pickup", None,
     "2026-11-19T10:00:00+01:00", "2026-11-20T11:00:00+01:00"),
    # Friday closes at 17:00; registered at night, the clock starts at the next opening
    ("quadra-entreprise", None, None, "critical", "pickup", None,
     "2026-11-20T16:00:00+01:00", "2026-11-23T12:00:00+01:00"),
    ("quadra-entreprise", None, None, "critical", "pickup", None,
     "2026-11-19T22:00:00+01:00", "2026-11-20T14:30:00+01:00"),
    # E §12.2: Open 8 h (afternoons from 14:30), Private 4 h (extended hours 09:00-18:00)
    ("expert-on-demand", "open", None, None, "pickup", None,
     "2026-11-19T09:00:00+01:00", "2026-11-20T10:30:00+01:00"),
    ("expert-on-demand", "private", None, None, "pickup", None,
     "2026-11-19T15:00:00+01:00", "2026-11-20T10:00:00+01:00"),
    # a priority given to an offer without priorities changes nothing
    ("expert-on-demand", "open", None, "critical", "pickup", None,
     "2026-11-19T09:00:00+01:00", "2026-11-20T10:30:00+01:00"),
    # C §3.1.2 and S §13: 8 business hours
    ("eksae-contact", None, None, None, "pickup", None,
     "2026-11-19T09:00:00+01:00", "2026-11-20T10:00:00+01:00"),
    ("carrus-saas", None, None, None, "pickup", None,
     "2026-11-19T09:00:00+01:00", "2026-11-20T10:00:00+01:00"),
    # REQ-6: criticity 1 → action plan within 12 business hours (Thu 5 h, Fri 6.5 h, Mon 0.5 h)
    ("quadra-entreprise", None, None, None, "action-plan", "1",
     "2026-11-19T11:00:00+01:00", "2026-11-23T09:30:00+01:00"),
    ("quadra-entreprise", None, None, None, "action-plan", None,
     "2026-11-19T11:00:00+01:00", "2026-11-23T09:30:00+01:00"),
    # E Private counts in its extended hours: Thu 10:00-18:00 (8 h), Fri 09:00-13:00
    ("expert-on-demand", "private", None, None, "action-plan", "1",
     "2026-11-19T10:00:00+01:00", "2026-11-20T13:00:00+01:00"),
    # criticity 2 → fix within 6 business days: end (24:00) of the 6th business day after
    ("quadra-entreprise", None, None, None, "fix", "2",
     "2026-11-16T10:00:00+01:00", "2026-11-25T00:00:00+01:00"),
    ("eksae-contact", None, None, None, "fix", None,
     "2026-11-16T10:00:00+01:00", "2026-11-25T00:00:00+01:00"),
    # C §3.1.3: the client validates within 3 business days of the delivery
    ("eksae-contact", None, None, None, "validation", None,
     "2026-11-19T10:00:00+01:00", "2026-11-25T00:00:00+01:00"),
    # DST, autumn: Fri 23 Oct 16:00 CEST, 1 h on Friday, 3 h on Monday 26 Oct in CET
    ("quadra-entreprise", None, None, "critical", "pickup", None,
     "2026-10-23T16:00:00+02:00", "2026-10-26T12:00:00+01:00"),
    # DST, spring: 6 business days from Thu 26 Mar end on Fri 3 Apr, 24:00 CEST
    ("quadra-entreprise", None, None, None, "fix", "2",
     "2026-03-26T10:00:00+01:00", "2026-04-04T00:00:00+02:00"),
    # an instant given in UTC is answered in the calendar's local offset
    ("quadra-entreprise", None, None, "critical", "pickup", None,
     "2026-11-19T09:00:00Z", "2026-11-19T15:30:00+01:00"),
    # Alsace-Moselle: 26 December is a holiday
    ("quadra-entreprise", None, "6AE", "critical", "pickup", None,
     "2026-12-24T16:00:00+01:00", "2026-12-28T11:30:00+01:00"),
    # overseas (S §5, §6): Martinique hours in its own zone; 22 May (abolition of slavery in
    # Martinique) and Whit Monday 25 May are holidays → Tue 26 May
    ("carrus-saas", None, "972", None, "pickup", None,
     "2026-05-21T09:00:00-04:00", "2026-05-26T10:00:00-04:00"),
]  # fmt: skip


def sla_due(*args: str) -> list[str]:
    return ["sla", "due", *args]


def arguments(offer, formula, territory, priority, kind, criticity, start) -> list[str]:  # type: ignore[no-untyped-def]
    args = ["--offer", offer, "--kind", kind, "--at", start, "--json"]
    for flag, value in (
        ("--formula", formula),
        ("--territory", territory),
        ("--priority", priority),
        ("--criticity", criticity),
    ):
        if value is not None:
            args += [flag, value]
    return sla_due(*args)


@pytest.mark.parametrize(
    ("offer", "formula", "territory", "priority", "kind", "criticity", "start", "due"), DUE
)
def test_it_prints_the_deadline_a_request_would_get(
    capsys, offer, formula, territory, priority, kind, criticity, start, due
) -> None:
    code = main(arguments(offer, formula, territory, priority, kind, criticity, start))
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["due"] == due
    assert document["offer"] == offer and document["kind"] == kind
    assert document["territory"] == (territory or "metropole")
    assert datetime.fromisoformat(document["at"]) == datetime.fromisoformat(start)


def test_it_prints_the_whole_document(capsys) -> None:
    code = main(
        sla_due(
            "--offer", "expert-on-demand", "--formula", "private", "--kind", "action-plan",
            "--at", "2026-11-19T10:00:00+01:00", "--json",
        )
    )  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "offer": "expert-on-demand",
        "formula": "private",
        "territory": "metropole",
        "kind": "action-plan",
        "priority": None,
        "criticity": 1,
        "at": "2026-11-19T10:00:00+01:00",
        "due": "2026-11-20T13:00:00+01:00",
        "warn_at": "2026-11-20T10:00:00+01:00",  # 75 % of 12 h = 9 h
        "allowed": "12 heures ouvrées",
        "calendar": "support-extended",
        "timezone": "Europe/Paris",
    }


def test_it_prints_only_the_instant_without_json(capsys) -> None:
    args = ["--offer", "quadra-entreprise", "--kind", "pickup", "--priority", "critical"]
    assert main(sla_due(*args, "--at", "2026-11-19T10:00:00+01:00")) == 0
    assert capsys.readouterr().out == "2026-11-19T15:30:00+01:00\n"


BAD = [
    (["--offer", "nope", "--kind", "pickup"], "no built-in offer 'nope'"),
    (["--offer", "expert-on-demand", "--formula", "gold", "--kind", "pickup"], "no formula 'gold'"),
    (["--offer", "quadra-entreprise", "--territory", "mars", "--kind", "pickup"],
     "unknown territory 'mars'"),
    (["--offer", "quadra-entreprise", "--territory", "972", "--kind", "pickup"],
     "not sold in territory 972"),
    (["--offer", "quadra-entreprise", "--kind", "lunch"], "unknown kind 'lunch'"),
    (["--offer", "quadra-entreprise", "--kind", "pickup", "--priority", "urgent"],
     "unknown priority 'urgent'"),
    (["--offer", "quadra-entreprise", "--kind", "fix", "--criticity", "3"],
     "no fix deadline for criticity 3 (only 2)"),
    (["--offer", "quadra-entreprise", "--kind", "action-plan", "--criticity", "2"],
     "no action-plan deadline for criticity 2 (only 1)"),
    (["--offer", "quadra-entreprise", "--kind", "fix", "--criticity", "x"],
     "criticity is 1, 2 or 3"),
    (["--offer", "quadra-entreprise", "--kind", "validation"], "no client validation deadline"),
    (["--offer", "expert-on-demand", "--formula", "connect", "--kind", "pickup"],
     "formula connect has no pickup deadline"),
    (["--offer", "preventcare", "--kind", "fix"], "has no fix deadline"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD)
def test_it_refuses_bad_input_with_one_line_and_exit_2(capsys, args, message) -> None:
    code = main(sla_due(*args, "--at", "2026-11-19T10:00:00+01:00", "--json"))
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("livret: error: ")
    assert message in err


@pytest.mark.parametrize(
    ("instant", "message"),
    [
        ("2026-11-19T10:00:00", "has no UTC offset"),
        ("2026-11-19 10:00", "has no UTC offset"),
        ("tomorrow", "cannot read instant 'tomorrow'"),
        ("2026-13-40T10:00:00+01:00", "cannot read instant"),
        ("", "cannot read instant"),
    ],
)
def test_it_refuses_a_naive_or_unreadable_instant(capsys, instant, message) -> None:
    code = main(sla_due("--offer", "quadra-entreprise", "--kind", "pickup", "--at", instant))
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and message in err


def test_the_real_command_needs_no_database(tmp_path) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    # a database that cannot be reached, and an empty data directory that must stay empty
    result = run_livret(
        "sla", "due", "--offer", "quadra-entreprise", "--priority", "critical",
        "--kind", "pickup", "--at", "2026-11-19T10:00:00+01:00", "--json",
        data_dir=empty, database_url=UNREACHABLE_DATABASE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["due"] == "2026-11-19T15:30:00+01:00"
    assert list(empty.iterdir()) == []
    bad = run_livret("sla", "due", "--offer", "quadra-entreprise", "--kind", "pickup",
                     "--at", "2026-11-19T10:00:00",
                     data_dir=empty, database_url=UNREACHABLE_DATABASE)  # fmt: skip
    assert bad.returncode == 2
    assert len(bad.stderr.splitlines()) == 1 and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- sla report


@pytest.mark.django_db
def test_it_reports_compliance_per_period(personas, versions, capsys) -> None:
    from livret.support import services
    from livret.support.services import NewRequest
    from livret.tenants.services import create_contract

    # E Open (§12.2): 8 business hours, 75 % per 12 months from the support start
    contract = create_contract(
        client=personas.client_a,
        reference="A-E",
        offer_version=versions["expert-on-demand"],
        formula="open",
        start_date=date(2026, 1, 5),
    )
    tech = personas.technician
    new = NewRequest(kind="anomaly", title="Plantage", description="ERR")

    def filed(when: str):  # type: ignore[no-untyped-def]
        return services.file_request(filer=personas.user_a, contract=contract, new=new, at=at(when))

    on_time = filed("2026-11-19 10:00")  # due Fri 20 Nov 11:30
    assert on_time.pickup_due_at == at("2026-11-20 11:30")
    services.take_in_charge(on_time, tech, at=at("2026-11-19 11:00"))
    services.take_in_charge(filed("2026-11-19 10:00"), tech, at=at("2026-11-20 12:00"))
    filed("2027-01-06 10:00")  # second period, not due yet
    now = "2027-01-06T11:00:00+01:00"
    assert main(["sla", "report", "--contract", "A-E", "--at", now, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["contract"], report["target_percent"]) == ("A-E", 75)
    first, second = report["periods"]
    assert (first["start"], first["end"]) == ("2026-01-05", "2027-01-05")
    assert (first["in_time"], first["missed"], first["rate_percent"], first["met"]) == (
        1, 1, 50.0, False,
    )  # fmt: skip
    assert (second["registered"], second["pending"]) == (1, 1)
    # by contract number, one period only
    assert main(["sla", "report", "--contract", str(contract.pk), "--period", "1",
                 "--at", now, "--json"]) == 0  # fmt: skip
    assert [p["index"] for p in json.loads(capsys.readouterr().out)["periods"]] == [1]
    assert main(["sla", "report", "--contract", "A-E", "--at", now]) == 0
    text = capsys.readouterr().out
    assert "target 75" in text
    assert "period 0  2026-01-05 → 2027-01-05" in text and "50.0 %  NOT MET" in text


@pytest.mark.django_db
def test_it_refuses_an_unknown_contract_or_period(personas, capsys) -> None:
    assert main(["sla", "report", "--contract", "NOPE", "--json"]) == 2
    assert capsys.readouterr().err == (
        "livret: error: no contract 'NOPE' (give its reference or its number)\n"
    )
    assert main(["sla", "report", "--contract", "A-1", "--period", "7", "--json"]) == 2
    assert "no period 7" in capsys.readouterr().err
