"""The status page (MNT-3) in the real browser, on a real ``livret serve``: the public page
shows a service's state, a planned maintenance and the monthly availability chart; it passes
the project's accessibility checks; a client logs in and sees its private variant."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    DESKTOP,
    MOBILE,
    Browse,
    playwright_api,
    require_chromium,
    screenshot,
)
from tests.browser.test_accessibility import AUDIT_JS, _check_keyboard_focus
from tests.helpers.cli import run_livret
from tests.helpers.net import free_port

expect = playwright_api().expect

# Run inside the platform after `livret demo` (which creates a service per SaaS contract,
# livret.status.demo): Boulangerie Martin's Quadra service stays public, Cabinet Durand's
# Expert services are made private; an incident of last week, a maintenance ahead.
SEED = r"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from livret.status import services
from livret.status.models import Service

PARIS = ZoneInfo("Europe/Paris")
tech = get_user_model().objects.get(username="technicien")
now = timezone.now()
martin = Service.objects.get(contract__reference="Q-2026-001", environment="production")
assert martin.public and martin.public_label == "Quadra Entreprise On Demand"
Service.objects.filter(pk=martin.pk).update(name="Quadra — Boulangerie Martin")
Service.objects.filter(contract__reference="E-2025-014").update(public=False)
day = (now - timedelta(days=7)).astimezone(PARIS)
while day.weekday() > 4:
    day -= timedelta(days=1)
start = day.replace(hour=10, minute=0, second=0, microsecond=0)
incident = services.declare_incident(
    tech, [martin], "Lenteurs à la connexion", "service", start, "Nous analysons.",
    at=start + timedelta(minutes=5),
)
services.resolve_incident(tech, incident, start + timedelta(minutes=40), "Rétabli.",
                          at=start + timedelta(minutes=45))
day = (now + timedelta(days=3)).astimezone(PARIS)
while day.weekday() > 3:
    day += timedelta(days=1)
start = day.replace(hour=22, minute=0, second=0, microsecond=0)
services.plan_maintenance(
    tech, [martin], "Mise à jour de la base de données", start, start + timedelta(hours=2),
    blocking=True, description="Interruption complète.",
)
"""


@pytest.fixture(scope="module")
def status_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``livret serve`` on a fresh SQLite demo with a status page seeded."""
    require_chromium()
    data_dir = tmp_path_factory.mktemp("status-page-demo")
    result = run_livret("demo", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    env = {**os.environ, "LIVRET_DATA_DIR": str(data_dir), "DATABASE_URL": ""}
    seeded = subprocess.run(
        [sys.executable, "-c", "from livret.boot import setup_django\nsetup_django()\n" + SEED],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stderr
    port = free_port()
    log_path = Path(data_dir) / "serve.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "livret", "serve", "--port", str(port), "--workers", "1"],
        env={**env, "LIVRET_DEBUG": "False", "LIVRET_SECURE_COOKIES": "False"},
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
                pytest.fail(f"livret serve did not start within 30 s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def status_browse(browser: Any, status_server: str) -> Iterator[Browse]:
    browse = Browse(browser, status_server)
    try:
        yield browse
    finally:
        browse.close()


def test_public_page_shows_state_maintenance_and_monthly_chart(status_browse: Browse) -> None:
    context = status_browse.context()
    try:
        page = context.new_page()
        page.goto("/statut/cegid/")
        expect(page.get_by_role("heading", level=1)).to_have_text("État des services — Cegid")
        service = page.locator("li.service", has_text="Quadra Entreprise On Demand")
        expect(service.locator(".state")).to_have_text("Opérationnel")
        expect(page.locator(".status-summary")).to_have_text(
            "Tous les services sont opérationnels."
        )
        planned = page.locator(
            "section", has=page.get_by_role("heading", name="Maintenances planifiées")
        )
        expect(
            planned.get_by_role("link", name="Mise à jour de la base de données")
        ).to_be_visible()
        expect(planned).to_contain_text("bloquante")
        chart = page.get_by_role(
            "img", name="Disponibilité mensuelle de Quadra Entreprise On Demand"
        )
        expect(chart).to_be_visible()
        assert chart.locator("rect").count() >= 1
        expect(page.locator("table", has_text="Objectif")).to_contain_text("99 %")
        expect(
            page.get_by_role("heading", name="Historique des incidents (90 jours)")
        ).to_be_visible()
        expect(page.get_by_role("link", name="Lenteurs à la connexion")).to_be_visible()
        body = page.content()
        assert "Boulangerie Martin" not in body and "Cabinet Durand" not in body
        screenshot(page, "status-page-public")
        # the maintenance's own page, from its link
        planned.get_by_role("link", name="Mise à jour de la base de données").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Mise à jour de la base de données"
        )
        expect(page.get_by_text("Interruption complète.")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", ["desktop", "mobile"])
def test_public_status_page_is_accessible(status_browse: Browse, viewport: str) -> None:
    """The checks of test_accessibility.py: labels, one h1, lang, contrast, CSRF on every POST
    form (the cached page gets a token of its own on each visit), no horizontal scroll, focus."""
    page = status_browse.page(None, DESKTOP if viewport == "desktop" else MOBILE)
    response = page.goto("/statut/cegid/")
    assert response is not None and response.status == 200
    audit = page.evaluate(AUDIT_JS)
    assert audit["lang"] == "fr"
    assert audit["h1"] == ["État des services — Cegid"]
    assert audit["title"].strip()
    assert not audit["unlabelled"], audit["unlabelled"]
    assert not audit["dangling"], audit["dangling"]
    assert not audit["duplicateIds"], audit["duplicateIds"]
    assert not audit["lowContrast"], audit["lowContrast"]
    assert not audit["withoutCsrf"], audit["withoutCsrf"]
    assert audit["postForms"] >= 1  # the language switcher
    assert audit["scrollWidth"] <= audit["innerWidth"] + 1
    _check_keyboard_focus(page, "/statut/cegid/")


def test_client_logs_in_and_sees_its_private_variant(status_browse: Browse) -> None:
    context = status_browse.context()
    try:
        page = context.new_page()
        page.goto("/statut/cegid/mon-espace/")
        assert "/connexion/" in page.url  # login first
        page.fill("#id_username", "martin")
        page.fill("#id_password", "livret-client-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r"/statut/cegid/mon-espace/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Mon espace — état des services Cegid"
        )
        own = page.locator("li.service", has_text="Quadra — Boulangerie Martin")
        expect(own).to_contain_text("votre service")
        expect(own.locator(".state")).to_have_text("Opérationnel")
        expect(page.get_by_role("img", name=re.compile("Disponibilité mensuelle"))).to_have_count(1)
        assert "Cabinet Durand" not in page.content()
        screenshot(page, "status-page-private")
        # subscribing from the private page: a confirmation mail is on its way
        page.get_by_role(
            "button", name="Recevoir aussi les annonces de mes services par e-mail"
        ).click()
        expect(page.get_by_role("status").first).to_contain_text("e-mail de confirmation")
    finally:
        context.close()
