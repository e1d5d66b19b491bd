"""The alert board is paged with its count, never cut at 200 alerts (issue 12); its live
refresh keeps the page and the filters; clients never reach it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.helpers.monitoring import firing_alert, preventcare_site

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def alerts(personas, versions, monkeypatch):  # type: ignore[no-untyped-def]
    """Three open alerts on client A's server (oldest first), one on client B's; 2 a page."""
    monkeypatch.setattr("livret.web.pagination.PER_PAGE", 2)
    a = preventcare_site(versions, personas.client_a, hostnames=("srv-a",))
    b = preventcare_site(versions, personas.client_b, reference="P-B", hostnames=("srv-b",))
    made = [
        firing_alert(a.servers[0], f"regle-{n}", NOW - timedelta(hours=3 - n)) for n in range(3)
    ]
    made.append(firing_alert(b.servers[0], "regle-b", NOW))
    return made


def test_it_pages_the_board_and_its_refresh_keeps_page_and_filter(client, personas, alerts) -> None:
    client.force_login(personas.technician)
    first = client.get("/exploitation/surveillance/").content.decode()
    assert "4 alertes — page 1 / 2" in first
    # one page: its heading, its filters and its live list once each
    assert first.count("<h1>") == 1 and first.count('id="board"') == 1
    assert first.count('id="board-rows"') == 1 and first.count("<html") == 1
    page = client.get("/exploitation/surveillance/?client=client-a&page=2").content.decode()
    assert "3 alertes — page 2 / 2" in page and "regle-2 on srv-a" in page
    assert "regle-0 on srv-a" not in page and "srv-b" not in page
    assert 'hx-get="/exploitation/surveillance/?client=client-a&amp;page=2"' in page
    refresh = client.get(
        "/exploitation/surveillance/?client=client-a&page=2", headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in refresh and "3 alertes — page 2 / 2" in refresh
    assert "regle-2 on srv-a" in refresh


@pytest.mark.parametrize("persona", ["user_a", "user_b"])
def test_clients_never_see_the_board(client, personas, alerts, persona) -> None:
    client.force_login(getattr(personas, persona))
    response = client.get("/exploitation/surveillance/?page=2")
    assert response.status_code == 404 and "srv-" not in response.content.decode()
