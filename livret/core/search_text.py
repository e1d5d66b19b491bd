"""French full-text search, the part both databases share (issue 12, decision 0012).

Text and queries become *lexemes* here, the same way for SQLite's FTS5 and PostgreSQL's
``tsvector`` (both then index and match lexemes as they are, ``simple``): each word is stemmed
by the Snowball French algorithm (PostgreSQL's ``french_stem``), then its accents are removed,
so « Électricité », "electricite" and "électricités" are one lexeme, and so are « bloquée »,
"bloquee" and "bloquer". A word typed without any accent is read with the accent French most
often drops at its end (« bloquee » as « bloquée », :func:`lexeme`): stemming the bare
letters would lose the ending's meaning (« bloquee » → ``bloque``, not ``bloqu``). Words of
PostgreSQL's French stop list are not indexed nor searched (:data:`STOP_WORDS`). Anything that
is neither a letter nor a digit separates words: a request number ``DEM-2026-000012`` is the
three lexemes ``dem 2026 000012``, found as a phrase.

A query (:func:`parse`) is words that must all appear, ``"a phrase"`` whose words must follow
each other, and ``-word`` (or ``-"a phrase"``) that must not appear. :func:`to_tsquery` and
:func:`to_fts5` write it for each database.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import snowballstemmer

# The longest query accepted, in characters (a sentence, not a document).
MAX_QUERY_LENGTH = 200
# The most characters of one document's part that are indexed: PostgreSQL refuses a tsvector
# over 1 MB, and no one searches the 15,000th word of a thread.
MAX_INDEXED_CHARACTERS = 100_000

# PostgreSQL's french.stop (the Snowball list), folded like the words it is compared with.
_STOP_LIST = """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me
    même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes
    toi ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants
    étantes suis es est sommes êtes sont serai seras sera serons serez seront serais serait
    serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit
    soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes ayants eu
    eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais aurait aurions
    auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons
    ayez aient eusse eusses eût eussions eussiez eussent"""
# The endings whose accent French most often drops, with it (« bloquee » is « bloquée »).
_ACCENTED_ENDINGS = (
    ("eres", "ères"),
    ("ere", "ère"),
    ("ees", "ées"),
    ("ee", "ée"),
    ("es", "és"),
    ("e", "é"),
)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# A piece of a query: an optional minus, then a quoted phrase (closed or not) or a bare word.
_PIECE = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_WORD = re.compile(r"[^\W_]+")
_local = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


class QueryError(ValueError):
    """A query that cannot be searched; ``str()`` is the reason, in French."""


@dataclass(frozen=True)
class Term:
    """One lexeme, or several that must follow each other (a phrase); excluded or required."""

    lexemes: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class Query:
    """The terms of a query; every required term must match, no excluded one."""

    terms: tuple[Term, ...]


def words(text: str) -> list[str]:
    """The words of ``text`` in lower case, accents kept, split at anything that is neither a
    letter nor a digit (``l'Écran`` → ``l``, ``écran``)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold().translate(_LIGATURES))


def fold(word: str) -> str:
    """``word`` without its accents (``électricité`` → ``electricite``)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


STOP_WORDS = frozenset(fold(word) for word in _STOP_LIST.split())


def _stemmer() -> snowballstemmer.stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("french")
    return stemmer


@functools.lru_cache(maxsize=65_536)  # words repeat (Zipf): most are stemmed once a process
def lexeme(word: str) -> str | None:
    """What a word is indexed and searched as: its Snowball French stem without accents
    (``facturées`` → ``factur``), the word read with its usual final accent when it has none
    (``bloquee`` → ``bloqu``); None for a stop word."""
    bare = fold(word)
    if bare in STOP_WORDS:
        return None
    if bare == word:
        for plain, accented in _ACCENTED_ENDINGS:
            if word.endswith(plain):
                word = word[: -len(plain)] + accented
                break
    return fold(str(_stemmer().stemWord(word)))


def lexemes(text: str) -> list[str]:
    """The lexemes of ``text``, in order, stop words left out."""
    found = (lexeme(word) for word in words(text))
    return [item for item in found if item]


def indexed(text: str) -> str:
    """``text`` as both databases index it: its lexemes, separated by spaces (its first
    :data:`MAX_INDEXED_CHARACTERS` characters)."""
    return " ".join(lexemes(text[:MAX_INDEXED_CHARACTERS]))


def _pieces(text: str) -> list[tuple[str, bool]]:
    """``(text, excluded)`` for each quoted phrase and each bare word, in order."""
    return [(quoted or bare, minus == "-") for minus, quoted, bare in _PIECE.findall(text)]


def parse(text: str) -> Query:
    """The terms of a query typed by a person; a query without words has none (nothing to
    filter). QueryError when it is too long, holds a control character, has only stop words
    or only excluded terms.

    A bare word joined by hyphens or apostrophes (``DEM-2026-000012``, ``porte-monnaie``) is a
    phrase, as it is written; stop words alone (« le », « de ») are not searched.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"la recherche dépasse {MAX_QUERY_LENGTH} caractères")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") and char not in " \t":
            raise QueryError(f"la recherche contient un caractère de contrôle (U+{ord(char):04X})")
    terms = []
    for piece, excluded in _pieces(text):
        found = tuple(lexemes(piece))
        if found:
            terms.append(Term(found, excluded))
    if not terms and words(text):
        raise QueryError(
            "la recherche ne contient que des mots trop courants pour être cherchés "
            "(« le », « de »…) : ajoutez un mot plus précis"
        )
    if terms and all(term.excluded for term in terms):
        raise QueryError("indiquez au moins un mot à chercher, pas seulement des mots exclus")
    return Query(tuple(terms))


def required(query: Query) -> list[Term]:
    """The terms that must appear."""
    return [term for term in query.terms if not term.excluded]


def to_tsquery(query: Query) -> str:
    """``query`` for PostgreSQL's ``to_tsquery('simple', …)`` (lexemes are letters and digits:
    nothing to escape)."""

    def term(item: Term) -> str:
        phrase = " <-> ".join(f"'{word}'" for word in item.lexemes)
        inner = f"({phrase})" if len(item.lexemes) > 1 else phrase
        return f"!{inner}" if item.excluded else inner

    return " & ".join(term(item) for item in query.terms)


def to_fts5(query: Query, column: str | None = None) -> str:
    """``query`` for SQLite FTS5's ``MATCH``, only in ``column`` if given.

    FTS5's NOT is binary: the required terms come first, each excluded one after a ``NOT``.
    """

    def phrase(item: Term) -> str:
        return '"' + " ".join(item.lexemes) + '"'

    expression = " AND ".join(phrase(item) for item in required(query))
    for item in query.terms:
        if item.excluded:
            expression += f" NOT {phrase(item)}"
    return f"{column} : ({expression})" if column else expression
