"""CSV export of a filtered list (issue 12): every page, as French Excel reads it, and never a
row of another client (ACC-3)."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine

from livret.support import services
from livret.web.export import as_text
from tests.helpers.clock import at
from tests.helpers.desk import NOW, file, login

pytestmark = pytest.mark.django_db


HEADER = [
    "Numéro",
    "Objet",
    "Client",
    "Type",
    "État",
    "Priorité",
    "Criticité",
    "Équipe",
    "Technicien",
    "Déposée le",
    "Prochaine échéance",
]


def download(client, path: str) -> tuple[bytes, list[list[str]]]:
    response = client.get(path)
    assert response.status_code == 200, response
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="demandes-')
    raw = b"".join(response.streaming_content)
    text = raw.decode("utf-8")
    assert text.startswith("\ufeff")
    return raw, list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def test_it_exports_the_filtered_queue_every_page_in_french(
    client, personas, desk, small_pages
) -> None:
    for n in range(3):
        file(personas, "user_a", f"Anomalie {n}")
    login(client, personas.technician)
    with time_machine.travel(at(NOW), tick=False):
        page = client.get("/support/file/?client=client-a").content.decode()
        raw, rows = download(client, "/support/file/export.csv?client=client-a")
    assert "5 demandes — page 1 / 3" in page  # 2 rows a page here
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert rows[0] == HEADER
    assert len(rows) == 1 + 5  # every page
    by_number = {row[0]: row for row in rows[1:]}
    titles = {row[1] for row in rows[1:]}
    assert titles == {"Caisse bloquée", "Lettrage faux", "Anomalie 0", "Anomalie 1", "Anomalie 2"}
    assert by_number[desk["mine"]] == [
        desk["mine"],
        "Caisse bloquée",
        "Client A",
        "Anomalie / incident",
        "Enregistrée",
        "Critique",
        "",
        "Support Quadra",
        "Thomas Leroy",
        "19/11/2026 10:00",
        "19/11/2026 15:30",  # Paris time, not UTC
    ]
    assert by_number[desk["theirs"]][7:9] == ["Support Expert", "Alice Martin"]
    assert rows[1][0] == desk["mine"]  # the queue's order: the nearest deadline first


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vue=mes", {"mine"}),
        ("vue=equipe&delai=a-risque", {"mine", "waiting"}),
        ("vue=non-attribuees", {"waiting"}),
    ],
)
def test_the_export_follows_the_views(client, personas, desk, query, expected) -> None:
    login(client, personas.technician)
    with time_machine.travel(at(NOW), tick=False):
        _, rows = download(client, f"/support/file/export.csv?{query}")
    assert {row[0] for row in rows[1:]} == {desk[name] for name in expected}


def test_the_customer_service_export_has_its_own_requests(client, personas, desk) -> None:
    _, rows = download(login(client, personas.technician), "/support/service-client/export.csv")
    assert [row[0] for row in rows[1:]] == [desk["address"]]
    assert rows[1][3] == "Service client"


# Client A's administrator exports the organisation's requests; client B's user only the ones
# they filed (a colleague's stays out); the technician is sent to the queue's export.
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("user_a", {"mine", "theirs", "address"}), ("user_b", {"waiting"})],
)
def test_a_client_exports_only_what_it_may_see(client, personas, desk, persona, expected) -> None:
    from django.contrib.auth import get_user_model

    from livret.tenants.models import Membership, Role

    colleague = get_user_model().objects.create_user("collegue-b", email="c@client-b.test")
    Membership.objects.create(user=colleague, client=personas.client_b, role=Role.CLIENT_USER)
    hidden = services.file_request(
        filer=colleague,
        contract=personas.client_b.contracts.get(),
        new=services.NewRequest(kind="anomaly", title="Du collègue", description="x"),
    )
    _, rows = download(
        login(client, getattr(personas, persona)), "/demandes/export.csv?etat=toutes"
    )
    assert rows[0] == HEADER
    assert {row[0] for row in rows[1:]} == {desk[name] for name in expected}
    assert hidden.number not in {row[0] for row in rows[1:]}


def test_the_client_export_follows_the_state_tab(client, personas, desk) -> None:
    login(client, personas.user_a)
    services.close(
        services.take_in_charge(
            services.file_request(
                filer=personas.user_a,
                contract=personas.client_a.contracts.get(),
                new=services.NewRequest(kind="usage-question", title="Close", description="x"),
            ),
            personas.technician,
        ),
        personas.technician,
        "Répondu",
    )
    _, open_rows = download(client, "/demandes/export.csv")
    _, closed = download(client, "/demandes/export.csv?etat=closes")
    assert "Close" not in {row[1] for row in open_rows[1:]}
    assert [row[1] for row in closed[1:]] == ["Close"]


def test_the_technician_is_sent_to_the_queue_export(client, personas, desk) -> None:
    response = login(client, personas.technician).get("/demandes/export.csv")
    assert response.status_code == 302 and response["Location"] == "/support/file/export.csv"


def test_a_title_a_spreadsheet_would_run_is_exported_as_text(client, personas) -> None:
    created = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=services.NewRequest(
            kind="anomaly", title='=HYPERLINK("https://evil.test";"ici")', description="x"
        ),
    )
    _, rows = download(login(client, personas.technician), "/support/file/export.csv")
    row = next(r for r in rows if r[0] == created.number)
    assert row[1] == '\'=HYPERLINK("https://evil.test";"ici")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Écran figé", "Écran figé"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_it_defuses_formulas_only(value, cell) -> None:
    assert as_text(value) == cell


@pytest.mark.parametrize(
    "path",
    ["/demandes/export.csv", "/support/file/export.csv", "/support/service-client/export.csv"],
)
def test_an_anonymous_visitor_is_sent_to_the_login(client, desk, path) -> None:
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
