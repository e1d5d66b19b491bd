"""The request page as each person reads it (issue 12): one thread built from the trail, the
side pane, deadlines said in words, and a constant number of queries however long the thread."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from livret.support import composer, services
from livret.support.models import CannedResponse, Team
from livret.support.services import NewRequest
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

FILED = at("2026-12-08 09:00")  # a Tuesday
QUESTION = "Quelle version du logiciel utilisez-vous ?"
INTERNAL = "Client sur une version ancienne, voir avec l'équipe produit"
ANSWER = "Nous sommes en version 4.12"
PLAN = "Contournement : export mois par mois en attendant le correctif"
FIX = "Correctif 4.12.3 installé : l'export va au bout"


def named(user, first: str, last: str):  # type: ignore[no-untyped-def]
    user.first_name, user.last_name = first, last
    user.save()
    return user


@pytest.fixture
def people(personas):  # type: ignore[no-untyped-def]
    named(personas.user_a, "Alice", "Arnaud")
    named(personas.user_b, "Bruno", "Blanc")
    named(personas.technician, "Thomas", "Tessier")
    return personas


@pytest.fixture
def worked(people, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A critical anomaly filed with a screenshot, asked about, answered with a log file,
    noted internally, given an action plan and then a fix."""
    settings.UPLOADS_DIR = tmp_path / "uploads"
    tech, user_a = people.technician, people.user_a
    item = services.file_request(
        filer=user_a,
        contract=people.client_a.contracts.get(),
        new=NewRequest(
            kind="anomaly",
            title="Export FEC bloqué",
            description="L'export s'arrête à 40 %",
            error_messages="Erreur 0x80004005",
            priority="critical",
        ),
        attachments=[("capture.png", b"\x89PNG\r\n\x1a\n0000")],
        at=FILED,
    )
    services.take_in_charge(item, tech, at=FILED + timedelta(minutes=30))
    services.qualify(item, tech, 1, at=FILED + timedelta(minutes=40))
    services.ask_client(item, tech, QUESTION, at=FILED + timedelta(hours=1))
    services.comment(item, tech, INTERNAL, internal=True, at=FILED + timedelta(hours=1, minutes=5))
    item.refresh_from_db()
    composer.submit(
        item,
        user_a,
        ANSWER,
        [("journal.txt", b"ERR 0x80004005 ligne 12")],
        at=FILED + timedelta(hours=2),
    )
    services.deliver_action_plan(item, tech, PLAN, at=FILED + timedelta(hours=3))
    services.deliver_fix(item, tech, FIX, at=FILED + timedelta(hours=4))
    item.refresh_from_db()
    return item


def page_of(client, user, item) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    with time_machine.travel(FILED + timedelta(hours=5), tick=False):
        response = client.get(f"/demandes/{item.number}/")
    assert response.status_code == 200
    return response.content.decode()


def message(page: str, kind: str) -> str:
    """The HTML of the first thread item of this kind."""
    found = re.search(rf'<li class="msg msg-{kind}[^"]*">.*?</article>', page, re.S)
    assert found, f"no {kind} message"
    return found.group(0)


def test_it_shows_the_client_the_question_its_answer_and_the_fix(client, people, worked) -> None:
    page = page_of(client, people.user_a, worked)
    assert "Échanges" in page and "Aucun message" not in page
    assert QUESTION.replace("'", "&#x27;") in message(page, "question")
    assert "Thomas Tessier" in message(page, "question")
    assert ">Support<" in message(page, "question")
    answer = message(page, "answer")
    assert ANSWER in answer and "Alice Arnaud" in answer and ">Support<" not in answer
    assert "journal.txt" in answer  # the file sent with the answer sits in the answer
    assert "capture.png" in message(page, "description")  # filed with the request
    assert "Erreur 0x80004005" in message(page, "description")
    assert "Contournement : export mois par mois" in message(page, "action-plan")
    assert "Correctif 4.12.3 installé" in message(page, "fix")
    assert page.index("Quelle version") < page.index("version 4.12") < page.index("Correctif 4")
    assert "Valider la livraison" in page and "Refuser la livraison" in page


