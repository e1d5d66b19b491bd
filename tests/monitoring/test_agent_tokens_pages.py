"""Agent tokens from the site page (issue 7): vendor staff create a server's token — shown once,
with the command line that runs the agent — list tokens by prefix with their dates, and revoke
one. Clients never see tokens: every token route answers 404 to them, and their site page has
no token section. POST only, with CSRF.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from livret.monitoring.models import Sample, ServerToken
from livret.monitoring.tokens import create_server_token
from tests.helpers.monitoring import preventcare_site

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Paris
SITE_URL = "https://livret.example.fr"


@pytest.fixture(autouse=True)
def frozen(settings):  # type: ignore[no-untyped-def]
    settings.SITE_URL = SITE_URL
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(personas, versions):  # type: ignore[no-untyped-def]
    a = preventcare_site(versions, personas.client_a, hostnames=("srv-compta-01", "srv-paie-02"))
    b = preventcare_site(versions, personas.client_b, reference="P-B", hostnames=("srv-b-01",))
    a.servers[0].watched_services = ["MSSQLSERVER", "Cegid Quadra"]
    a.servers[0].save()
    return {"a": a, "b": b}


def create_url(site: Any, server: Any) -> str:
    return f"/exploitation/surveillance/sites/{site.pk}/serveurs/{server.pk}/jeton/"


def revoke_url(site: Any, token: ServerToken) -> str:
    return f"/exploitation/surveillance/sites/{site.pk}/jetons/{token.pk}/revoquer/"


def send_sample(client: Client, token: str) -> int:
    """The agent's POST of one sample with this token; the HTTP status."""
    body = {
        "batch_id": f"b-{datetime.now(UTC).timestamp()}-{Sample.objects.count()}",
        "sent_at": datetime.now(UTC).isoformat(),
        "samples": [{"time": datetime.now(UTC).isoformat(), "metric": "cpu_percent", "value": 3}],
    }
    response = client.post(
        "/api/monitoring/samples",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    return int(response.status_code)


def test_it_shows_a_new_token_once_with_the_agent_command_line(client, personas, world):  # type: ignore[no-untyped-def]
    site, server = world["a"].site, world["a"].servers[0]
    client.force_login(personas.technician)
    response = client.post(create_url(site, server))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    token = re.search(r'id="token" type="text" readonly size="50" value="([^"]+)"', page)[1]
    assert len(token) == 43
    row = ServerToken.objects.get()
    assert (row.server, row.prefix, row.revoked) == (server, token[:8], False)
    assert token not in row.key_hash  # only its digest is kept
    command = f"livret agent --url {SITE_URL} --token {token} --services 'MSSQLSERVER,Cegid Quadra'"
    assert f'<code id="agent-command">{command.replace(chr(39), "&#x27;")}</code>' in page
    assert "il ne sera plus jamais affiché" in page

    assert send_sample(client, token) == 200  # the token works for the agent

    site_page = client.get(f"/exploitation/surveillance/sites/{site.pk}/").content.decode()
    assert token not in site_page  # never shown again
    assert f"{token[:8]}…" in site_page
    assert "24/11/2026 10:00" in site_page  # created, and used, at 10:00 Paris


def test_it_prints_the_plain_command_for_a_server_without_watched_services(client, personas, world):  # type: ignore[no-untyped-def]
    site, server = world["a"].site, world["a"].servers[1]
    client.force_login(personas.technician)
    page = client.post(create_url(site, server)).content.decode()
    token = ServerToken.objects.get(server=server)
    command = re.search(r'<code id="agent-command">([^<]+)</code>', page)[1]
    assert re.fullmatch(rf"livret agent --url {SITE_URL} --token {token.prefix}\S{{35}}", command)


def test_it_lists_tokens_by_prefix_with_their_dates(client, personas, world, frozen):  # type: ignore[no-untyped-def]
    site, server = world["a"].site, world["a"].servers[0]
    unused = create_server_token(server)
    frozen.shift(timedelta(hours=2))
    used = create_server_token(server)
    frozen.shift(timedelta(hours=1))
    assert send_sample(client, used) == 200  # last used at 13:00 Paris
    client.force_login(personas.technician)
    page = client.get(f"/exploitation/surveillance/sites/{site.pk}/").content.decode()
    section = page[page.index('id="tokens-title"') :]
    newest, oldest = section.index(used[:8]), section.index(unused[:8])
    assert newest < oldest  # newest first
    used_row = section[newest : section.index("</tr>", newest)]
    unused_row = section[oldest : section.index("</tr>", oldest)]
    assert "24/11/2026 12:00" in used_row and "24/11/2026 13:00" in used_row
    assert "24/11/2026 10:00" in unused_row and "jamais" in unused_row
    assert "Aucun jeton" in section  # srv-paie-02 has none


def test_it_revokes_a_token_at_once(client, personas, world):  # type: ignore[no-untyped-def]
    site, server = world["a"].site, world["a"].servers[0]
    token = create_server_token(server)
    row = ServerToken.objects.get()
    client.force_login(personas.technician)
    response = client.post(revoke_url(site, row), follow=True)
    page = response.content.decode()
    assert f"Jeton {row.prefix}… de srv-compta-01 révoqué." in page
    assert "révoqué" in page[page.index(row.prefix) :]
    row.refresh_from_db()
    assert row.revoked
    assert send_sample(client, token) == 401  # its agent is refused from now on
    again = client.post(revoke_url(site, row), follow=True)
    assert "ce jeton est déjà révoqué" in again.content.decode()


def test_it_answers_404_to_clients_on_every_token_route(client, personas, world):  # type: ignore[no-untyped-def]
    """Clients never see tokens: not client A for its own server, not client B."""
    site, server = world["a"].site, world["a"].servers[0]
    create_server_token(server)
    row = ServerToken.objects.get()
    for user in (personas.user_a, personas.user_b):
        client.force_login(user)
        assert client.post(create_url(site, server)).status_code == 404
        assert client.post(revoke_url(site, row)).status_code == 404
    assert ServerToken.objects.count() == 1
    row.refresh_from_db()
    assert not row.revoked
    client.force_login(personas.user_a)
    page = client.get(f"/portail/surveillance/sites/{site.pk}/").content.decode()
    assert "Jetons des agents" not in page and row.prefix not in page
    client.logout()
    assert client.post(create_url(site, server)).status_code == 302  # to the login page
    assert ServerToken.objects.count() == 1


def test_it_answers_404_for_a_server_or_token_of_another_site(client, personas, world):  # type: ignore[no-untyped-def]
    site_a, server_b = world["a"].site, world["b"].servers[0]
    create_server_token(server_b)
    row_b = ServerToken.objects.get()
    client.force_login(personas.technician)
    assert client.post(create_url(site_a, server_b)).status_code == 404
    assert client.post(revoke_url(site_a, row_b)).status_code == 404
    huge = f"/exploitation/surveillance/sites/{site_a.pk}/serveurs/{'9' * 25}/jeton/"
    assert client.post(huge).status_code == 404
    assert ServerToken.objects.count() == 1 and not ServerToken.objects.get().revoked


def test_it_takes_tokens_by_post_with_csrf_only(personas, world):  # type: ignore[no-untyped-def]
    site, server = world["a"].site, world["a"].servers[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.technician)
    assert browser.get(create_url(site, server)).status_code == 405
    assert browser.post(create_url(site, server)).status_code == 403  # no CSRF token
    create_server_token(server)
    row = ServerToken.objects.get()
    assert browser.post(revoke_url(site, row)).status_code == 403
    assert ServerToken.objects.count() == 1 and not ServerToken.objects.get().revoked
    page = browser.get(f"/exploitation/surveillance/sites/{site.pk}/")
    csrf = page.cookies["csrftoken"].value
    response = browser.post(create_url(site, server), {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 200
    assert ServerToken.objects.count() == 2
