"""Search in French over a request's number, fields and thread (issue 12), on the database the
suite runs on: the same table must hold on SQLite (FTS5, stemmed in Python) and PostgreSQL
(``french`` text search)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from livret.cli import main
from livret.errors import ServiceError
from livret.support import search, services
from livret.support.models import Request, SearchDocument
from livret.support.services import NewRequest
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(personas):
    """Client A's request, with a question, an answer, a message and an internal note."""
    request = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(
            kind="anomaly",
            title="Facturation impossible depuis la mise à jour",
            description="Les factures de décembre ne s'impriment plus sur l'imprimante.",
            context="Électricité coupée la veille dans les bureaux",
            error_messages="ORA-00942: table or view does not exist",
            priority="high",
        ),
        at=at("2026-11-23 10:00"),
    )
    tech = personas.technician
    services.take_in_charge(request, tech, at=at("2026-11-23 10:05"))
    services.ask_client(
        request, tech, "Pouvez-vous préciser le modèle de l'appareil ?", at=at("2026-11-23 10:10")
    )
    services.client_answers(
        request,
        personas.user_a,
        "Une Brother HL-5100, au deuxième étage",
        at=at("2026-11-23 11:00"),
    )
    services.comment(
        request, personas.user_a, "Nous avons redémarré le serveur", at=at("2026-11-23 11:05")
    )
    services.comment(
        request,
        tech,
        "Licence piratée probable, à vérifier avec le commercial",
        internal=True,
        at=at("2026-11-23 11:10"),
    )
    return Request.objects.get(pk=request.pk)


def found(personas, query: str, who: str = "technician") -> bool:
    return search.matching(Request.objects.all(), query, getattr(personas, who)).exists()


# (query, found by the client, found by the vendor)
CASES = [
    ("facturer", True, True),  # a verb form of the title's noun
    ("FACTURES", True, True),  # plural, capitals
    ("électricités", True, True),  # plural, accents
    ("electricite", True, True),  # no accents typed
    ("imprimantes", True, True),
    ("Ecran", False, False),  # a word nowhere
    ("ORA-00942", True, True),  # an error code, as written
    ("brother", True, True),  # a word of the client's answer
    ("modèles", True, True),  # a word of the technician's question
    ("redémarrer", True, True),  # a word of a message, another form
    ("piratée", False, True),  # a word of an internal note: the vendor only
    ("piratee licence", False, True),
    ("facture serveur", True, True),  # words of two different texts
    ("facture -brother", False, False),  # an excluded word
    ('"mise à jour"', True, True),  # a phrase
    ('"jour mise"', False, False),  # its words in another order
    ("l'imprimante", True, True),  # an elision
]


@pytest.mark.parametrize(("query", "client", "vendor"), CASES)
def test_it_finds_what_a_person_types(personas, thread, query, client, vendor) -> None:
    assert found(personas, query, "user_a") is client
    assert found(personas, query, "technician") is vendor


def test_it_finds_a_request_by_its_exact_number(personas, thread) -> None:
    other = services.file_request(
        filer=personas.user_a,
        contract=personas.client_a.contracts.get(),
        new=NewRequest(kind="usage-question", title="Autre", description="Rien à voir"),
        at=at("2026-11-23 12:00"),
    )
    for query in (thread.number, thread.number.lower()):
        hits = search.matching(Request.objects.all(), query, personas.user_a)
        assert list(hits.values_list("number", flat=True)) == [thread.number]
    assert search.matching(Request.objects.all(), other.number, personas.user_a).get() == other


def test_a_client_finds_its_organisations_requests_only(personas, thread) -> None:
    """Whatever the queryset given, a client's search reads its own documents (tenancy twice)."""
    from django.contrib.auth import get_user_model

    assert not found(personas, "facture", "user_b")
    nobody = get_user_model().objects.create_user("nobody", password="pw-nobody-2026")
    assert not search.matching(Request.objects.all(), "facture", nobody).exists()


