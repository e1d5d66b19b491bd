"""The ``livret`` command, run for real in a subprocess against a SQLite demo."""

from __future__ import annotations

import json

from livret.core.offer.presets import PRESET_IDS
from tests.helpers.cli import run_livret


def test_it_lists_the_imported_offers_as_stable_json(demo_dir) -> None:
    result = run_livret("offers", "list", "--json", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(PRESET_IDS)
    assert set(rows[0]) == {
        "id",
        "name",
        "vendor",
        "kind",
        "label",
        "version",
        "digest",
        "builtin",
        "imported",
        "contracts",
    }
    by_id = {r["id"]: r for r in rows}
    assert by_id["expert-on-demand"]["contracts"] == 1
    assert all(r["imported"] and r["version"] == 1 for r in rows)


def test_it_lists_presets_before_any_database_exists(tmp_path) -> None:
    result = run_livret("offers", "list", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == list(PRESET_IDS)
    assert not any(r["imported"] for r in rows)


def test_it_shows_an_offer_in_text_and_json(demo_dir) -> None:
    text = run_livret("offers", "show", "quadra-entreprise", data_dir=demo_dir)
    assert "critical 4 heures ouvrées" in text.stdout
    data = json.loads(
        run_livret("offers", "show", "carrus-saas", "--json", data_dir=demo_dir).stdout
    )
    assert data["version"] == 1
    assert data["offer"]["availability"]["target_percent"] == 99.85


def test_it_renders_a_booklet_in_both_formats(demo_dir) -> None:
    html = run_livret("offers", "render", "expert-on-demand", "--format", "html", data_dir=demo_dir)
    assert html.returncode == 0, html.stderr
    assert html.stdout.lstrip().lower().startswith("<!doctype html")
    md = run_livret("offers", "render", "expert-on-demand", "--format", "md", data_dir=demo_dir)
    assert "99,5 %" in md.stdout


def test_it_imports_a_changed_file_as_a_new_version(tmp_path) -> None:
    from livret.core.offer.presets import preset_path

    data = tmp_path / "data"
    assert run_livret("manage", "migrate", "-v0", data_dir=data).returncode == 0
    assert run_livret("offers", "import", "--builtin", data_dir=data).returncode == 0
    changed = tmp_path / "carrus.toml"
    text = preset_path("carrus-saas").read_text().replace("99.85", "99.9")
    changed.write_text(text)
    first = run_livret("offers", "import", str(changed), data_dir=data)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith("imported: carrus-saas version 2")
    again = run_livret("offers", "import", str(changed), data_dir=data)
    assert again.stdout.strip().startswith("unchanged: carrus-saas version 2")


def test_it_refuses_bad_input_with_one_line_and_no_traceback(demo_dir, tmp_path) -> None:
    cases = [
        (("offers", "show", "nope"), 2, "no built-in offer 'nope'"),
        (("offers", "show", "quadra-entreprise", "--version", "7"), 2, "has no version 7"),
        (("offers", "render", "quadra-entreprise", "--format", "pdf"), 2, "invalid choice"),
        (("offers", "import"), 2, "give a PATH or --builtin"),
    ]
    for args, code, words in cases:
        result = run_livret(*args, data_dir=demo_dir)
        assert result.returncode == code, (args, result.stderr)
        assert words in result.stderr
        assert "Traceback" not in result.stderr


def test_it_passes_management_commands_through(demo_dir) -> None:
    result = run_livret("manage", "showmigrations", "offers", data_dir=demo_dir)
    assert result.returncode == 0
    assert "[X] 0001_initial" in result.stdout


def test_it_runs_the_demo_again_without_duplicating(demo_dir) -> None:
    result = run_livret("demo", data_dir=demo_dir)
    assert result.returncode == 0, result.stderr
    assert "admin / " in result.stdout and "martin / " in result.stdout
    rows = json.loads(run_livret("offers", "list", "--json", data_dir=demo_dir).stdout)
    assert sum(r["contracts"] for r in rows) == 5


def test_it_names_the_output_path_it_cannot_write(tmp_path) -> None:
    """issue 13, item 12: a missing output directory is one line, not a traceback."""
    target = tmp_path / "missing" / "dir" / "x.html"
    result = run_livret(
        "offers", "render", "quadra-entreprise", "--format", "html", "-o", str(target),
        data_dir=tmp_path / "data",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"livret: error: cannot write {target}: No such file or directory"
    )
