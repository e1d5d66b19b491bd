"""French lexemes and search queries (issue 12, decision 0012), without a database."""

from __future__ import annotations

import pytest
from snowballstemmer.french_stemmer import FrenchStemmer

from livret.core import search_text
from livret.core.search_text import Query, QueryError, Term, lexemes, parse, to_fts5, to_tsquery


@pytest.mark.parametrize(
    "forms",
    [
        ["facture", "factures", "facturer", "facturée", "facturation", "FACTURÉES"],
        ["bloqué", "bloquée", "bloquées", "bloquer", "bloque", "bloquee", "bloquees"],
        ["électricité", "électricités", "electricite", "Electricites", "ÉLECTRICITÉ"],
        ["créée", "créé", "créer", "creee", "cree"],
        ["vérifier", "vérifiée", "verifiee", "verifie"],
        ["paramètre", "paramétrer", "parametree", "parametre"],
        ["sécurité", "securite"],
        ["données", "donnee", "donnees"],
        ["cœur", "coeur"],
    ],
)
def test_the_forms_of_a_word_are_one_lexeme(forms) -> None:
    """Plural, feminine, verb forms, capitals, with or without accents."""
    assert len({tuple(lexemes(form)) for form in forms}) == 1, [
        (form, lexemes(form)) for form in forms
    ]


def test_it_splits_at_anything_but_letters_and_digits() -> None:
    assert search_text.words("L'Écran (ORA-00942) : « bloqué »_2") == [
        "l",
        "écran",
        "ora",
        "00942",
        "bloqué",
        "2",
    ]
    assert lexemes("DEM-2026-000012") == ["dem", "2026", "000012"]


def test_stop_words_are_neither_indexed_nor_searched() -> None:
    assert lexemes("Le client a été prévenu de la panne à 9 h") == [
        "client",
        "prevenu",
        "pann",
        "9",
        "h",
    ]
    assert search_text.indexed("de la le") == ""


def test_it_indexes_the_first_characters_of_a_huge_text() -> None:
    text = "panne " * 50_000  # 300,000 characters
    # 100,000 characters: 16,666 times "panne " and "pann", the cut word still a lexeme.
    assert search_text.MAX_INDEXED_CHARACTERS == 100_000
    assert len(search_text.indexed(text).split()) == 16_667


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Factures impayées", [Term(("factur",)), Term(("impai",))]),
        ("DEM-2026-000012", [Term(("dem", "2026", "000012"))]),
        (
            '"mise à jour" -"bon de commande"',
            [Term(("mis", "jour")), Term(("bon", "command"), True)],
        ),
        ("l'imprimante -papier", [Term(("imprimant",)), Term(("papi",), True)]),
        ('écran "figé', [Term(("ecran",)), Term(("fig",))]),  # a quote left open
        ("", []),
        ("  ?! ", []),
    ],
)
def test_it_parses_words_phrases_and_exclusions(query, terms) -> None:
    assert parse(query) == Query(tuple(terms))


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("x" * 201, "la recherche dépasse 200 caractères"),
        ("écran\x1bfigé", "la recherche contient un caractère de contrôle (U+001B)"),
        ("écran\u2028figé", "la recherche contient un caractère de contrôle (U+2028)"),
        ("le de la", "la recherche ne contient que des mots trop courants pour être cherchés"),
        ("-papier -encre", "indiquez au moins un mot à chercher, pas seulement des mots exclus"),
    ],
)
def test_it_refuses_what_it_cannot_search(query, reason) -> None:
    with pytest.raises(QueryError, match=reason[:40]):
        parse(query)


def test_it_writes_the_query_for_each_database() -> None:
    query = parse('facture "mise à jour" -papier')
    assert to_tsquery(query) == "'factur' & ('mis' <-> 'jour') & !'papi'"
    assert to_fts5(query) == '"factur" AND "mis jour" NOT "papi"'
    assert to_fts5(query, "public") == 'public : ("factur" AND "mis jour" NOT "papi")'


def test_the_fast_stemmer_and_the_pure_python_one_agree() -> None:
    """PyStemmer (C) is used when installed, snowballstemmer's Python code otherwise."""
    pure = FrenchStemmer()
    words = search_text.words(
        "Les écritures comptables de clôture n'apparaissent plus après la mise à jour ; "
        "l'imprimante bloquée affiche « erreur de connexion », réinstallation effectuée, "
        "paramétrages vérifiés, électricité coupée, données sauvegardées hier soir"
    )
    assert [pure.stemWord(w) for w in words] == [search_text._stemmer().stemWord(w) for w in words]
