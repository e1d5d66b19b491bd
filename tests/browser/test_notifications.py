"""Notifications to staff in the real browser: a client answers the question of the technician
in charge; the technician's menu shows one more unread notification on its next refresh (htmx,
every 30 s: the page's clock is fast-forwarded), the list shows what the client wrote, and
opening it leads to the request and takes the count down. The two pages pass the same
accessibility audit as the others."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, MOBILE, Browse, playwright_api, screenshot
from tests.browser.test_accessibility import AUDIT_JS

expect = playwright_api().expect

# The demo's request of Cabinet Durand, taken by the technician, waiting for the client.
WAITING = "Dossier client inaccessible"
ANSWER = "Voici la capture : la page reste blanche après la connexion."


def unread(page: Any) -> int:
    """The unread count the menu shows (0 when it shows none)."""
    badge = page.locator("#notifications-unread")
    return int(badge.inner_text()) if badge.count() else 0


@pytest.mark.slow
def test_a_client_answer_reaches_the_technician_in_charge(browse: Browse) -> None:
    tech_context = browse.context("technicien")
    client_context = browse.context("durand")
    try:
        tech = tech_context.new_page()
        tech.clock.install()  # the menu's 30 s refresh, fast-forwarded below
        tech.goto("/support/file/")
        menu = tech.locator("#notifications-menu")
        expect(menu).to_contain_text("Notifications")
        before = unread(tech)

        # --- durand answers the question the technician asked
        client = client_context.new_page()
        client.goto("/demandes/?etat=toutes")
        client.get_by_role("row", name=WAITING).get_by_role("link").first.click()
        expect(client.locator("h1")).to_contain_text(WAITING)
        expect(client.locator("#notifications-menu")).to_have_count(0)  # no staff menu
        client.get_by_label("Votre réponse").fill(ANSWER)
        client.get_by_role("button", name="Envoyer la réponse").click()
        expect(client.locator("ul.messages")).to_contain_text("Réponse envoyée")
        number = client.url.rstrip("/").rsplit("/", 1)[-1]

        # --- the technician's menu counts it at its next refresh, without a reload
        tech.clock.fast_forward("00:31")
        expect(tech.locator("#notifications-unread")).to_have_text(str(before + 1))

        # --- the list says who wrote what, on which request; opening it leads there
        menu.click()
        expect(tech.locator("h1")).to_have_text("Notifications")
        item = tech.locator("li.notification", has_text=number).first
        expect(item).to_contain_text(f"Nouveau message du client : {WAITING}")
        expect(item).to_contain_text("non lue")
        expect(item).to_contain_text(ANSWER)
        expect(item).to_contain_text("(Cabinet Durand Expertise) a écrit sur la demande")
        screenshot(tech, "notifications", full_page=False)
        item.get_by_role("link").click()
        tech.wait_for_url(f"**/demandes/{number}/")
        expect(tech.locator("h1")).to_contain_text(WAITING)
        assert unread(tech) == before
        tech.goto("/notifications/")
        expect(tech.locator("li.notification", has_text=number).first).not_to_contain_text(
            "non lue"
        )
    finally:
        tech_context.close()
        client_context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
@pytest.mark.parametrize("path", ["/notifications/", "/notifications/preferences/"])
def test_the_notification_pages_are_accessible(
    browse: Browse, path: str, viewport: dict[str, int]
) -> None:
    page = browse.page("technicien", viewport)
    response = page.goto(path)
    assert response is not None and response.status == 200
    audit = page.evaluate(AUDIT_JS)
    assert audit["lang"] == "fr" and len(audit["h1"]) == 1
    assert not audit["unlabelled"], audit["unlabelled"]
    assert not audit["duplicateIds"], audit["duplicateIds"]
    assert not audit["lowContrast"], audit["lowContrast"]
    assert not audit["withoutCsrf"], audit["withoutCsrf"]
    assert audit["scrollWidth"] <= audit["innerWidth"] + 1


def test_a_client_is_refused_the_notification_pages(browse: Browse) -> None:
    page = browse.page("martin")
    for path in ("/notifications/", "/notifications/preferences/"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.locator("h1")).to_have_text("Page introuvable")
