"""What a newcomer reads (issue 12): no SPEC rule IDs, no seed file names and no logins on the
pages people use. The IDs belong in code comments, tests and docs; people are named by their full
name. Every main page is rendered as each demo persona and searched.

The request page (support/request_detail.html) is left out: it is being rewritten as one thread.
The accounts page keeps the login column: it is where an administrator hands logins out.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from livret.monitoring.models import Site
from livret.status.models import Incident, Service, UpdateAnnouncement

pytestmark = pytest.mark.django_db

# SPEC.md's own prefixes only: "DEM-2026-000001" (a request number) or "ERR-42" are not IDs.
SPEC_ID = re.compile(
    r"\b(?:OFF|CAL|REQ|AVL|MNT|BKP|RET|ACC|CTR|PCK|LRN|KB|OBL|RPT|MON)-\d|\bSPEC\b"
)
SEED_FILE = re.compile(
    r"\b\d{3}_[0-9a-f]{16}\.txt|\b(?:quadra-entreprise|expert-on-demand|preventcare|"
    r"eksae-contact|carrus-saas)\.toml|preset:"
)
ACCOUNTS = "/compte/utilisateurs/"

COMMON = [
    "/offres/",
    "/offres/quadra-entreprise/",
    "/statut/",
    "/statut/cegid/",
    "/compte/mot-de-passe/",
]
CLIENT = [
    "/demandes/",
    "/demandes/?etat=toutes",
    "/demandes/nouvelle/",
    "/tableau-de-bord/",
    "/portail/disponibilite/",
    "/portail/disponibilite/{service}/",
    "/portail/surveillance/",
    "/portail/surveillance/sites/{site}/",
    "/statut/cegid/mon-espace/",
    "/statut/cegid/incidents/{incident}/",
]
VENDOR = [
    "/support/file/",
    "/support/service-client/",
    "/support/telephone/",
    "/tableau-de-bord/",
    "/tableau-de-bord/?client=boulangerie-martin",
    "/exploitation/services/",
    "/exploitation/services/{service}/",
    "/exploitation/incidents/",
    "/exploitation/incidents/nouveau/",
    "/exploitation/incidents/{incident}/",
    "/exploitation/maintenances/",
    "/exploitation/maintenances/nouvelle/",
    "/exploitation/mises-a-jour/",
    "/exploitation/mises-a-jour/{update}/",
    "/exploitation/surveillance/",
    "/exploitation/surveillance/sites/",
    "/exploitation/surveillance/sites/{site}/",
    "/exploitation/surveillance/impacts/",
    "/support/offres/",
    "/statut/cegid/mon-espace/",
    ACCOUNTS,
]
PAGES = {
    "client-admin": [*COMMON, *CLIENT, ACCOUNTS],
    "client-user": [*COMMON, *CLIENT],
    "technician": [*COMMON, *VENDOR],
    "operator": [*COMMON, *VENDOR],
    "lead": [*COMMON, *VENDOR],
}


def _ids(persona: str, demo: Any) -> dict[str, int]:
    """The objects the persona's pages are about (the client user is Cabinet Durand's)."""
    client = demo.everyone[persona].membership.client
    services = Service.objects.filter(environment="production")
    if client is not None:
        services = services.filter(contract__client=client)
    service = services.order_by("pk").first()
    incident = Incident.objects.order_by("pk").first()
    site = Site.objects.order_by("pk").first()
    return {
        "service": service.pk if service else 0,
        "incident": incident.pk if incident else 0,
        "site": site.pk if site else 0,
        "update": UpdateAnnouncement.objects.order_by("pk").first().pk,
    }


def _logins(demo: Any) -> list[str]:
    """Give each demo login a token that cannot appear by chance, and return the tokens."""
    tokens = []
    for role, user in demo.everyone.items():
        user.username = f"lgn{role.replace('-', '')}x7"
        user.save(update_fields=["username"])
        tokens.append(user.username)
    return tokens


@pytest.mark.parametrize("persona", list(PAGES))
def test_pages_show_no_spec_id_no_seed_file_and_no_login(demo, persona: str) -> None:
    logins = _logins(demo)
    ids = _ids(persona, demo)
    browser = Client()
    browser.force_login(demo.everyone[persona])
    problems = []
    for template in PAGES[persona]:
        if "{site}" in template and persona == "client-user":
            continue  # Cabinet Durand has no monitored site
        path = template.format(**ids)
        response = browser.get(path, follow=True)  # "/statut/": a client's own page
        assert response.status_code == 200, (persona, path, response.status_code)
        html = response.content.decode()
        problems += [f"{path}: SPEC ID {m.group()!r}" for m in SPEC_ID.finditer(html)]
        problems += [f"{path}: seed file {m.group()!r}" for m in SEED_FILE.finditer(html)]
        if path != ACCOUNTS:
            problems += [f"{path}: login {login!r}" for login in logins if login in html]
    assert not problems, "\n".join(problems)


def test_people_are_named_by_their_full_name(demo) -> None:
    """The queue names the technician in charge, the header the person signed in."""
    _logins(demo)
    browser = Client()
    browser.force_login(demo.lead)
    html = browser.get("/support/file/").content.decode()
    assert "Thomas Petit" in html  # the technician in charge of two demo requests
    assert "Se déconnecter (Sophie Lambert)" in html


def test_a_person_without_a_name_is_shown_by_address_not_login(demo) -> None:
    demo.technician.first_name = demo.technician.last_name = ""
    demo.technician.username = "lgnnonamex7"
    demo.technician.save()
    browser = Client()
    browser.force_login(demo.technician)
    html = browser.get("/support/file/").content.decode()
    assert "Se déconnecter (technicien@demo.livret.invalid)" in html
    assert "lgnnonamex7" not in html
