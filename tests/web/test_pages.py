"""Public offer pages and booklets (OFF-4), the admin back office, the API, with personas."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_lists_the_offers_on_the_home_page(client, versions) -> None:
    page = client.get("/").content.decode()
    for version in versions.values():
        assert version.name in page


def test_it_renders_the_booklet_of_the_latest_version(client, versions) -> None:
    response = client.get("/offres/quadra-entreprise/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Quadra Entreprise On Demand" in page
    assert "4 heures ouvrées" in page
    assert "99 %" in page


def test_it_serves_the_booklet_as_markdown_download(client, versions) -> None:
    response = client.get("/offres/expert-on-demand/livret.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert "expert-on-demand-v1.md" in response["Content-Disposition"]
    assert "99,5 %" in response.content.decode()


def test_it_answers_404_for_an_unknown_offer_or_version(client, versions) -> None:
    assert client.get("/offres/nope/").status_code == 404
    assert client.get("/offres/quadra-entreprise/v9/").status_code == 404


@pytest.mark.parametrize(
    ("persona", "allowed"), [("user_a", False), ("user_b", False), ("technician", True)]
)
def test_it_opens_the_back_office_to_vendor_staff_only(client, personas, persona, allowed) -> None:
    client.force_login(getattr(personas, persona))
    response = client.get("/admin/tenants/contract/")
    if allowed:
        # a technician is staff but needs model permissions: the admin answers, never leaks
        assert response.status_code in (200, 403)
    else:
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_it_shows_contracts_in_the_admin_to_a_superuser(
    client, personas, django_user_model
) -> None:
    boss = django_user_model.objects.create_superuser("boss", password="pw-boss-2026")
    client.force_login(boss)
    page = client.get("/admin/tenants/contract/").content.decode()
    assert "A-1" in page and "B-1" in page


def test_it_refuses_an_invalid_contract_in_the_admin_with_the_rule(
    client, versions, django_user_model
) -> None:
    from livret.tenants.models import Client, Contract

    boss = django_user_model.objects.create_superuser("boss", password="pw-boss-2026")
    client.force_login(boss)
    acme = Client.objects.create(name="Acme", slug="acme")
    response = client.post(
        "/admin/tenants/contract/add/",
        {
            "reference": "Q-9",
            "client": acme.pk,
            "offer_version": versions["quadra-entreprise"].pk,
            "formula": "standard",
            "options": "[]",
            "start_date": "2026-01-05",
            "named_users": 3,
            "territory": "972",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "commercialisée en Martinique" in response.content.decode()
    assert not Contract.objects.exists()


def test_it_lists_offers_in_the_api(client, versions) -> None:
    data = client.get("/api/offers").json()
    assert {row["id"] for row in data} == set(versions)
    assert all(row["version"] == 1 for row in data)


def test_it_returns_an_offer_with_its_data_in_the_api(client, versions) -> None:
    data = client.get("/api/offers/expert-on-demand").json()
    assert data["offer"]["availability"]["target_percent"] == 99.5
    assert data["version"] == 1


def test_it_answers_api_errors_as_json_with_a_code(client, versions) -> None:
    response = client.get("/api/offers/nope")
    assert response.status_code == 404
    assert response.json() == {"code": "not-found", "message": "no offer 'nope'"}
    response = client.get("/api/offers/quadra-entreprise?version=abc")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "version" in response.json()["message"]


def test_it_publishes_the_openapi_schema(client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/offers" in schema["paths"]


def test_it_reports_health(client, db) -> None:
    data = client.get("/healthz").json()
    assert data["database"] == "ok"
