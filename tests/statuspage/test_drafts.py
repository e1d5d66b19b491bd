"""A probe's draft incident is never shown to clients (issue 12): not on the status pages, the
portal, the feeds, the API or the subscribers' mails, even when the service is the client's
own. Vendor staff see it, and once the vendor publishes it, the client reads it too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from livret.accounts.services import create_token
from livret.status import services as status
from livret.status.models import IncidentStatus
from livret.statuspage import services
from livret.statuspage.models import Delivery
from livret.statuspage.notify import fan_out
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db
TITLE = "Indisponibilité détectée : Quadra Entreprise On Demand"


@pytest.fixture
def draft(page):  # type: ignore[no-untyped-def]
    """Client B's public service goes down under a probe: a draft incident opens."""
    status.resolve_incident(page.tech, page.b_incident, at("2026-11-24 09:40"), "Rétabli.")
    probe = status.add_probe(page.tech, page.b, kind="http", target="https://b.internal/ping")
    status.record_probe_result(probe.pk, False, at("2026-11-24 09:59"), error="timeout")
    incident = page.b.incidents.get(status=IncidentStatus.DRAFT)
    assert incident.title == TITLE
    return incident


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api(user, path: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {create_token(user)}"}
    return Client().get(path, headers=headers)


def test_no_client_reads_a_draft_on_the_status_pages(page, draft) -> None:
    for user in (page.personas.user_b, page.personas.user_a, None):
        shown = browser(user).get("/statut/cegid/mon-espace/" if user else "/statut/cegid/")
        assert shown.status_code == 200
        assert TITLE not in shown.content.decode()
        assert "b.internal" not in shown.content.decode()
        detail = browser(user).get(f"/statut/cegid/incidents/{draft.pk}/")
        assert detail.status_code == 404
    staff = browser(page.tech).get("/statut/cegid/mon-espace/").content.decode()
    assert TITLE in staff
    assert browser(page.tech).get(f"/statut/cegid/incidents/{draft.pk}/").status_code == 200


def test_no_draft_in_the_public_feeds(page, draft) -> None:
    for path in ("/statut/cegid/flux.atom", "/statut/cegid/statut.json"):
        assert TITLE not in Client().get(path).content.decode()


def test_no_draft_on_the_clients_availability_page(page, draft) -> None:
    path = f"/portail/disponibilite/{page.b.pk}/"
    assert TITLE not in browser(page.personas.user_b).get(path).content.decode()
    assert browser(page.personas.user_a).get(path).status_code == 404
    assert TITLE in browser(page.tech).get(path).content.decode()


def test_no_draft_in_the_api_for_clients(page, draft) -> None:
    mine = [i["title"] for i in api(page.personas.user_b, "/api/status/incidents").json()]
    assert TITLE not in mine and "Connexions impossibles" in mine
    assert TITLE not in [
        i["title"] for i in api(page.personas.user_a, "/api/status/incidents").json()
    ]
    assert TITLE in [i["title"] for i in api(page.tech, "/api/status/incidents").json()]


def test_no_subscriber_hears_of_a_draft(page) -> None:
    mine_b = services.subscribe_email("cegid", "", timezone.now(), user=page.personas.user_b)
    services.confirm(mine_b.confirm_token, timezone.now())
    status.resolve_incident(page.tech, page.b_incident, at("2026-11-24 09:40"), "Rétabli.")
    probe = status.add_probe(page.tech, page.b, kind="http", target="https://b.internal/ping")
    fan_out(timezone.now())
    Delivery.objects.all().delete()
    status.record_probe_result(probe.pk, False, at("2026-11-24 09:59"), error="timeout")
    fan_out(timezone.now())
    heard = list(
        Delivery.objects.filter(subscription=mine_b).values_list("event__title", flat=True)
    )
    assert heard == ["Quadra Entreprise On Demand : Indisponible"]  # the state, not the draft


def test_a_published_draft_reaches_its_client(page, draft) -> None:
    status.post_incident_update(
        page.tech, draft, "identified", "Le serveur web ne répond plus ; nous intervenons."
    )
    shown = browser(page.personas.user_b).get("/statut/cegid/mon-espace/").content.decode()
    assert TITLE in shown and "nous intervenons" in shown
    assert "b.internal" not in shown  # the probe's own message stays the vendor's
