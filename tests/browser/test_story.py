"""The whole story through the real UI, by clicks and typing: a client files a critical anomaly
with a screenshot attached, a technician takes it in charge and qualifies it criticity 1, the
client sees the new deadline, the technician asks a question that the client reads and answers
in the composer, the technician reads the answer and delivers the action plan then the fix, the
client reads the fix and validates, and the request is closed with its audit trail. Another
client gets a 404. Each step asserts what each person reads (issue 12).

Screenshots of the main pages are saved along the way (docs/screenshots/, see its README)."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest

from tests.browser.conftest import MOBILE, Browse, playwright_api, screenshot

expect = playwright_api().expect

TITLE = "Export FEC bloqué à la clôture"


def tiny_png(width: int = 16, height: int = 16) -> bytes:
    """A valid PNG (a blue square), built by hand: no imaging library needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x0b\x5c\xad" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def status(page: Any) -> Any:
    """The flash messages of the page (role=status)."""
    return page.locator("ul.messages")


def clock(page: Any, label: str) -> Any:
    return page.locator("#clocks li.clock", has_text=label)


def fact(page: Any, name: str) -> Any:
    return page.locator(".facts div", has=page.locator("dt", has_text=name)).locator("dd")


def said(page: Any, kind: str) -> Any:
    """The thread's messages of one kind (question, answer, fix …)."""
    return page.locator(f"ol.thread li.msg-{kind}")


def compose(page: Any, action: str, text: str) -> None:
    """The technician's one composer: pick the action, write, send."""
    page.get_by_label("Action", exact=True).select_option(label=action)
    page.get_by_label("Votre message").fill(text)
    page.get_by_role("button", name="Envoyer", exact=True).click()


QUESTION = "Quelle version de Quadra est installée sur le poste qui exporte ?"
ANSWER = "Quadra 4.12.1, sur le poste de la comptable."
FIX = "Correctif 4.12.3 installé : l'export FEC va au bout."


