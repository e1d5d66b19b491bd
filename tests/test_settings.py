"""Settings come from the environment with strict parsers and clear errors."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from livret.settings import env_bool, env_int
from tests.helpers.cli import run_livret


@pytest.mark.parametrize(
    ("raw", "value"), [("True", True), ("1", True), ("false", False), ("", True)]
)
def test_it_parses_booleans(monkeypatch, raw, value) -> None:
    monkeypatch.setenv("LIVRET_X", raw)
    assert env_bool("LIVRET_X", True) is value


@pytest.mark.parametrize("raw", ["yes", "on", "TRUE "])
def test_it_refuses_anything_else_as_a_boolean(monkeypatch, raw) -> None:
    monkeypatch.setenv("LIVRET_X", raw)
    with pytest.raises(ImproperlyConfigured, match="LIVRET_X must be True or False"):
        env_bool("LIVRET_X", False)


def test_it_refuses_a_non_integer(monkeypatch) -> None:
    monkeypatch.setenv("LIVRET_SMTP_PORT", "twenty-five")
    with pytest.raises(ImproperlyConfigured, match="LIVRET_SMTP_PORT must be an integer"):
        env_int("LIVRET_SMTP_PORT", 25)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (
            "LIVRET_MONITORING_SAMPLE_DAYS",
            "soon",
            "LIVRET_MONITORING_SAMPLE_DAYS must be an integer, not 'soon'",
        ),
        (
            "LIVRET_MONITORING_SAMPLE_DAYS",
            "0",
            "LIVRET_MONITORING_SAMPLE_DAYS must be a number of days (1 or more), not 0",
        ),
        (
            "LIVRET_MAX_ATTACHMENT_MB",
            "20 Mo",
            "LIVRET_MAX_ATTACHMENT_MB must be an integer, not '20 Mo'",
        ),
        (
            "LIVRET_MAX_ATTACHMENT_MB",
            "0",
            "LIVRET_MAX_ATTACHMENT_MB must be a number of megabytes (1 or more), not 0",
        ),
    ],
)
def test_it_refuses_a_bad_number_at_start_up(tmp_path, name, raw, message) -> None:
    import os

    os.environ[name] = raw
    try:
        result = run_livret("offers", "list", data_dir=tmp_path)
    finally:
        del os.environ[name]
    assert result.returncode == 2
    assert result.stderr.strip() == f"livret: error: configuration: {message}"


def test_it_stops_the_command_with_one_line_on_a_bad_setting(tmp_path) -> None:
    import os

    os.environ["LIVRET_DEBUG"] = "maybe"
    try:
        result = run_livret("offers", "list", data_dir=tmp_path)
    finally:
        del os.environ["LIVRET_DEBUG"]
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "livret: error: configuration: LIVRET_DEBUG must be True or False, not 'maybe'"
    )


def test_check_deploy_is_clean_behind_https(tmp_path, monkeypatch) -> None:
    """issue 13, item 3: an https LIVRET_SITE_URL turns on HSTS and secure cookies, so
    ``manage check --deploy`` has nothing to say."""
    import secrets

    monkeypatch.setenv("LIVRET_SITE_URL", "https://livret.example.fr")
    monkeypatch.setenv("LIVRET_SECRET_KEY", secrets.token_urlsafe(50))
    monkeypatch.setenv("LIVRET_DEBUG", "False")
    monkeypatch.setenv("LIVRET_ALLOWED_HOSTS", "livret.example.fr")
    monkeypatch.delenv("LIVRET_SECURE_COOKIES", raising=False)
    result = run_livret("manage", "check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
