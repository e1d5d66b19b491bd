"""Vendor page to validate and import booklets (OFF-1, OFF-5), closed to clients."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from livret.core.offer import preset_path
from livret.offers.models import OfferVersion

pytestmark = pytest.mark.django_db


def upload(text: str, name: str = "offre.toml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/toml")


@pytest.mark.parametrize(
    ("persona", "status"), [("user_a", 404), ("user_b", 404), ("technician", 200)]
)
def test_it_opens_the_offers_page_to_vendor_staff_only(client, personas, persona, status) -> None:
    client.force_login(getattr(personas, persona))
    assert client.get("/support/offres/").status_code == status


def test_it_shows_every_defect_of_an_invalid_booklet_and_imports_nothing(client, personas) -> None:
    client.force_login(personas.technician)
    text = preset_path("quadra-entreprise").read_text().replace("critical = {", "critcal = {")
    page = client.post(
        "/support/offres/", {"file": upload(text), "action": "import"}
    ).content.decode()
    assert "offre.toml:" in page and "support.pickup.standard.critcal: unknown field" in page
    assert OfferVersion.objects.filter(offer_id="quadra-entreprise").count() == 1


def test_it_imports_a_changed_booklet_as_a_new_version(client, personas) -> None:
    client.force_login(personas.technician)
    text = preset_path("carrus-saas").read_text().replace("99.85", "99.9")
    response = client.post(
        "/support/offres/", {"file": upload(text), "action": "import"}, follow=True
    )
    assert "carrus-saas importé comme version 2" in response.content.decode()


def test_it_refuses_a_binary_file_with_a_clear_error(client, personas) -> None:
    client.force_login(personas.technician)
    page = client.post(
        "/support/offres/",
        {
            "file": upload("x") if False else SimpleUploadedFile("x.toml", b"\xff\xfe\x00"),
            "action": "validate",
        },
    ).content.decode()
    assert "pas du texte UTF-8" in page
