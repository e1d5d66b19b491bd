"""Searching by the real UI (issue 12): the client whose request holds a word of a message finds
it by typing that word in another form; another client finds nothing; the technician finds it
in the queue across clients. A screenshot of the client's search is saved."""

from __future__ import annotations

from tests.browser.conftest import Browse, playwright_api, screenshot

expect = playwright_api().expect
TITLE = "Dossier client inaccessible"  # the demo's request of durand, asked for a screenshot


def search(page, box: str, words: str, button: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label(box).fill(words)
    page.get_by_role("button", name=button).click()


def test_a_word_of_a_message_finds_the_request_for_its_client_only(browse: Browse) -> None:
    page = browse.page("durand")
    page.goto("/demandes/")
    search(page, "Rechercher", "captures d'ecran", "Rechercher")  # the question says « capture »
    rows = page.locator("table tbody")
    expect(rows).to_contain_text(TITLE)
    expect(page.get_by_label("Rechercher")).to_have_value("captures d'ecran")
    screenshot(page, "search-client")

    page = browse.page("martin")
    page.goto("/demandes/")
    search(page, "Rechercher", "captures d'ecran", "Rechercher")
    expect(page.locator("table tbody")).to_have_text("Aucune demande.")

    page = browse.page("technicien")
    page.goto("/support/file/")
    search(page, "Rechercher", "capture", "Filtrer")
    expect(page.locator("#queue-rows")).to_contain_text(TITLE)
    expect(page.locator("#queue-rows")).not_to_contain_text("grand livre")
