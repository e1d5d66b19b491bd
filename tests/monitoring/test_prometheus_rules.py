"""The Prometheus alerting rules shipped in contrib/prometheus reproduce MON-2 (SPEC MON-2, MON-3).

``promtool check rules`` validates them and ``promtool test rules`` runs their unit tests
(pending and firing instants). Without promtool (Debian package ``prometheus``) these tests
skip, unless ``CI=true``: then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from livret.core.monitoring import rules_from_offer
from livret.core.monitoring_rules import IMPACTS
from livret.core.offer import load_preset

CONTRIB = Path(__file__).resolve().parents[2] / "contrib" / "prometheus"
RULE_FILES = sorted(CONTRIB.glob("*.rules.yml"))
RULES = {rule.id: rule for rule in rules_from_offer(load_preset("preventcare").offer)}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "promtool is not installed (apt-get install prometheus)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    return found


def run_promtool(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=CONTRIB, capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def alerts(path: Path) -> list[dict[str, str]]:
    """The alerting rules of one of our files: alert name, ``for``, ``rule`` and ``severity``.

    The files are ours and regular, so a line reader is enough (no YAML dependency).
    """
    found: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\s+- alert: (\S+)$", line):
            found.append({"alert": match[1], "for": "0m"})
        elif match := re.match(r"\s+(for|rule|severity): (\S+)$", line):
            found[-1][match[1]] = match[2]
    return found


def test_it_ships_two_rule_files_with_the_seven_livret_rules() -> None:
    assert [p.name for p in RULE_FILES] == [
        "preventcare-node.rules.yml",
        "preventcare-windows.rules.yml",
    ]
    for path in RULE_FILES:
        ids = [a["rule"] for a in alerts(path)]
        assert sorted(ids) == sorted(
            ["cpu", "memory-committed", "pagefile", "disk-busy", "disk-queue", "disk-free",
             "heartbeat"]
        ), path.name  # fmt: skip


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_it_keeps_the_offers_durations_and_impacts_in_the_prometheus_rules(path: Path) -> None:
    # MON-2 durations (for:) and MON-3 impacts (severity) are those of the preset.
    for alert in alerts(path):
        assert alert["severity"] in IMPACTS
        if alert["rule"] == "heartbeat":
            assert alert["severity"] == "major-extended"
            continue
        rule = RULES[alert["rule"]]
        assert alert["severity"] == rule.impact, alert
        minutes = int(rule.hold.total_seconds() // 60)
        assert alert["for"] == f"{minutes}m", alert


def test_it_uses_the_same_0300_paris_time_test_in_both_files() -> None:
    # The DST unit test runs on the Windows file only; the node file must match it exactly.
    def time_test(path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        start = text.index("and on () minute() == 0")
        return text[start : text.index("keep_firing_for: 23h59m", start)]

    windows, node = (time_test(CONTRIB / f"preventcare-{n}.rules.yml") for n in ("windows", "node"))
    assert windows == node
    assert "% 24 == 3" in windows


def test_it_passes_promtool_check_rules() -> None:
    done = run_promtool("check", "rules", *[p.name for p in RULE_FILES])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS: 7 rules found") == 2


@pytest.mark.parametrize("name", ["preventcare-windows.test.yml", "preventcare-node.test.yml"])
def test_it_passes_the_promtool_unit_tests_of_pending_and_firing_times(name: str) -> None:
    done = run_promtool("test", "rules", name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.slow
def test_it_checks_free_space_at_0300_paris_on_the_dst_sundays_with_promtool() -> None:
    # 29 March and 25 October (1970's DST Sundays fall on 2026's dates); ~30 s.
    done = run_promtool("test", "rules", "preventcare-dst.test.yml", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
