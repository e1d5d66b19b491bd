"""The menu (issue 12): the status page for everyone, the admin link only for people the admin
serves, a favicon; a client sees its own vendors' offers and status page only."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

pytestmark = pytest.mark.django_db

STATUS_LINK = '<a href="/statut/">État des services</a>'
ADMIN_LINK = '<a href="/admin/">Administration</a>'


def page(user, path: str = "/offres/") -> str:  # type: ignore[no-untyped-def]
    browser = Client()
    if user is not None:
        browser.force_login(user)
    return browser.get(path).content.decode()


def nav(html: str) -> str:
    return re.search(r'<nav aria-label="Navigation principale">(.*?)</nav>', html, re.S).group(1)


def test_the_status_page_is_in_everyones_menu(personas) -> None:
    for user in (personas.user_a, personas.user_b, personas.technician, None):
        assert STATUS_LINK in nav(page(user))


def test_the_admin_link_shows_only_to_people_the_admin_serves(personas) -> None:
    tech = personas.technician  # staff, but no admin permission: an empty admin
    assert ADMIN_LINK not in page(tech)
    tech.user_permissions.add(Permission.objects.get(codename="view_request"))
    tech = type(tech).objects.get(pk=tech.pk)  # permissions are cached per instance
    assert ADMIN_LINK in page(tech)
    assert ADMIN_LINK not in page(personas.user_a)  # a client, even with the staff flag
    personas.user_a.is_staff = True
    personas.user_a.save()
    assert ADMIN_LINK not in page(personas.user_a)


def test_a_superuser_gets_the_admin_link(personas) -> None:
    personas.technician.is_superuser = True
    personas.technician.save()
    assert ADMIN_LINK in page(personas.technician)


def test_every_page_names_its_icon_and_favicon_ico_answers(personas) -> None:
    assert '<link rel="icon" href="/static/livret/favicon.svg" type="image/svg+xml">' in page(None)
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"<title>livret</title>" in response.content
    assert Client().get("/static/livret/favicon.svg").status_code == 200


def test_a_client_sees_its_own_vendors_offers_only(personas) -> None:
    """Clients A and B hold Quadra contracts (Cegid): Eksaé's offers are not theirs."""
    for user in (personas.user_a, personas.user_b):
        html = page(user, "/offres/")
        assert "Quadra Entreprise On Demand" in html and "Cegid Expert On Demand" in html
        assert "Carrus SaaS" not in html and "Eksaé" not in html
        browser = Client()
        browser.force_login(user)
        assert browser.get("/offres/carrus-saas/").status_code == 404
        assert browser.get("/offres/carrus-saas/livret.md").status_code == 404
        assert browser.get("/offres/carrus-saas/v1/").status_code == 404
        assert browser.get("/offres/quadra-entreprise/").status_code == 200


def test_vendor_staff_and_visitors_see_every_offer(personas) -> None:
    for user in (personas.technician, None):
        html = page(user, "/offres/")
        assert "Carrus SaaS" in html and "Quadra Entreprise On Demand" in html
    assert Client().get("/offres/carrus-saas/").status_code == 200


def test_the_status_menu_takes_a_client_to_its_vendors_page(personas) -> None:
    browser = Client()
    browser.force_login(personas.user_a)
    response = browser.get("/statut/")
    assert response.status_code == 302 and response["Location"] == "/statut/cegid/mon-espace/"
    browser.force_login(personas.user_b)
    assert browser.get("/statut/")["Location"] == "/statut/cegid/mon-espace/"


def test_the_status_index_lists_every_vendor_to_staff_and_visitors(personas) -> None:
    for user in (personas.technician, None):
        html = page(user, "/statut/")
        assert 'href="/statut/cegid/"' in html and 'href="/statut/eksae/"' in html
