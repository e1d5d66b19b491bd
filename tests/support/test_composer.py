"""One composer per side (issue 12): what each submit does, what the page then says, and the
refusals (wrong state, empty text, files) with the services' own messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from livret.support import composer, services
from livret.support.models import Comment, Request
from livret.support.services import NewRequest
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

FILED = at("2026-12-08 09:00")  # a Tuesday


@pytest.fixture
def item(personas, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.UPLOADS_DIR = tmp_path / "uploads"
    personas.technician.first_name, personas.technician.last_name = "Thomas", "Tessier"
    personas.technician.save()
    return services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="anomaly", title="Export bloqué", description="Il s'arrête"),
        at=FILED,
    )


def qualified(item: Request, tech, criticity: int = 1) -> Request:  # type: ignore[no-untyped-def]
    services.take_in_charge(item, tech, at=FILED + timedelta(minutes=10))
    services.qualify(item, tech, criticity, at=FILED + timedelta(minutes=20))
    item.refresh_from_db()
    return item


def send(client, user, item, when, **data):  # type: ignore[no-untyped-def]
    """POST the composer at ``when``, following the redirect; the page answered."""
    client.force_login(user)
    with time_machine.travel(when, tick=False):
        return client.post(f"/demandes/{item.number}/ecrire/", data, follow=True)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode().replace("&#x27;", "'")


# --------------------------------------------------------------------------- client


def test_the_clients_reply_is_the_answer_and_resumes_the_clocks(client, personas, item) -> None:
    item = qualified(item, personas.technician)
    services.ask_client(
        item, personas.technician, "Quelle version ?", at=FILED + timedelta(hours=1)
    )
    item.refresh_from_db()
    due_before = item.action_plan_due_at
    page = client.force_login(personas.user_a) or client.get(f"/demandes/{item.number}/")
    assert "Le support attend votre réponse" in text_of(page) and "Votre réponse" in text_of(page)
    response = send(client, personas.user_a, item, FILED + timedelta(hours=3), text="Version 4.12")
    item.refresh_from_db()
    assert item.state == "qualified"
    assert item.events.filter(kind="client-answered", data__text="Version 4.12").exists()
    assert item.action_plan_due_at > due_before  # paused two hours, pushed back (REQ-6b)
    page = text_of(response)
    assert "Réponse envoyée : les délais reprennent." in page
    assert "Version 4.12" in page and "Réponse du client" in page
    assert "suspendu" not in page


def test_the_clients_text_is_a_message_when_nothing_is_awaited(client, personas, item) -> None:
    response = send(
        client,
        personas.user_a,
        item,
        FILED + timedelta(hours=1),
        text="Cela arrive aussi sur le poste 2",
        files=[SimpleUploadedFile("poste2.png", b"\x89PNG\r\n\x1a\n00")],
    )
    note = Comment.objects.get(request=item)
    assert note.body == "Cela arrive aussi sur le poste 2" and not note.internal
    page = text_of(response)
    assert "Message envoyé au support." in page
    reply = page[page.index('<li class="msg msg-reply client">') :]
    reply = reply[: reply.index("</article>")]
    assert "Cela arrive aussi sur le poste 2" in reply and "poste2.png" in reply
    assert item.attachments.get().filename == "poste2.png"


def test_a_client_cannot_pick_a_technician_action(client, personas, item) -> None:
    send(client, personas.user_a, item, FILED, text="Merci", action="cloture")
    item.refresh_from_db()
    assert item.state == "registered"  # a message, not a closing
    assert Comment.objects.get(request=item).body == "Merci"


def test_an_empty_submit_is_refused_with_the_text_field_named(client, personas, item) -> None:
    response = send(client, personas.user_a, item, FILED, text="   ")
    assert response.status_code == 400
    assert "écrivez un message ou joignez un fichier" in text_of(response)
    assert item.events.count() == 1


def test_another_client_cannot_write_on_the_request(client, personas, item) -> None:
    response = send(client, personas.user_b, item, FILED, text="Bonjour")
    assert response.status_code == 404
    assert not Comment.objects.exists()


def test_the_client_validates_from_the_page_that_shows_the_fix(client, personas, item) -> None:
    item = qualified(item, personas.technician, criticity=2)
    services.deliver_fix(
        item, personas.technician, "Patch 7 installé", at=FILED + timedelta(hours=1)
    )
    client.force_login(personas.user_a)
    page = text_of(client.get(f"/demandes/{item.number}/"))
    assert page.index("Patch 7 installé") < page.index("Valider la livraison")
    response = client.post(f"/demandes/{item.number}/valider/", follow=True)
    assert "Livraison validée : demande clôturée." in text_of(response)
    assert "Le problème revient ?" in text_of(response)  # reopening, not writing


# --------------------------------------------------------------------------- technician


@pytest.mark.parametrize(
    ("action", "state", "said", "thread_label"),
    [
        ("message", "qualified", "Message envoyé au client.", "Message"),
        ("question", "waiting-for-client", "Question envoyée : délais suspendus.", "Question"),
        ("plan", "action-plan-delivered", "Plan d'action envoyé.", "Plan d'action corrective"),
        ("correction", "awaiting-validation", "Livraison envoyée au client.", "Correction livrée"),
        (
            "contournement",
            "awaiting-validation",
            "Livraison envoyée au client.",
            "Solution de contournement livrée",
        ),
        ("note", "qualified", "Note interne ajoutée.", "Note interne"),
        ("appel", "qualified", "Note d'appel ajoutée.", "Note d'appel téléphonique"),
        ("cloture", "closed", "Demande clôturée.", "Demande clôturée"),
    ],
)
def test_every_technician_action_of_the_picker(
    client, personas, item, action, state, said, thread_label
) -> None:
    item = qualified(item, personas.technician)
    text = f"Texte de l'action {action}"
    response = send(
        client, personas.technician, item, FILED + timedelta(hours=1), text=text, action=action
    )
    item.refresh_from_db()
    assert response.status_code == 200
    assert item.state == state
    page = text_of(response)
    assert said in page
    assert text in page and thread_label in page
    client.force_login(personas.user_a)
    seen_by_client = text_of(client.get(f"/demandes/{item.number}/"))
    assert (text in seen_by_client) is (action != "note")


def test_the_picker_offers_what_the_state_allows(personas, item) -> None:
    def offered(request: Request) -> list[str]:
        return [a.value for a in composer.technician_actions(request)]

    assert offered(item) == ["message", "note", "appel", "cloture"]
    item = qualified(item, personas.technician)
    assert offered(item) == [
        *["message", "question", "plan", "correction", "contournement"],
        *["note", "appel", "cloture"],
    ]
    services.close(item, personas.technician, at=FILED + timedelta(hours=1))
    item.refresh_from_db()
    assert offered(item) == ["message", "note", "appel"]


def test_an_action_the_state_refuses_keeps_the_text_and_says_why(client, personas, item) -> None:
    services.take_in_charge(item, personas.technician, at=FILED + timedelta(minutes=10))
    response = send(
        client,
        personas.technician,
        item,
        FILED + timedelta(hours=1),
        text="Plan : redémarrer le service",
        action="plan",
    )
    assert response.status_code == 409
    page = text_of(response)
    assert (
        "impossible de fournir un plan d'action : la demande est « Prise en charge » "
        "(possible depuis : Qualifiée)" in page
    )
    assert ">Plan : redémarrer le service</textarea>" in page  # kept for a second try
    item.refresh_from_db()
    assert item.state == "taken-in-charge"


def deliver_fix_with(client, personas, item, *files: SimpleUploadedFile):  # type: ignore[no-untyped-def]
    """The technician delivers a fix with files, from the composer."""
    item = qualified(item, personas.technician, criticity=2)
    return send(
        client,
        personas.technician,
        item,
        FILED + timedelta(hours=1),
        text="Correctif joint",
        action="correction",
        files=list(files),
    )


def test_files_sent_with_a_fix_appear_in_the_fix(client, personas, item) -> None:
    response = deliver_fix_with(
        client,
        personas,
        item,
        SimpleUploadedFile("patch.zip", b"PK\x03\x04zz"),
        SimpleUploadedFile("notice.txt", b"lire avant"),
    )
    page = text_of(response)
    fix = page[page.index('<li class="msg msg-fix support">') :]
    fix = fix[: fix.index("</article>")]
    assert "Correctif joint" in fix and "patch.zip" in fix and "notice.txt" in fix
    assert "Pièce jointe</span>" not in page  # no loose attachment item


def test_a_refused_file_undoes_the_whole_submit(client, personas, item, settings) -> None:
    settings.MAX_ATTACHMENT_BYTES = 1024 * 1024
    big = SimpleUploadedFile("gros.zip", b"0" * (1024 * 1024 + 1))
    response = deliver_fix_with(client, personas, item, big)
    assert response.status_code == 400
    assert "« gros.zip » : le fichier dépasse 1 Mo" in text_of(response)
    item.refresh_from_db()
    assert item.state == "qualified" and not item.attachments.exists()


def test_an_internal_note_carries_no_file(client, personas, item) -> None:
    response = send(
        client,
        personas.technician,
        item,
        FILED,
        text="Note",
        action="note",
        files=[SimpleUploadedFile("x.txt", b"x")],
    )
    assert response.status_code == 400
    assert "une pièce jointe est toujours visible du client" in text_of(response)
    assert not Comment.objects.exists()


def test_an_unknown_action_is_named(client, personas, item) -> None:
    response = send(client, personas.technician, item, FILED, text="x", action="effacer")
    assert response.status_code == 400
    assert "action inconnue « effacer »" in text_of(response)


def test_a_phone_call_note_is_a_comment_of_that_kind(client, personas, item) -> None:
    send(client, personas.technician, item, FILED, text="Appelé à 10 h", action="appel")
    note = Comment.objects.get(request=item)
    assert note.kind == "phone-call" and not note.internal
    with pytest.raises(Exception, match="seul l'éditeur note un appel"):
        services.comment(item, personas.user_a, "x", kind="phone-call")
