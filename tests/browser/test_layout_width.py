"""The header and the back office on a 1280 px screen (issue 12): the menu holds on one line for
every persona, and the tables use the screen's width instead of an 800 px column."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, Browse, playwright_api

playwright_api()

MEASURE_JS = """() => {
  const nav = document.querySelector('header.site nav');
  const link = nav.querySelector('a');
  const table = document.querySelector('main table');
  return {
    nav: nav.getBoundingClientRect().height,
    line: link.getBoundingClientRect().height,
    links: nav.querySelectorAll('a').length,
    table: table ? table.getBoundingClientRect().width : null,
  };
}"""


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("martin", "/demandes/"),
        ("technicien", "/support/file/"),
        ("admin", "/exploitation/services/"),  # the lead: the longest menu, with the admin link
        (None, "/offres/"),
    ],
)
def test_the_menu_holds_on_one_line_at_1280_px(
    browse: Browse, persona: str | None, path: str
) -> None:
    page = browse.page(persona, DESKTOP)
    page.goto(path)
    sizes = page.evaluate(MEASURE_JS)
    assert sizes["links"] >= 2
    assert sizes["nav"] < 1.5 * sizes["line"], f"{path}: the menu wraps {sizes}"


def test_the_back_office_tables_use_the_width(browse: Browse) -> None:
    page = browse.page("technicien", DESKTOP)
    page.goto("/support/file/")
    sizes = page.evaluate(MEASURE_JS)
    assert sizes["table"] > 1100, f"the queue is squeezed into {sizes['table']} px"
