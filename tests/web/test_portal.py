"""Client portal and technician back office pages, each with the three personas (REQ, RPT-1)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from livret.mail.models import OutgoingMail
from livret.support import services
from livret.support.models import Attachment, Request, RequestEvent
from livret.support.services import NewRequest

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def request_a(personas):
    return services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(
            kind="anomaly",
            title="Écran figé",
            description="Plus rien ne répond",
            priority="critical",
        ),
        at=datetime(2026, 11, 19, 10, tzinfo=PARIS),
    )


def login(client, user):
    client.force_login(user)
    return client


def test_it_lists_only_the_users_own_requests(client, personas, request_a) -> None:
    page = login(client, personas.user_a).get("/demandes/?etat=toutes").content.decode()
    assert request_a.number in page
    client.logout()
    page = login(client, personas.user_b).get("/demandes/?etat=toutes").content.decode()
    assert request_a.number not in page


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 200), ("user_b", 404), ("technician", 200)]
)
def test_it_shows_a_request_only_to_who_may_see_it(
    client, personas, request_a, persona, status
) -> None:
    response = login(client, getattr(personas, persona)).get(f"/demandes/{request_a.number}/")
    assert response.status_code == status
    if status == 200:
        assert "Prise en charge" in response.content.decode()


def test_it_refuses_anonymous_visitors(client, request_a) -> None:
    response = client.get(f"/demandes/{request_a.number}/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_it_files_a_request_with_an_attachment_and_never_serves_html_inline(
    client, personas
) -> None:
    login(client, personas.user_a)
    contract = personas.client_a.contracts.get()
    response = client.post(
        "/demandes/nouvelle/",
        {
            "contract": contract.pk,
            "kind": "anomaly",
            "priority": "high",
            "title": "Export KO",
            "description": "L'export plante",
            "context": "",
            "error_messages": "E12",
            "menu_path": "",
            "attachments": [
                SimpleUploadedFile(
                    "page.html", b"<html><script>alert(1)</script></html>", content_type="text/html"
                )
            ],
        },
    )
    created = Request.objects.get(title="Export KO")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/demandes/{created.number}/"
    )
    attachment = created.attachments.get()
    assert attachment.content_type == "text/html"  # sniffed from the bytes
    download = client.get(f"/pieces-jointes/{attachment.pk}/")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert (
        login(client, personas.user_b).get(f"/pieces-jointes/{attachment.pk}/").status_code == 404
    )


def _filing(contract, *files: SimpleUploadedFile) -> dict[str, object]:
    return {
        "contract": contract.pk,
        "kind": "anomaly",
        "priority": "high",
        "title": "Export KO",
        "description": "L'export plante au 3e dossier",
        "attachments": list(files),
    }


def _stored(uploads) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "requests": Request.objects.count(),
        "events": RequestEvent.objects.count(),
        "attachments": Attachment.objects.count(),
        "mails": OutgoingMail.objects.count(),
        "files": sum(1 for path in uploads.rglob("*") if path.is_file()),
    }


def test_it_files_nothing_when_an_attachment_is_refused_and_says_why(
    client, personas, settings, tmp_path
) -> None:
    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.MAX_ATTACHMENT_BYTES = 1024 * 1024
    login(client, personas.user_a)
    contract = personas.client_a.contracts.get()
    before = _stored(tmp_path)
    response = client.post(
        "/demandes/nouvelle/",
        _filing(
            contract,
            SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
            SimpleUploadedFile("base.zip", b"0" * (1024 * 1024 + 1)),
        ),
    )
    assert response.status_code == 200  # the form again: nothing filed, nothing stored
    assert _stored(tmp_path) == before
    page = response.content.decode()
    assert 'id="id_attachments_error"' in page
    assert "« base.zip » : le fichier dépasse 1 Mo" in page
    assert 'value="Export KO"' in page and "L&#x27;export plante au 3e dossier" in page
    # Sent again without the big file: filed once, with the other file.
    client.post(
        "/demandes/nouvelle/",
        _filing(contract, SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\n")),
    )
    created = Request.objects.get(title="Export KO")
    assert [a.filename for a in created.attachments.all()] == ["capture.png"]


def test_it_files_a_request_with_two_attachments_in_one_go(
    client, personas, settings, tmp_path
) -> None:
    settings.UPLOADS_DIR = tmp_path / "uploads"
    login(client, personas.user_a)
    response = client.post(
        "/demandes/nouvelle/",
        _filing(
            personas.client_a.contracts.get(),
            SimpleUploadedFile("capture.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
            SimpleUploadedFile("journal.txt", b"ERR-42 au dossier 3"),
        ),
    )
    created = Request.objects.get(title="Export KO")
    assert response.status_code == 302
    stored = {a.filename: a for a in created.attachments.all()}
    assert stored.keys() == {"capture.png", "journal.txt"}
    assert stored["capture.png"].content_type == "image/png"
    assert services.attachment_path(stored["journal.txt"]).read_bytes() == b"ERR-42 au dossier 3"
    kinds = list(created.events.order_by("seq").values_list("kind", flat=True))
    assert kinds.count("attachment") == 2 and kinds[0] == "registered"
    assert created.event_count == len(kinds)
    assert _stored(tmp_path)["files"] == 2


def test_it_shows_the_filing_form_errors_by_field(client, personas) -> None:
    login(client, personas.user_a)
    response = client.post(
        "/demandes/nouvelle/",
        {
            "contract": personas.client_a.contracts.get().pk,
            "kind": "anomaly",
            "priority": "high",
            "title": "",
            "description": "",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_title_error"' in page and 'id="id_description_error"' in page


def test_it_refuses_a_title_with_a_line_break_beside_the_field(client, personas) -> None:
    """issue 13, item 9: a crafted POST with CR/LF in the one-line title is refused on the
    field, nothing filed (the acknowledgement mail would have failed at send time)."""
    login(client, personas.user_a)
    filing = {**_filing(personas.client_a.contracts.get()), "title": "a\r\nBcc: x@y"}
    response = client.post("/demandes/nouvelle/", filing)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_title_error"' in page
    assert "ce champ tient sur une ligne" in page
    assert not Request.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_it_runs_the_technician_actions_from_the_request_page(client, personas, request_a) -> None:
    login(client, personas.technician)
    url = f"/demandes/{request_a.number}"
    assert client.post(f"{url}/prendre/").status_code == 302
    assert client.post(f"{url}/qualifier/", {"criticity": "1"}).status_code == 302
    request_a.refresh_from_db()
    assert request_a.state == "qualified" and request_a.criticity == 1
    assert request_a.action_plan_due_at is not None
    page = client.get(f"{url}/").content.decode()
    assert "Plan d&#x27;action" in page or "Plan d'action" in page


def test_it_refuses_client_actions_on_another_clients_request(client, personas, request_a) -> None:
    login(client, personas.user_b)
    for action in ("commenter", "annuler", "prendre", "repondre"):
        assert (
            client.post(f"/demandes/{request_a.number}/{action}/", {"text": "x"}).status_code == 404
        )
    assert request_a.events.count() == 1


def test_it_reports_a_refused_transition_as_a_message(client, personas, request_a) -> None:
    login(client, personas.user_a)
    response = client.post(f"/demandes/{request_a.number}/valider/", follow=True)
    assert "impossible de valider" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 404), ("user_b", 404), ("technician", 200)]
)
def test_it_opens_the_queue_to_vendor_staff_only(
    client, personas, request_a, persona, status
) -> None:
    assert login(client, getattr(personas, persona)).get("/support/file/").status_code == status


def test_it_orders_the_queue_and_refreshes_its_rows(client, personas, request_a) -> None:
    login(client, personas.technician)
    page = client.get("/support/file/").content.decode()
    assert request_a.number in page and 'hx-trigger="every 30s"' in page
    rows = client.get("/support/file/", headers={"HX-Request": "true"}).content.decode()
    assert request_a.number in rows and "1 demande — page 1 / 1" in rows
    assert "<html" not in rows and '<form method="get"' not in rows  # the list, not the page


def test_it_records_a_phone_call_and_refuses_it_without_portal_request_for_quadra(
    client, personas, request_a
) -> None:
    login(client, personas.technician)
    form = {
        "contract": personas.client_a.contracts.get().pk,
        "filer": personas.user_a.pk,
        "priority": "high",
        "title": "Appel",
        "description": "Le client appelle",
    }
    refused = client.post("/support/telephone/", {**form, "portal_request": ""})
    assert "création préalable de la demande" in refused.content.decode()
    accepted = client.post("/support/telephone/", {**form, "portal_request": request_a.number})
    assert accepted.status_code == 302
    assert request_a.events.filter(kind="phone-call").exists()


@pytest.mark.parametrize("persona", ["user_a", "user_b"])
def test_it_shows_each_client_only_its_own_dashboard(client, personas, request_a, persona) -> None:
    page = login(client, getattr(personas, persona)).get("/tableau-de-bord/").content.decode()
    own = "A-1" if persona == "user_a" else "B-1"
    other = "B-1" if persona == "user_a" else "A-1"
    assert f"contrat {own}" in page and f"contrat {other}" not in page
    assert "<svg" in page


def test_it_shows_a_vendor_the_dashboard_of_the_chosen_client(client, personas, request_a) -> None:
    page = (
        login(client, personas.technician).get("/tableau-de-bord/?client=client-a").content.decode()
    )
    assert "contrat A-1" in page and "contrat B-1" not in page


def test_it_refuses_a_remote_session_far_in_the_future_without_error(
    client, personas, request_a
) -> None:
    login(client, personas.technician)
    response = client.post(
        f"/demandes/{request_a.number}/teleassistance/",
        {"starts_at": "9999-12-31T10:00", "minutes": "30"},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "dans l&#x27;année qui vient" in response.content.decode()
        or "dans l'année qui vient" in response.content.decode()
    )
    assert not request_a.sessions.exists()
