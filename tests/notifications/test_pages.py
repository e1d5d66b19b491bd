"""The notification pages, with three personas (client A's user, client B's user, a vendor
technician) and a second technician: each person reads only their own notifications; clients
have none of these pages; the unread count is in the staff's menu, one indexed count query."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from livret.notifications.models import Notification, NotificationPreference
from livret.notifications.services import notify
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db

PAGES = [
    ("get", "/notifications/"),
    ("get", "/notifications/compteur/"),
    ("get", "/notifications/preferences/"),
    ("post", "/notifications/preferences/"),
    ("post", "/notifications/tout-lire/"),
]


def tell(user: Any, title: str, *, when: str = "2026-11-19 10:00", kind: str = "client-reply"):
    [note] = notify(
        [user],
        kind,
        title,
        "Le client a écrit.",
        "/demandes/DEM-2026-000007/",
        "DEM-2026-000007",
        at=at(when),
    )
    return note


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --------------------------------------------------------------------------- who may see


@pytest.mark.parametrize(("method", "url"), PAGES)
@pytest.mark.parametrize("who", ["user_a", "user_b"])
def test_a_client_has_none_of_these_pages(client, desk, who, method, url) -> None:
    tell(desk.tech, "Pour le technicien")
    client.force_login(getattr(desk.personas, who))
    response = getattr(client, method)(url)
    assert response.status_code == 404
    assert "Pour le technicien" not in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.parametrize("who", ["user_a", "user_b", "tech"])
def test_nobody_opens_another_persons_notification_by_its_id(client, desk, who) -> None:
    theirs = tell(desk.tech_b, "Pour Paul")
    user = desk.tech if who == "tech" else getattr(desk.personas, who)
    client.force_login(user)
    response = client.get(f"/notifications/{theirs.pk}/")
    assert response.status_code == 404
    assert "Pour Paul" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # nor marks it read with "mark all read"
    if who == "tech":
        client.post("/notifications/tout-lire/")
        theirs.refresh_from_db()
        assert theirs.read_at is None


def test_a_visitor_is_sent_to_the_login_page(client, desk) -> None:
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert client.get("/notifications/compteur/").status_code == 404  # never swapped in


# --------------------------------------------------------------------------- the list


def test_a_technician_reads_their_own_list_newest_first_unread_marked(client, desk) -> None:
    tell(desk.tech, "Premier message", when="2026-11-19 10:00")
    tell(desk.tech, "Second message", when="2026-11-19 11:00")
    tell(desk.tech_b, "Pour Paul")
    client.force_login(desk.tech)
    html = page(client, "/notifications/")
    assert "<h1>Notifications</h1>" in html
    assert html.index("Second message") < html.index("Premier message")
    assert "Pour Paul" not in html
    assert "2 notifications, 2 non lues." in html
    assert html.count('<span class="badge bad">non lue</span>') == 2
    assert "Message d&#x27;un client · DEM-2026-000007 · " in html
    assert "Tout marquer comme lu" in html


def test_opening_one_marks_it_read_and_goes_to_its_link(client, desk) -> None:
    note = tell(desk.tech, "Le client a répondu")
    tell(desk.tech, "Autre")
    client.force_login(desk.tech)
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/demandes/DEM-2026-000007/"
    note.refresh_from_db()
    first_read = note.read_at
    assert first_read is not None
    html = page(client, "/notifications/")
    assert "2 notifications, 1 non lue." in html
    client.get(f"/notifications/{note.pk}/")  # again: still the first reading
    note.refresh_from_db()
    assert note.read_at == first_read


def test_mark_all_read(client, desk) -> None:
    for i in range(3):
        tell(desk.tech, f"Message {i}")
    client.force_login(desk.tech)
    assert client.get("/notifications/tout-lire/").status_code == 405  # a form, never a link
    response = client.post("/notifications/tout-lire/", follow=True)
    html = response.content.decode()
    assert "Notifications marquées comme lues : 3." in html
    assert "3 notifications." in html and "non lue" not in html
    assert "Tout marquer comme lu" not in html


def test_the_list_is_paginated_with_its_count(client, desk) -> None:
    for i in range(30):
        tell(desk.tech, f"Message n° {i:02d}", when="2026-11-19 10:00")
    Notification.objects.filter(recipient=desk.tech).update(created_at=at("2026-11-19 10:00"))
    client.force_login(desk.tech)
    first = page(client, "/notifications/")
    assert "30 notifications, 30 non lues." in first
    assert "Page 1 sur 2" in first
    assert first.count('class="notification unread"') == 25
    assert "Message n° 29" in first and "Message n° 04" not in first  # newest first
    second = page(client, "/notifications/?page=2")
    assert second.count('class="notification unread"') == 5
    assert "Message n° 04" in second and "Message n° 00" in second
    assert "Page 2 sur 2" in page(client, "/notifications/?page=99")  # the last, not a 404
    assert "Page 1 sur 2" in page(client, "/notifications/?page=nimporte")  # the first


def test_an_empty_list_says_so(client, desk) -> None:
    client.force_login(desk.tech)
    html = page(client, "/notifications/")
    assert "Aucune notification." in html and "Tout marquer comme lu" not in html


# --------------------------------------------------------------------------- preferences


def test_preferences_are_a_table_of_kinds_by_mail_and_in_the_app(client, desk) -> None:
    client.force_login(desk.tech)
    html = page(client, "/notifications/preferences/")
    for label in (
        "Nouvelle demande",
        "Message d&#x27;un client",
        "Demande attribuée",
        "75 % d&#x27;un délai consommé",
        "Délai dépassé",
    ):
        assert f'<th scope="row">{label}</th>' in html
    assert html.count("checked") == 10  # both ways for every kind until one chooses
    response = client.post(
        "/notifications/preferences/",
        {"new-request-app": "on", "client-reply-mail": "on", "client-reply-app": "on"},
        follow=True,
    )
    html = response.content.decode()
    assert "Préférences de notification enregistrées." in html
    assert html.count("checked") == 3
    chosen = {
        p.kind: (p.by_mail, p.in_app) for p in NotificationPreference.objects.filter(user=desk.tech)
    }
    assert chosen == {
        "new-request": (False, True),
        "client-reply": (True, True),
        "assigned": (False, False),
        "sla-warning": (False, False),
        "sla-breach": (False, False),
    }
    assert not NotificationPreference.objects.exclude(user=desk.tech).exists()


# --------------------------------------------------------------------------- the menu


def test_the_staff_menu_shows_the_unread_count_refreshed_live(client, desk) -> None:
    tell(desk.tech, "Un")
    tell(desk.tech, "Deux")
    tell(desk.tech_b, "Pour Paul")
    client.force_login(desk.tech)
    html = page(client, "/support/file/")
    assert 'id="notifications-menu" href="/notifications/"' in html
    assert 'hx-get="/notifications/compteur/" hx-trigger="every 30s"' in html
    assert '<span class="badge bad" id="notifications-unread">2</span>' in html
    assert "non lues" in html
    tell(desk.tech, "Trois")
    counter = page(client, "/notifications/compteur/")
    assert counter.startswith('<a id="notifications-menu"')
    assert '<span class="badge bad" id="notifications-unread">3</span>' in counter
    client.post("/notifications/tout-lire/")
    counter = page(client, "/notifications/compteur/")
    assert "notifications-unread" not in counter and ">Notifications</a>" in counter


@pytest.mark.parametrize("who", ["user_a", "user_b"])
def test_a_client_menu_has_no_notifications(client, desk, who) -> None:
    client.force_login(getattr(desk.personas, who))
    html = page(client, "/demandes/")
    assert "notifications-menu" not in html and "/notifications/" not in html


def test_the_unread_count_is_one_query_counted_only_when_shown(client, desk) -> None:
    tell(desk.tech, "Un")
    client.force_login(desk.tech)
    with CaptureQueriesContext(connection) as queries:
        page(client, "/notifications/compteur/")
    on_notifications = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(on_notifications) == 1 and "COUNT(" in on_notifications[0].upper()
    # a live partial of another page (the queue's rows) does not count
    with CaptureQueriesContext(connection) as queries:
        client.get("/support/file/", HTTP_HX_REQUEST="true")
    assert not [q for q in queries if "notifications_notification" in q["sql"]]


def test_the_unread_count_reads_the_partial_index(desk) -> None:
    from livret.notifications.services import unread_count

    for i in range(50):
        tell(desk.tech_b if i % 2 else desk.tech, f"M{i}", when="2026-11-19 10:00")
    Notification.objects.filter(recipient=desk.tech_b).update(read_at=at("2026-11-19 11:00"))
    assert unread_count(desk.tech) == 25 and unread_count(desk.tech_b) == 0
    if connection.vendor != "sqlite":
        pytest.skip("the plan with so few rows is the planner's choice on PostgreSQL")
    query = Notification.objects.filter(recipient=desk.tech, read_at__isnull=True).order_by()
    plan = query.explain()
    assert "notification_unread" in plan, plan


def test_a_notification_link_must_stay_on_the_site(desk) -> None:
    from livret.errors import ServiceError

    for link in ("https://ailleurs.test/", "//ailleurs.test/", "demandes/x", "/\\ailleurs.test"):
        with pytest.raises(ServiceError) as refused:
            notify([desk.tech], "assigned", "T", "B", link)
        assert refused.value.field == "link"
    with pytest.raises(ServiceError) as refused:
        notify([desk.tech], "inconnu", "T", "B", "/demandes/")
    assert refused.value.message == "type de notification inconnu « inconnu »"
    from livret.notifications.services import set_preferences

    with pytest.raises(ServiceError) as refused:
        set_preferences(desk.tech, {"inconnu": (True, True)})
    assert refused.value.field == "kind"