def test_it_never_shows_the_client_an_internal_note_nor_a_login(client, people, worked) -> None:
    page = page_of(client, people.user_a, worked)
    assert "version ancienne" not in page
    assert "Note interne" not in page
    main = page[page.index("<main") : page.index("</main>")]  # the header is not this page's
    assert "user-a" not in main and ">tech<" not in main and "(tech)" not in main


def test_it_shows_the_technician_everything_with_internal_notes_marked(
    client, people, worked
) -> None:
    page = page_of(client, people.technician, worked)
    note = message(page, "internal")
    assert INTERNAL.replace("'", "&#x27;") in note
    assert "Note interne : invisible du client" in note
    assert ANSWER in message(page, "answer") and FIX.replace("'", "&#x27;") in page
    assert "Prise en charge</span> — Thomas Tessier (support)" in page  # a one-line item
    assert "Demande qualifiée : criticité 1 — Bloquante</span>" in page


def test_it_shows_another_client_nothing(client, people, worked) -> None:
    client.force_login(people.user_b)
    assert client.get(f"/demandes/{worked.number}/").status_code == 404
    attachment = worked.attachments.first()
    assert client.get(f"/pieces-jointes/{attachment.pk}/").status_code == 404


def test_it_shows_the_contract_and_the_people_in_the_side_pane(client, people, worked) -> None:
    page = page_of(client, people.user_a, worked)
    side = page[page.index('<aside class="pane-side"') : page.index("</aside>")]
    assert "Client A" in side and "A-1" in side
    assert "Formule" in side and "Ligne prioritaire" in side
    assert "Utilisateurs formés</dt><dd>oui" in side
    assert "Technicien</dt><dd>Thomas Tessier" in side
    assert "par Alice Arnaud (Portail)" in side
    assert "capture.png" in side and "journal.txt" in side
    assert f'href="/demandes/{worked.number}/historique/"' in side
    assert "REQ-" not in page  # no SPEC identifier on a user page


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 200), ("user_b", 404), ("technician", 200)]
)
def test_the_audit_trail_has_its_own_page(client, people, worked, persona, status) -> None:
    """REQ-11: the client reads its request's trail, without the internal note's event."""
    client.force_login(getattr(people, persona))
    response = client.get(f"/demandes/{worked.number}/historique/")
    assert response.status_code == status
    if status == 404:
        return
    page = response.content.decode()
    assert f"Historique de {worked.number} — Export FEC bloqué" in page
    assert "<strong>Information demandée au client</strong> par Thomas Tessier" in page
    assert "<strong>Réponse du client</strong> par Alice Arnaud" in page
    internal = "invisible du client</span>"
    assert (internal in page) is (persona == "technician")
    events = worked.events.count() - (0 if persona == "technician" else 1)
    assert f"{events} événements, du plus ancien au plus récent." in page


def test_it_says_the_deadline_as_a_person_would(client, people) -> None:
    """Qualified criticity 2 on Tuesday 8/12 at 10:00: 6 business days, CAL-5, end at
    Wednesday 16/12 24:00, said "fin de journée le mercredi 16/12"."""
    item = services.file_request(
        filer=people.user_a,
        contract=people.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Lenteurs", description="Tout est lent"),
        at=FILED,
    )
    services.take_in_charge(item, people.technician, at=FILED + timedelta(minutes=30))
    services.qualify(item, people.technician, 2, at=FILED + timedelta(hours=1))
    item.refresh_from_db()
    page = page_of(client, people.user_a, item)
    clock = page[page.index('id="clocks"') : page.index("</section>", page.index('id="clocks"'))]
    assert "Correction</strong> — échéance" in clock
    assert "fin de journée le mercredi 16/12" in clock
    assert 'datetime="2026-12-17T00:00:00+01:00"' in clock  # the instant stays exact
    assert "prochaine échéance : fin de journée le mercredi 16/12" in page


