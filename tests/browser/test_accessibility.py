"""Accessibility and security checks of the main pages, in the real browser, on a desktop
(1280 px) and at 375 px: labels, one h1, lang, no horizontal scroll, keyboard focus that moves
and shows, colour contrast (WCAG relative luminance), CSRF on every POST form, cookie flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import conftest
from tests.browser.conftest import DESKTOP, MOBILE, Browse, playwright_api

expect = playwright_api().expect

# (name, persona or None, path); "{request}" is a demo request of Boulangerie Martin
PAGES = [
    ("home", None, "/"),
    ("offers", None, "/offres/"),
    ("booklet", None, "/offres/quadra-entreprise/"),
    ("login", None, "/connexion/"),
    ("password-reset", None, "/compte/oubli/"),
    ("portal-requests", "martin", "/demandes/?etat=toutes"),
    ("portal-new-request", "martin", "/demandes/nouvelle/"),
    ("portal-request", "martin", "{request}"),
    ("portal-dashboard", "martin", "/tableau-de-bord/"),
    ("portal-accounts", "martin", "/compte/utilisateurs/"),
    ("password-change", "martin", "/compte/mot-de-passe/"),
    ("backoffice-queue", "technicien", "/support/file/"),
    ("backoffice-request", "technicien", "{request}"),
    ("backoffice-phone", "technicien", "/support/telephone/"),
    ("backoffice-dashboard", "technicien", "/tableau-de-bord/?client=boulangerie-martin"),
    ("backoffice-customer-service", "technicien", "/support/service-client/"),
    ("backoffice-offers", "technicien", "/support/offres/"),
    ("backoffice-accounts", "technicien", "/compte/utilisateurs/"),
    ("not-found", "durand", "{request}"),
]
VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}
# the demo request in state "qualified": the request page then shows most of its forms
DEMO_TITLE = "Édition du grand livre incomplète"

# Colour helpers shared by the scripts below: WCAG 2 relative luminance and contrast ratio.
COLOUR_JS = r"""
  const parse = (c) => {
    const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null;
  };
  const over = (top, under) => {  // alpha-composite top over an opaque colour
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const visible = (el) => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && r.width > 1 && r.height > 1
      && r.right > 0 && r.bottom > 0 && el.getClientRects().length > 0;
  };
