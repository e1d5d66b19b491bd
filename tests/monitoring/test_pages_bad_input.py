"""Bad input on the monitoring pages answers a message naming the field or a 404, never a 500
(common rules: "bad input anywhere gets a clear message naming the field"). NUL characters
matter on PostgreSQL, whose text columns refuse them: run this file on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from livret.monitoring import triage
from livret.monitoring.models import MonitoringAlert, PhoneCallTask
from livret.support.models import Comment
from tests.helpers.monitoring import firing_alert, preventcare_site

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HUGE = "9" * 25  # beyond any integer column


@pytest.fixture(autouse=True)
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(personas, versions):  # type: ignore[no-untyped-def]
    """Client A's site with a major alert: its request, a call to make, the level-1 timer."""
    a = preventcare_site(versions, personas.client_a)
    alert = firing_alert(a.servers[0], "heartbeat", NOW)
    triage.triage_alert(alert, NOW)
    alert.refresh_from_db()
    return {"site": a.site, "alert": alert}


@pytest.fixture
def tech(client, personas):  # type: ignore[no-untyped-def]
    client.force_login(personas.technician)
    client.raise_request_exception = False  # a 500 must show as a status, not as an exception
    return client


@pytest.mark.parametrize("value", ["%00", "client-a%00", "%27%3B--", "é" * 60])
def test_it_filters_the_board_by_a_bad_client_to_nothing(tech, world, value):  # type: ignore[no-untyped-def]
    response = tech.get(f"/exploitation/surveillance/?client={value}")
    assert response.status_code == 200
    assert "Aucune alerte." in response.content.decode()
    shown = tech.get("/exploitation/surveillance/?client=client-a").content.decode()
    assert "srv-compta-01" in shown  # a real slug still filters


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("diagnostic", {"text": "lien\x00coupé"}, "diagnostic : "),
        ("diagnostic", {"text": "   "}, "diagnostic : "),
        ("appel", {"call": "abc", "notes": "joint"}, "appel : "),
        ("appel", {"call": "{call}", "notes": "joint\x00"}, "résumé de l'appel : "),
        ("appel", {"call": "{call}", "notes": ""}, "résumé de l'appel : "),
        ("impact", {"impact": "catastrophic"}, "impact : "),
        ("impact", {"impact": "none\x00"}, "impact : "),
    ],
)
def test_it_names_the_field_of_bad_input_on_the_board(tech, world, action, data, message):  # type: ignore[no-untyped-def]
    alert = world["alert"]
    call = PhoneCallTask.objects.get(alert=alert)
    data = {k: v.replace("{call}", str(call.pk)) for k, v in data.items()}
    url = f"/exploitation/surveillance/alertes/{alert.pk}/{action}/"
    response = tech.post(url, data, follow=True)
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and errors[0].startswith(message), errors
    alert.refresh_from_db()
    call.refresh_from_db()
    assert alert.diagnosis_due_at is not None and call.done_at is None
    assert alert.impact == "major-extended"
    assert not Comment.objects.filter(body__contains="joint").exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", f"/exploitation/surveillance/sites/{HUGE}/"),
        ("post", f"/exploitation/surveillance/alertes/{HUGE}/acquitter/"),
        ("post", "/exploitation/surveillance/alertes/{alert}/inconnue/"),
        ("post", "/exploitation/surveillance/alertes/{alert}/appel/?"),
        ("post", f"/exploitation/surveillance/sites/{{site}}/sauvegardes/{HUGE}/retirer/"),
        ("post", f"/exploitation/surveillance/sites/{{site}}/jetons/{HUGE}/revoquer/"),
    ],
)
def test_it_answers_404_to_ids_that_do_not_exist(tech, world, method, url):  # type: ignore[no-untyped-def]
    url = url.format(alert=world["alert"].pk, site=world["site"].pk)
    data = {"call": HUGE, "notes": "joint"} if url.endswith("?") else {}
    response = getattr(tech, method)(url.rstrip("?"), data)
    assert response.status_code == 404


def test_it_answers_404_to_a_huge_site_id_on_the_portal(client, personas, world):  # type: ignore[no-untyped-def]
    client.force_login(personas.user_a)
    assert client.get(f"/portail/surveillance/sites/{HUGE}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"form": "serveur", "hostname": "srv\x00", "os": "windows"}, "hostname"),
        ({"form": "document", "section": "Sécurité", "text": "pare-feu\x00"}, "text"),
        ({"form": "planifier", "year": "2026\x00"}, "year"),
        ({"form": "planifier", "year": HUGE}, "year"),
        ({"form": "visite", "visit": HUGE, "done_on": "2026-11-20", "report": "ok"}, "visit"),
    ],
)
def test_it_names_the_field_of_bad_input_on_the_site_page(tech, world, data, field):  # type: ignore[no-untyped-def]
    response = tech.post(f"/exploitation/surveillance/sites/{world['site'].pk}/", data)
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert MonitoringAlert.objects.count() == 1
