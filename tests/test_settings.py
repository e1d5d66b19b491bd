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


def _configuration_error(tmp_path, *args: str, **variables: str) -> str:
    """The one stderr line of ``livret ARGS`` under these variables (exit 2 checked)."""
    import os

    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        result = run_livret(*args, data_dir=tmp_path / "data")
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr.strip()


@pytest.mark.parametrize(
    ("name", "raw", "must_be"),
    [
        ("LIVRET_PORT", "http", "an integer, not 'http'"),
        ("LIVRET_PORT", "0", "a TCP port (1 to 65535), not 0"),
        ("LIVRET_PORT", "70000", "a TCP port (1 to 65535), not 70000"),
        ("LIVRET_WEB_WORKERS", "two", "an integer, not 'two'"),
        ("LIVRET_WEB_WORKERS", "0", "a number of processes (1 or more), not 0"),
        ("LIVRET_WEB_THREADS", "-1", "a number of threads (1 or more), not -1"),
        ("LIVRET_HOST", " ", "a host name or address, not empty"),
        ("LIVRET_LOG_LEVEL", "LOUD", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not 'LOUD'"),
        ("LIVRET_MAX_ATTACHMENT_MB", "-3", "a number of megabytes (1 or more), not -3"),
    ],
)
@pytest.mark.parametrize("command", [("offers", "list"), ("serve",)])
def test_it_refuses_a_bad_server_setting_in_one_line(tmp_path, command, name, raw, must_be) -> None:
    """issue 13, item 12: `livret serve` reads its address and sizes from the settings,
    which refuse a malformed value with the variable's name (exit 2, no traceback)."""
    line = _configuration_error(tmp_path, *command, **{name: raw})
    assert line == f"livret: error: configuration: {name} must be {must_be}"


def test_it_accepts_a_log_level_in_lower_case(tmp_path) -> None:
    """issue 13, item 12: the level names are matched whatever their case."""
    import os

    os.environ["LIVRET_LOG_LEVEL"] = "warning"
    try:
        result = run_livret("offers", "list", data_dir=tmp_path)
    finally:
        del os.environ["LIVRET_LOG_LEVEL"]
    assert result.returncode == 0, result.stderr


def test_it_refuses_a_data_directory_that_is_a_file(tmp_path) -> None:
    """issue 13, item 12: LIVRET_DATA_DIR naming a file is one line, not a traceback."""
    a_file = tmp_path / "data"
    a_file.write_text("not a directory")
    result = run_livret("offers", "list", data_dir=a_file)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"livret: error: configuration: LIVRET_DATA_DIR {str(a_file)!r} is a file, not a directory"
    )


def test_it_refuses_a_data_directory_it_cannot_create(tmp_path) -> None:
    """issue 13, item 12: a data directory under a file cannot be created: one line, exit 2."""
    a_file = tmp_path / "file"
    a_file.write_text("")
    result = run_livret("offers", "list", data_dir=a_file / "data")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"livret: error: configuration: LIVRET_DATA_DIR {str(a_file / 'data')!r} "
        "cannot be created (Not a directory)"
    )


def _site_url(tmp_path, **variables: str) -> str:
    """LIVRET_SITE_URL as the settings read it under these variables."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("LIVRET_SITE_URL", "LIVRET_PORT")}
    env.update({"LIVRET_DATA_DIR": str(tmp_path), "DATABASE_URL": "", **variables})
    code = "import livret.settings as s; print(s.SITE_URL, s.VENDOR_NAME, sep='|')"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "http://127.0.0.1:8000|livret"),
        ({"LIVRET_PORT": "8001"}, "http://127.0.0.1:8001|livret"),  # make run PORT=8001
        ({"LIVRET_HOST": "0.0.0.0", "LIVRET_PORT": "9000"}, "http://127.0.0.1:9000|livret"),
        ({"LIVRET_HOST": "::1"}, "http://[::1]:8000|livret"),
        (
            {"LIVRET_SITE_URL": "https://support.example.fr/", "LIVRET_PORT": "8001"},
            "https://support.example.fr|livret",
        ),
        ({"LIVRET_VENDOR_NAME": "  Éditions   Exemple "}, "http://127.0.0.1:8000|Éditions Exemple"),
    ],
)
def test_the_site_url_defaults_to_where_livret_serve_listens(tmp_path, variables, expected) -> None:
    """issue 12: every absolute link and the demo's probes follow the address served."""
    assert _site_url(tmp_path, **variables) == expected


@pytest.mark.parametrize(
    "raw", ["support.example.fr", "ftp://example.fr", "http://x:port", "https://"]
)
def test_it_refuses_a_site_url_that_is_not_an_address(tmp_path, raw) -> None:
    line = _configuration_error(tmp_path, "offers", "list", LIVRET_SITE_URL=raw)
    assert line == (
        "livret: error: configuration: LIVRET_SITE_URL must be an http:// or https:// address "
        f"such as https://support.example.fr, not {raw!r}"
    )