@pytest.mark.slow
def test_client_files_technician_handles_client_validates(browse: Browse) -> None:
    client_context = browse.context("martin")
    tech_context = browse.context("technicien")
    try:
        client = client_context.new_page()
        tech = tech_context.new_page()

        # --- martin files a critical anomaly with a screenshot attached
        client.goto("/demandes/")
        expect(client.locator("h1")).to_have_text("Demandes de Boulangerie Martin")
        screenshot(client, "portal-requests")
        client.locator("main").get_by_role("link", name="Nouvelle demande").click()
        expect(client.locator("h1")).to_have_text("Nouvelle demande")
        client.get_by_label("Contrat").select_option(
            label="Q-2026-001 — Quadra Entreprise On Demand"
        )
        client.get_by_label("Type de demande").select_option(label="Anomalie / incident")
        client.get_by_label("Priorité").select_option(label="Critique")
        client.get_by_label("Objet").fill(TITLE)
        client.get_by_label("Description").fill(
            "L'export du fichier des écritures comptables s'arrête à 40 %.\n"
            "Attendu : le fichier FEC complet."
        )
        client.get_by_label("Messages d'erreur").fill("Erreur 0x80004005 : accès refusé")
        client.get_by_label("Enchaînement des menus").fill("Clôture > Export FEC")
        client.get_by_label("Pièces jointes").set_input_files(
            {"name": "capture.png", "mimeType": "image/png", "buffer": tiny_png()}
        )
        screenshot(client, "portal-new-request")
        client.get_by_role("button", name="Déposer la demande").click()

        expect(status(client)).to_contain_text("un accusé de réception vous a été envoyé")
        match = re.search(r"/demandes/([^/]+)/$", client.url)
        assert match, client.url
        number = match.group(1)
        expect(client.locator("h1")).to_have_text(f"{number} — {TITLE}")
        expect(fact(client, "Priorité")).to_have_text("Critique")
        expect(clock(client, "Prise en charge")).to_contain_text("échéance")
        expect(clock(client, "Prise en charge").locator("time")).to_have_attribute(
            "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
        )
        # the description is the first message, with the screenshot filed with it
        expect(said(client, "description")).to_contain_text("s'arrête à 40 %")
        expect(said(client, "description")).to_contain_text("Jean Martin")
        expect(said(client, "description").get_by_role("link", name="capture.png")).to_be_visible()
        with client.expect_download() as download:
            said(client, "description").get_by_role("link", name="capture.png").click()
        assert download.value.suggested_filename == "capture.png"

        # --- the technician finds it in the queue, takes it in charge, qualifies it
        tech.goto("/support/file/")
        expect(tech.locator("h1")).to_have_text("File d'attente du support")
        row = tech.locator("#queue-rows tr", has_text=number)
        expect(row).to_contain_text("Boulangerie Martin")
        expect(row).to_contain_text("Enregistrée")
        screenshot(tech, "backoffice-queue")
        row.get_by_role("link", name=number).click()
        expect(tech.locator("h1")).to_contain_text(number)
        tech.get_by_role("button", name="Prendre en charge").click()
        expect(status(tech)).to_contain_text("Demande prise en charge.")
        expect(fact(tech, "Technicien")).to_have_text("Thomas Petit")  # a name, not a login
        tech.get_by_label("Criticité").select_option(label="1 — Bloquante")
        tech.get_by_role("button", name="Qualifier").click()
        expect(status(tech)).to_contain_text("Demande qualifiée.")
        expect(fact(tech, "Criticité")).to_have_text("1 — Bloquante")

        # --- martin reloads and sees the new deadline: the action plan
        client.reload()
        expect(fact(client, "État")).to_have_text("Qualifiée")
        expect(clock(client, "Plan d'action")).to_contain_text("échéance")
        expect(clock(client, "Plan d'action")).to_contain_text("en cours")
        expect(clock(client, "Prise en charge")).to_contain_text("tenu")
        screenshot(client, "portal-request")
        mobile_context = browse.context("martin", viewport=MOBILE)
        try:
            mobile = mobile_context.new_page()
            mobile.goto(f"/demandes/{number}/")
            expect(clock(mobile, "Plan d'action")).to_be_visible()
            screenshot(mobile, "mobile-request")
            mobile.goto("/demandes/")
            screenshot(mobile, "mobile-requests", full_page=False)
        finally:
            mobile_context.close()

        # --- the technician asks a question; martin reads it and answers in the composer
        tech.reload()
        compose(tech, "Demander une information (suspend les délais)", QUESTION)
        expect(status(tech)).to_contain_text("Question envoyée : délais suspendus.")
        expect(said(tech, "question")).to_contain_text(QUESTION)
        client.reload()
        expect(fact(client, "État")).to_have_text("En attente du client")
        expect(said(client, "question")).to_contain_text(QUESTION)
        expect(said(client, "question")).to_contain_text("Thomas Petit")
        expect(clock(client, "Plan d'action")).to_contain_text("suspendu")
        client.get_by_label("Votre réponse").fill(ANSWER)
        client.get_by_role("button", name="Envoyer la réponse").click()
        expect(status(client)).to_contain_text("Réponse envoyée : les délais reprennent.")
        expect(said(client, "answer")).to_contain_text(ANSWER)
        expect(clock(client, "Plan d'action")).to_contain_text("en cours")

        # --- the technician reads the answer, delivers the action plan, then the fix
        tech.reload()
        expect(said(tech, "answer")).to_contain_text(ANSWER)
        expect(said(tech, "answer")).to_contain_text("Jean Martin")
        expect(fact(tech, "État")).to_have_text("Qualifiée")
        screenshot(tech, "backoffice-request")
        compose(
            tech,
            "Fournir le plan d'action corrective",
            "Contournement : export par période mensuelle ; correctif en cours de test.",
        )
        expect(status(tech)).to_contain_text("Plan d'action envoyé.")
        expect(fact(tech, "État")).to_have_text("Plan d'action fourni")
        compose(tech, "Livrer une correction", FIX)
        expect(status(tech)).to_contain_text("Livraison envoyée au client.")
        expect(fact(tech, "État")).to_have_text("En attente de validation client")

        # --- martin reads the fix, then validates: closed, the audit trail lists the steps
        client.reload()
        expect(clock(client, "Plan d'action")).to_contain_text("tenu")
        expect(said(client, "action-plan")).to_contain_text("export par période mensuelle")
        expect(said(client, "fix")).to_contain_text(FIX)
        expect(said(client, "fix")).to_contain_text("Thomas Petit")
        client.get_by_role("button", name="Valider la livraison").click()
        expect(status(client)).to_contain_text("Livraison validée : demande clôturée.")
        expect(fact(client, "État")).to_have_text("Clôturée")
        client.get_by_role("link", name="Historique complet (piste d'audit)").click()
        expect(client.locator("h1")).to_contain_text(f"Historique de {number}")
        audit = client.locator("ol.audit li")
        steps = [
            "Demande enregistrée",
            "Prise en charge",
            "Qualification",
            "Information demandée au client",
            "Réponse du client",
            "Plan d'action fourni",
            "Correction livrée",
            "Livraison validée",
        ]
        labels = [text.split(" — ", 1)[1] for text in audit.all_inner_texts()]
        positions = [next(i for i, t in enumerate(labels) if t.startswith(s)) for s in steps]
        assert positions == sorted(positions), labels
        expect(audit.filter(has_text="Qualification")).to_contain_text("(criticité 1)")
        client.goto("/demandes/?etat=closes")
        expect(client.get_by_role("link", name=number)).to_be_visible()

        # the technician's queue no longer lists it
        tech.goto("/support/file/")
        expect(tech.locator("#queue-rows")).not_to_contain_text(number)
    finally:
        client_context.close()
        tech_context.close()

    # --- another client's user gets a 404 on that request and on its attachment
    other_context = browse.context("durand")
    try:
        other = other_context.new_page()
        response = other.goto(f"/demandes/{number}/")
        assert response is not None and response.status == 404
        expect(other.locator("body")).not_to_contain_text(TITLE)
        expect(other.locator("h1")).to_have_text("Page introuvable")
        screenshot(other, "not-found", full_page=False)
        # posting an action on it (with a valid CSRF token of durand's session) is a 404 too
        token = next(c["value"] for c in other_context.cookies() if c["name"] == "csrftoken")
        answer = other_context.request.post(
            f"/demandes/{number}/valider/",
            form={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{browse.base_url}/demandes/"},
        )
        assert answer.status == 404, answer.status
        other.goto("/demandes/?etat=toutes")
        expect(other.locator("main")).not_to_contain_text(number)
    finally:
        other_context.close()


def test_screenshots_of_the_other_main_pages(browse: Browse) -> None:
    """Login, client dashboard, accounts page, booklet page (the story takes the others)."""
    anonymous = browse.context()
    try:
        page = anonymous.new_page()
        page.goto("/connexion/")
        expect(page.locator("h1")).to_have_text("Connexion")
        screenshot(page, "login", full_page=False)
        page.goto("/offres/quadra-entreprise/")
        expect(page.locator("h1")).to_contain_text("Quadra")
        screenshot(page, "booklet", full_page=False)
    finally:
        anonymous.close()
    context = browse.context("martin")
    try:
        page = context.new_page()
        page.goto("/tableau-de-bord/")
        expect(page.locator("h1")).to_have_text("Bilan personnalisé")
        expect(page.locator("svg.chart").first).to_be_visible()
        screenshot(page, "portal-dashboard")
        page.goto("/compte/utilisateurs/")
        expect(page.locator("h1")).to_have_text("Comptes de Boulangerie Martin")
        screenshot(page, "portal-accounts")
    finally:
        context.close()
    mobile = browse.context(viewport=MOBILE)
    try:
        page = mobile.new_page()
        page.goto("/connexion/")
        screenshot(page, "mobile-login", full_page=False)
    finally:
        mobile.close()