def test_it_fills_the_canned_responses_of_the_team_on_the_server(client, people, worked) -> None:
    team = Team.objects.create(name="Support Quadra", slug="quadra")
    other = Team.objects.create(name="Support Expert", slug="expert")
    worked.team = team
    worked.save(update_fields=["team"])
    CannedResponse.objects.create(
        team=team, title="Relance", body="Bonjour {nom} ({client}), la demande {numero} {x}"
    )
    CannedResponse.objects.create(title="Échéance", body="Prévu : {echeance}.")
    CannedResponse.objects.create(team=other, title="Autre équipe", body="jamais ici")
    page = page_of(client, people.technician, worked)
    number = worked.number
    assert f'data-text="Bonjour Alice Arnaud (Client A), la demande {number} {{x}}"' in page
    assert 'data-text="Prévu : ' in page and "{echeance}" not in page
    assert "jamais ici" not in page and "Autre équipe" not in page
    assert '<script src="/static/livret/composer.js" defer></script>' in page
    assert "Relance" not in page_of(client, people.user_a, worked)


def _queries(client, user, item) -> int:  # type: ignore[no-untyped-def]
    client.force_login(user)
    client.get(f"/demandes/{item.number}/")  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/demandes/{item.number}/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["user_a", "technician"])
def test_it_reads_a_long_thread_in_as_many_queries_as_a_short_one(
    client, people, worked, persona
) -> None:
    user = getattr(people, persona)
    short = _queries(client, user, worked)
    for n in range(60):
        author = people.technician if n % 2 else people.user_a
        services.comment(worked, author, f"message {n}", at=FILED + timedelta(hours=6, minutes=n))
        services.comment(
            worked, people.technician, f"note {n}", internal=True, at=FILED + timedelta(hours=7)
        )
        services.add_attachment(
            worked, author, f"f{n}.txt", b"x", at=FILED + timedelta(hours=6, minutes=n)
        )
    page = page_of(client, user, worked)
    assert "message 59" in page and "f59.txt" in page
    assert _queries(client, user, worked) == short
    assert short <= 16


def test_it_shows_calls_sessions_proposals_loose_files_and_the_closing_reason(
    client, people, worked
) -> None:
    tech = people.technician
    later = FILED + timedelta(hours=6)
    services.record_phone_request(
        technician=tech,
        contract=worked.contract,
        filer=people.user_a,
        new=NewRequest(kind="anomaly", title="Appel", description="Le client rappelle"),
        portal_request=worked,
        at=later,
    )
    services.book_remote_assistance(
        worked, tech, at("2026-12-10 14:30"), 30, at=later + timedelta(minutes=1)
    )
    services.propose_billable(
        worked,
        tech,
        service="formation",
        description="Une demi-journée de formation à l'export",
        amount_eur="450",
        at=later + timedelta(minutes=2),
    )
    services.add_attachment(
        worked, people.user_a, "suite.txt", b"encore", at=later + timedelta(minutes=3)
    )
    services.close(worked, tech, "Résolu par le correctif", at=later + timedelta(minutes=4))
    worked.refresh_from_db()
    page = page_of(client, people.user_a, worked).replace("&#x27;", "'")
    assert "Le client rappelle" in message(page, "phone-call")
    assert "Séance le jeudi 10/12/2026 à 14:30 (30 minutes)." in message(page, "remote-session")
    proposal = message(page, "proposal")
    assert "Une demi-journée de formation à l'export" in proposal
    assert "Montant : 450,00 € HT" in proposal
    loose = message(page, "attachment")
    assert "suite.txt" in loose and "Alice Arnaud" in loose and "Pièce jointe" in loose
    assert "Résolu par le correctif" in message(page, "closed")
    assert "Le problème revient ?" in page  # a closed request: reopen, no composer
