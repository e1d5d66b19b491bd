"""Control characters in support requests are refused, naming the field (issue 13, item 8).

People's texts are refused (the title takes none; descriptions and comments take line breaks
and tabs); a mail, which a refusal would lose, is cleaned instead."""

from __future__ import annotations

import pytest

from livret.accounts.services import create_token
from livret.errors import ServiceError
from livret.support import services
from livret.support.mailgate import ingest
from livret.support.models import Request
from livret.support.services import NewRequest
from tests.helpers.clock import at
from tests.support.test_mail import mail

pytestmark = pytest.mark.django_db


def new(**changes: str) -> NewRequest:
    texts = {"title": "La saisie plante", "description": "Erreur\r\nà l'enregistrement\t!"}
    return NewRequest(kind="anomaly", priority="high", **{**texts, **changes})


@pytest.mark.parametrize(
    ("changes", "field", "said"),
    [
        ({"title": "La saisie\x0bplante"}, "title", "l'objet : caractère de contrôle interdit"),
        ({"title": "La saisie\nplante"}, "title", "l'objet : saut de ligne ou tabulation"),
        ({"description": "Erreur\x00"}, "description", "la description : caractère de contrôle"),
        ({"menu_path": "Saisie\x1b"}, "menu_path", "le menu : caractère de contrôle interdit"),
    ],
)
def test_filing_refuses_control_characters_naming_the_field(personas, changes, field, said) -> None:
    """Issue 13, item 8."""
    with pytest.raises(ServiceError) as refused:
        services.file_request(
            filer=personas.user_a, contract=personas.client_a.contracts.get(), new=new(**changes)
        )
    assert refused.value.field == field
    assert refused.value.message.startswith(said)
    assert not Request.objects.exists()


def test_a_comment_with_a_control_character_is_refused(personas) -> None:
    """Issue 13, item 8: line breaks and tabs pass, a vertical tab does not."""
    request = services.file_request(
        filer=personas.user_a, contract=personas.client_a.contracts.get(), new=new()
    )
    services.comment(request, personas.user_a, "Ligne 1\r\nLigne 2\tfin")
    with pytest.raises(ServiceError) as refused:
        services.comment(request, personas.user_a, "Bon\x0bjour")
    assert refused.value.field == "body"
    assert "caractère de contrôle interdit (U+000B)" in refused.value.message


def test_the_api_answers_400_naming_the_field(client, personas) -> None:
    """Issue 13, item 8 (a NUL is already a 422 of the schema; other controls reach the
    service)."""
    answer = client.post(
        "/api/requests",
        {
            "contract_id": personas.client_a.contracts.get().pk,
            "kind": "anomaly",
            "title": "Saisie",
            "description": "Erreur\x0b42",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {create_token(personas.user_a)}"},
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "description"
    assert "caractère de contrôle interdit (U+000B)" in answer.json()["message"]


def test_the_filing_page_shows_the_refusal_on_the_field(client, personas) -> None:
    """Issue 13, item 8."""
    client.force_login(personas.user_a)
    answer = client.post(
        "/demandes/nouvelle/",
        {
            "contract": personas.client_a.contracts.get().pk,
            "kind": "anomaly",
            "priority": "high",
            "title": "La saisie\x0bplante",
            "description": "Erreur",
        },
    )
    assert answer.status_code in (200, 400)
    page = answer.content.decode()
    assert 'id="id_title_error"' in page
    assert "caractère de contrôle interdit (U+000B)" in page
    assert not Request.objects.exists()


def test_a_mail_with_control_characters_is_filed_cleaned(personas) -> None:
    """Issue 13, item 8: the mail gate cleans what it would otherwise lose."""
    result = ingest(
        mail(subject="Clôture\x07impossible", text="Bonjour,\n\nERR\x0c42\n").as_bytes(),
        now=at("2026-11-19 10:00"),
    )
    assert result.action == "filed", result
    request = Request.objects.get()
    assert request.title == "Clôture impossible"
    assert "ERR 42" in request.description