def test_it_keeps_the_querysets_filters_and_order(personas, thread) -> None:
    """Filters combine with search: the queryset given is narrowed, not replaced."""
    assert not search.matching(
        Request.objects.filter(client=personas.client_b), "facture", personas.technician
    ).exists()
    assert (
        search.matching(
            Request.objects.filter(client=personas.client_a), "facture", personas.technician
        ).get()
        == thread
    )
    assert search.matching(Request.objects.all(), "  ", personas.technician).count() == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * 201, "recherche : la recherche dépasse 200 caractères"),
        ("facture\x00", "recherche : la recherche contient un caractère de contrôle (U+0000)"),
        ("le la de", "recherche : la recherche ne contient que des mots trop courants"),
        ("-facture", "recherche : indiquez au moins un mot à chercher, pas seulement"),
    ],
)
def test_it_refuses_a_query_it_cannot_search(personas, query, message) -> None:
    with pytest.raises(ServiceError) as refused:
        search.matching(Request.objects.all(), query, personas.user_a)
    assert refused.value.field == "q"
    assert refused.value.message.startswith(message)


def test_every_text_of_the_thread_is_indexed_as_it_is_written(personas, thread) -> None:
    tech = personas.technician
    services.qualify(thread, tech, 1, at=at("2026-11-24 08:00"))
    services.deliver_action_plan(
        thread, tech, "Remplacer le pilote d'impression", at=at("2026-11-24 09:00")
    )
    assert found(personas, "pilotes", "user_a")
    services.deliver_fix(
        thread, tech, "Pilote mis à jour en version douze", at=at("2026-11-24 10:00")
    )
    assert found(personas, "douze", "user_a")
    services.reject(
        thread, personas.user_a, "Toujours bloqué au démarrage", at=at("2026-11-24 11:00")
    )
    assert found(personas, "bloquée", "user_a")
    services.close(thread, tech, "Résolu après réinstallation complète", at=at("2026-11-25 11:00"))
    assert found(personas, "reinstallation", "user_a")
    services.reopen(
        thread, personas.user_a, "Le souci réapparaît chaque lundi", at=at("2026-11-26 11:00")
    )
    assert found(personas, "lundis", "user_a")


def test_a_phone_call_and_a_proposal_are_searchable(personas, thread) -> None:
    services.record_phone_request(
        technician=personas.technician,
        contract=thread.contract,
        filer=personas.user_a,
        new=NewRequest(
            kind="anomaly", title="Appel", description="Appel du comptable, très pressé"
        ),
        portal_request=thread,
        at=at("2026-11-23 14:00"),
    )
    assert found(personas, "comptable", "user_a")
    services.propose_billable(
        thread,
        personas.technician,
        service="formation",
        description="Formation sur la clôture annuelle",
        amount_eur="300",
        at=at("2026-11-23 15:00"),
    )
    assert found(personas, "cloture annuelle", "user_a")


def test_the_rebuild_writes_the_same_documents(personas, thread) -> None:
    before = {d.pk: (d.public, d.internal) for d in SearchDocument.objects.all()}
    SearchDocument.objects.all().delete()
    assert not found(personas, "brother")
    assert search.rebuild() == 1
    assert {d.pk: (d.public, d.internal) for d in SearchDocument.objects.all()} == before
    assert found(personas, "brother") and found(personas, "piratée")
    assert not found(personas, "piratée", "user_a")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_the_fts5_index_stays_consistent(thread) -> None:
    """Triggers keep FTS5 in step with every insert, update and delete."""
    with connection.cursor() as cursor:
        table = search.FTS_TABLE
        cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


def test_the_command_rebuilds_every_document(personas, thread, capsys) -> None:
    SearchDocument.objects.all().delete()
    assert main(["search", "rebuild"]) == 0
    assert capsys.readouterr().out.startswith("search: 1 requests indexed in ")
    assert found(personas, "brother", "user_a")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_documents_of_existing_requests(personas, thread) -> None:
    """Migration 0009 on a database that has requests: they are found, notes kept apart."""
    executor = MigrationExecutor(connection)
    executor.migrate([("support", "0008_desk_teams")])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM support_request")
            assert cursor.fetchone() == (1,)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert found(personas, "brother", "user_a") and found(personas, "piratee")
    assert not found(personas, "piratee", "user_a")