"""

# One script, run in the page: everything measurable without a keyboard.
AUDIT_JS = (
    "() => {"
    + COLOUR_JS
    + r"""
  const describe = (el) => el.outerHTML.slice(0, 160);

  const unlabelled = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) continue;
    const byFor = el.id && [...document.querySelectorAll("label[for]")]
      .some(l => l.htmlFor === el.id && l.textContent.trim());
    const wrapped = el.closest("label") && el.closest("label").textContent.trim();
    const aria = (el.getAttribute("aria-label") || "").trim();
    const by = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)
      .some(id => document.getElementById(id) && document.getElementById(id).textContent.trim());
    if (!(byFor || wrapped || aria || by)) unlabelled.push(describe(el));
  }
  const dangling = [...document.querySelectorAll("label[for]")]
    .filter(l => !document.getElementById(l.htmlFor)).map(describe);
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) ids[el.id] = (ids[el.id] || 0) + 1;
  const duplicateIds = Object.keys(ids).filter(id => ids[id] > 1);

  const lowContrast = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, option, script, style, noscript, .visually-hidden")) continue;
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent)
      .join("").trim();
    if (!text || !visible(el) || el.disabled) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    if (!fg) continue;
    const bg = background(el);
    const value = ratio(over(fg, bg), bg);
    if (value < 4.5) {
      lowContrast.push(`${value.toFixed(2)}:1 ${s.color} on rgb(${bg.slice(0, 3).join(",")})`
        + ` "${text.slice(0, 40)}" ${describe(el).slice(0, 80)}`);
    }
  }

  const postForms = [...document.querySelectorAll("form")]
    .filter(f => (f.getAttribute("method") || "get").toLowerCase() === "post");
  const withoutCsrf = postForms.filter(f => {
    const token = f.querySelector("input[name=csrfmiddlewaretoken]");
    return !token || token.value.length < 32;
  }).map(f => f.getAttribute("action") || "(this page)");

  return {
    lang: document.documentElement.lang,
    h1: [...document.querySelectorAll("h1")].map(h => h.textContent.trim()),
    title: document.title,
    unlabelled, dangling, duplicateIds, lowContrast, withoutCsrf,
    postForms: postForms.length,
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
  };
}
"""
)

# The focused element: what it is, whether its focus shows (outline or box-shadow), and the
# contrast of its outline with the background around it (WCAG 1.4.11: at least 3:1).
FOCUS_JS = (
    "() => {"
    + COLOUR_JS
    + r"""
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  const ring = parse(s.outlineColor);
  const around = background(el.parentElement || el);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 60),
    name: el.id || el.getAttribute("name") || "",
    outlineStyle: s.outlineStyle,
    outlineWidth: parseFloat(s.outlineWidth),
    outlineContrast: ring ? ratio(over(ring, around), around) : 0,
    boxShadow: s.boxShadow,
    onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
      && r.left < window.innerWidth,
  };
}
"""
)


@pytest.fixture(scope="session")
def demo_request(browse: Browse) -> str:
    """The path of a demo request of Boulangerie Martin, found through martin's list."""
    context = browse.context("martin")
    try:
        page = context.new_page()
        page.goto("/demandes/?etat=toutes")
        row = page.locator("tbody tr", has_text=DEMO_TITLE)
        href = row.get_by_role("link").first.get_attribute("href")
        assert href and href.startswith("/demandes/"), href
        return href
    finally:
        context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("name", "persona", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible(
    browse: Browse,
    demo_request: str,
    name: str,
    persona: str | None,
    path: str,
    viewport: str,
) -> None:
    path = path.format(request=demo_request)
    page = browse.page(persona, VIEWPORTS[viewport])
    response = page.goto(path)
    assert response is not None
    assert response.status == (404 if name == "not-found" else 200), (path, response.status)
    assert "/connexion/" not in page.url or name == "login", f"{path} sent to the login page"
    audit = page.evaluate(AUDIT_JS)

    assert audit["lang"] == "fr"
    assert len(audit["h1"]) == 1, f"{path}: h1 elements {audit['h1']}"
    assert audit["title"].strip()
    assert not audit["unlabelled"], f"{path}: fields without a label {audit['unlabelled']}"
    assert not audit["dangling"], f"{path}: labels for no field {audit['dangling']}"
    assert not audit["duplicateIds"], f"{path}: duplicate ids {audit['duplicateIds']}"
    assert not audit["lowContrast"], f"{path}: contrast < 4.5:1 {audit['lowContrast']}"
    assert not audit["withoutCsrf"], f"{path}: POST forms without CSRF {audit['withoutCsrf']}"
    assert audit["scrollWidth"] <= audit["innerWidth"] + 1, (
        f"{path}: horizontal scroll at {audit['innerWidth']} px "
        f"(content {audit['scrollWidth']} px wide)"
    )
    _check_keyboard_focus(page, path)


def _check_keyboard_focus(page: Any, path: str, presses: int = 8) -> None:
    """Tab moves the focus through links, buttons and fields, visibly at every stop."""
    autofocus = page.evaluate("document.activeElement !== document.body")
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        if focus is None:  # past the last control, the focus leaves the page
            break
        assert focus["tag"] in ("a", "button", "input", "select", "textarea", "summary"), focus
        assert focus["onScreen"], f"{path}: focused element off screen {focus}"
        outlined = focus["outlineStyle"] != "none" and focus["outlineWidth"] >= 2
        if outlined and focus["outlineStyle"] != "auto":  # "auto": the browser's own ring
            assert focus["outlineContrast"] >= 3, f"{path}: focus ring too faint {focus}"
        shadowed = focus["boxShadow"] not in ("", "none")
        assert outlined or shadowed, f"{path}: focus not visible on {focus}"
        seen.append(f"{focus['tag']}#{focus['name']}:{focus['text']}")
    assert len(set(seen)) >= 3, f"{path}: Tab does not move the focus {seen}"
    if not autofocus:
        assert seen[0] == "a#:Aller au contenu", f"{path}: first Tab stop {seen[0]}"


def test_skip_link_moves_to_the_content(browse: Browse) -> None:
    context = browse.context("martin")
    try:
        page = context.new_page()
        page.goto("/demandes/")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
        expect(page.get_by_role("link", name="Aller au contenu")).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))  # waits: the hash changes after Enter
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('main') !== null")
        assert focused, "after the skip link, Tab should land inside <main>"
    finally:
        context.close()


def test_forms_can_be_filled_and_sent_with_the_keyboard(browse: Browse) -> None:
    """Logging in by keyboard only: Tab to each field, type, Enter."""
    context = browse.context()
    try:
        page = context.new_page()
        page.goto("/connexion/")
        page.locator("#id_username").focus()
        page.keyboard.type("durand")
        page.keyboard.press("Tab")
        expect(page.locator("#id_password")).to_be_focused()
        page.keyboard.type(conftest.PASSWORDS["durand"])
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/connexion/" not in url)
        expect(page.get_by_role("button", name=re.compile("Se déconnecter"))).to_be_visible()
    finally:
        context.close()


def test_session_cookie_is_httponly_and_samesite_lax(browse: Browse) -> None:
    context = browse.context()
    try:
        page = context.new_page()
        browse.login(page, "martin")
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["sessionid"]
        assert session["httpOnly"] is True
        assert session["sameSite"] == "Lax"
        assert cookies["csrftoken"]["sameSite"] == "Lax"
        # the page's scripts cannot read the session cookie
        assert "sessionid" not in page.evaluate("document.cookie")
    finally:
        context.close()


def test_a_post_without_csrf_token_is_refused(browse: Browse, demo_request: str) -> None:
    context = browse.context("martin")
    try:
        answer = context.request.post(f"{demo_request}commenter/", form={"text": "sans jeton"})
        assert answer.status == 403
    finally:
        context.close()


# --------------------------------------------------------------------------- the harness


def test_missing_chromium_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(conftest, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        conftest.require_chromium()
    assert str(skipped.value) == (
        "Chromium not found at /nonexistent/chromium: browser tests skipped "
        "(apt-get install chromium)"
    )


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception) as failed:
        conftest.require_chromium(Path("/nonexistent/chromium"))
    assert "Chromium not found at /nonexistent/chromium" in str(failed.value)
