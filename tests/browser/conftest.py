"""Fixtures of the browser tests: a real ``livret serve`` on a fresh SQLite demo, and the
machine's Chromium (``/usr/bin/chromium``, the Debian package) driven by Playwright.

Without Chromium the tests skip with a message naming the missing binary, except in CI
(``CI=true``), where they fail: CI installs the package (``.ci/run``) and must run them.
We never use ``playwright install``: it downloads browsers from the network at test time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_livret
from tests.helpers.net import free_port

# LIVRET_CHROMIUM: another binary (e.g. /usr/bin/chromium-browser on other distributions)
CHROMIUM = Path(os.environ.get("LIVRET_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 740}
# Screenshots go to a temporary folder unless LIVRET_SCREENSHOTS_DIR is set: `make
# screenshots` sets it to docs/screenshots, so a plain test run never rewrites the tree.
SCREENSHOTS = Path(
    os.environ.get("LIVRET_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "livret-screenshots"
)
PASSWORDS = {
    "martin": "livret-client-2026",
    "durand": "livret-client-2026",
    "technicien": "livret-tech-2026",
    "admin": "livret-admin-2026",
}


# Console messages of Chromium refusing something under the Content-Security-Policy (issue 13,
# item 3): every browser test fails if its pages logged one.
CSP_VIOLATIONS: list[str] = []


def watch_csp(context: Any) -> Any:
    """Record the context's Content-Security-Policy violations in CSP_VIOLATIONS."""

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)
    return context


@pytest.fixture(autouse=True)
def no_csp_violation() -> Iterator[None]:
    """issue 13, item 3: no page of the test broke the Content-Security-Policy."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


def in_ci() -> bool:
    return os.environ.get("CI", "") == "true"


def require_chromium(path: Path | None = None) -> Path:
    """The Chromium binary; skip (fail in CI) when it is missing."""
    path = CHROMIUM if path is None else path
    if path.is_file() and os.access(path, os.X_OK):
        return path
    if in_ci():
        pytest.fail(
            f"Chromium not found at {path}: the browser tests must run in CI (CI=true); "
            "apt-get install chromium (.ci/run does it)",
            pytrace=False,
        )
    pytest.skip(f"Chromium not found at {path}: browser tests skipped (apt-get install chromium)")


def playwright_api() -> Any:
    """``playwright.sync_api``; skip the calling test module without it (fail in CI).

    Called at the top of the test modules, so a missing Playwright is a clear skip rather
    than an import error at collection."""
    try:
        import playwright.sync_api as api
    except ImportError:
        message = "Playwright not installed: browser tests skipped (pip install -e '.[dev]')"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message, allow_module_level=True)
    return api


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``livret serve`` for real, on its own fresh SQLite demo (even when the suite itself
    runs on PostgreSQL: DATABASE_URL is emptied)."""
    require_chromium()  # no point starting a server for tests that will skip
    data_dir = tmp_path_factory.mktemp("browser-demo")
    result = run_livret("demo", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    port = free_port()
    env = {
        **os.environ,
        "LIVRET_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "LIVRET_DEBUG": "False",
        "LIVRET_SECURE_COOKIES": "False",  # plain http on 127.0.0.1
    }
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "livret", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (data_dir / "serve.log").read_text()
                pytest.fail(f"livret serve did not start within 30 s:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = require_chromium()
    with playwright_api().sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Browse:
    """Opens browser contexts on the live server, logged in as a demo persona if asked."""

    browser: Any
    base_url: str
    _states: dict[str, Any] = field(default_factory=dict)
    _pages: dict[str | None, Any] = field(default_factory=dict)

    def context(self, user: str | None = None, viewport: dict[str, int] = DESKTOP) -> Any:
        state = self._state(user) if user else None
        return watch_csp(
            self.browser.new_context(
                base_url=self.base_url,
                viewport=viewport,
                locale="fr-FR",
                timezone_id="Europe/Paris",
                storage_state=state,
            )
        )

    def page(self, user: str | None = None, viewport: dict[str, int] = DESKTOP) -> Any:
        """A page kept open for the whole session, one per persona (a browser context costs
        about 0.4 s to open; the accessibility tests visit many pages)."""
        if user not in self._pages:
            self._pages[user] = self.context(user).new_page()
        page = self._pages[user]
        page.set_viewport_size(viewport)
        return page

    def close(self) -> None:
        for page in self._pages.values():
            page.context.close()
        self._pages.clear()

    def login(self, page: Any, user: str) -> None:
        """Log in through the real login form."""
        page.goto("/connexion/")
        page.fill("#id_username", user)
        page.fill("#id_password", PASSWORDS[user])
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(lambda url: "/connexion/" not in url)

    def _state(self, user: str) -> Any:
        """One real login per persona, its cookies reused by later contexts (argon2 is slow
        by design; logging in for every page would cost seconds each)."""
        if user not in self._states:
            context = watch_csp(self.browser.new_context(base_url=self.base_url, viewport=DESKTOP))
            try:
                self.login(context.new_page(), user)
                self._states[user] = context.storage_state()
            finally:
                context.close()
        return self._states[user]


@pytest.fixture(scope="session")
def browse(browser: Any, live_server_url: str) -> Iterator[Browse]:
    browse = Browse(browser, live_server_url)
    try:
        yield browse
    finally:
        browse.close()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under LIVRET_SCREENSHOTS_DIR (docs/screenshots with `make screenshots`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path
