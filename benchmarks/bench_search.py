"""Search over many requests (issue 12): p95 of ``livret.support.search.matching`` as the pages
use it, on PostgreSQL (1,000,000 requests) and SQLite (100,000 for reference).

Run on demand (not a test):

    apt-get install -y wfrench     # /usr/share/dict/french: a varied French vocabulary
    .venv/bin/python benchmarks/bench_search.py --backend postgresql \\
        --postgres-url postgres://postgres@127.0.0.1:5432/livret_bench_search
    .venv/bin/python benchmarks/bench_search.py --backend sqlite --requests 100000

What it builds (and prints the time of each step): a fresh database (PostgreSQL: created, then
dropped at the end unless ``--keep``; its name must contain ``bench``), migrated, with the
five presets, ``--clients`` clients with a contract and an administrator each, and
``--requests`` requests written in bulk (COPY on PostgreSQL, ``executemany`` on SQLite) with
their search documents. Each request has a title (8 words), a description (20 to 80 words) and,
for half of them, the text of 1 to 4 messages (10 to 30 words each); one in ten has an internal
note (15 words). Words are drawn from 30,000 words of ``/usr/share/dict/french`` (or of the
offer presets when it is missing) with a Zipf-Mandelbrot law (1 / (rank + 40)), so that the
most frequent word is in about a third of the requests and most words in very few. 85 % of the
requests are closed.

What it times, each query ``--repeats`` times (another word of the same band each time), after
one warm-up pass, the median, p95 and max of:

- ``page``: what a paginated list runs: the first 50 rows in the list's order and the count;
- ``rows``: the first 50 rows only;

for these searches, each as its list runs it (rare word: in 20 to 200 requests; middle: in
0.5 % to 5 %; common: one of the 5 most frequent, each in about a third of the requests):

- the technician queue page (``views.queue_rows``: open requests, REQ-9 order): a rare word, a
  common word, two middle words with the client filter;
- ``GET /api/requests`` as vendor staff (every state, REQ-9 order): a request number, a rare
  word, two middle words with the client filter, a common word;
- a client administrator's list, tab "Toutes" (its organisation, newest first): a middle
  word, a common word.

``--rebuild`` then times ``livret search rebuild`` over every request (the rows hold no
messages: their documents come out shorter than the generated ones).

Target (issue 12): p95 < 100 ms on PostgreSQL with 1,000,000 requests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DICTIONARY = Path("/usr/share/dict/french")
CHUNK = 50_000


def log(message: str) -> None:
    print(message, flush=True)


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log(f"  {name}: {time.perf_counter() - started:.1f} s")


# --------------------------------------------------------------------------- the database


def _admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench'")
    return name, parsed._replace(path="/postgres", scheme="postgresql").geturl()


def create_postgres(url: str) -> None:
    import psycopg

    name, admin = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(url: str) -> None:
    import psycopg

    name, admin = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --------------------------------------------------------------------------- vocabulary


def vocabulary(size: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """(words, their lexemes): the presets' words first (the most frequent), then dictionary
    words; stop words left out."""
    from livret.core import search_text

    presets = " ".join(p.read_text() for p in (ROOT / "livret/core/presets").glob("*.toml"))
    seen: dict[str, str] = {}
    head = [w for w in search_text.words(presets) if w.isalpha() and len(w) > 3]
    pool = DICTIONARY.read_text().split() if DICTIONARY.exists() else []
    rng.shuffle(pool)
    for word in head + [w.casefold() for w in pool if w.isalpha()]:
        lexeme = search_text.lexeme(word)
        if lexeme and word not in seen:
            seen[word] = lexeme
        if len(seen) >= size:
            break
    return list(seen), list(seen.values())


# --------------------------------------------------------------------------- fixtures


def fixtures(clients: int) -> tuple[list[tuple[int, int, int]], Any]:
    """(client id, contract id, admin id) per client, and a technician."""
    from datetime import date

    from django.contrib.auth import get_user_model

    from livret.offers.services import import_builtin_presets
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
    users = get_user_model()
    rows = []
    for n in range(clients):
        client = Client.objects.create(name=f"Client {n:03d}", slug=f"client-{n:03d}")
        contract = create_contract(
            client=client,
            reference=f"C-{n:03d}",
            offer_version=versions["quadra-entreprise"],
            start_date=date(2022, 1, 3),
        )
        admin = users.objects.create_user(f"admin-{n:03d}", email=f"admin@c{n:03d}.test")
        Membership.objects.create(user=admin, client=client, role=Role.CLIENT_ADMIN)
        rows.append((client.pk, contract.pk, admin.pk))
    technician = users.objects.create_user("tech", email="tech@vendor.test", is_staff=True)
    Membership.objects.create(user=technician, client=None, role=Role.TECHNICIAN)
    return rows, technician


# --------------------------------------------------------------------------- generation


REQUEST_COLUMNS = [
    *("id", "number", "client_id", "contract_id", "kind", "channel", "state"),
    *("state_before_wait", "title", "description", "context", "error_messages", "menu_path"),
    *("priority", "not_an_anomaly", "filer_id", "filer_email", "priority_line"),
    *("eligibility_issues", "billable", "registered_at", "closed_at", "next_deadline_at"),
    *("breached", "event_count", "last_event_hash"),
]


def generate(
    start: int,
    count: int,
    words: np.ndarray,
    lexemes: np.ndarray,
    probabilities: np.ndarray,
    owners: list[tuple[int, int, int]],
    rng: np.random.Generator,
) -> tuple[list[tuple[Any, ...]], list[tuple[int, int, str, str]]]:
    """``count`` requests from id ``start`` and their documents."""
    from livret.core.search_text import indexed

    dem = indexed("DEM")
    lengths = 8 + rng.integers(20, 81, count)  # title + description
    messages = np.where(rng.random(count) < 0.5, rng.integers(1, 5, count), 0)
    message_words = messages * 20  # 10 to 30 words each, 20 on average
    internal = np.where(rng.random(count) < 0.1, 15, 0)
    total = int(lengths.sum() + message_words.sum() + internal.sum())
    drawn = rng.choice(len(words), size=total, p=probabilities)
    owner = rng.integers(0, len(owners), count)
    closed = rng.random(count) < 0.85
    epoch = datetime(2022, 1, 3, tzinfo=UTC)
    seconds = np.sort(rng.integers(0, 5 * 365 * 86400, count))
    requests, documents, at = [], [], 0
    for i in range(count):
        pk = start + i
        n, m, k = int(lengths[i]), int(message_words[i]), int(internal[i])
        text = drawn[at : at + n]
        said = drawn[at + n : at + n + m]
        note = drawn[at + n + m : at + n + m + k]
        at += n + m + k
        client_id, contract_id, admin_id = owners[owner[i]]
        registered = epoch + timedelta(seconds=int(seconds[i]))
        number = f"DEM-{registered.year}-{pk:06d}"
        title = " ".join(words[text[:8]]).capitalize()
        description = " ".join(words[text[8:]])
        requests.append(
            (
                pk,
                number,
                client_id,
                contract_id,
                "anomaly",
                "portal",
                "closed" if closed[i] else "registered",
                "",
                title,
                description,
                "",
                "",
                "",
                "moderate",
                False,
                admin_id,
                "",
                False,
                "[]",
                False,
                registered.isoformat(),
                (registered + timedelta(days=3)).isoformat() if closed[i] else None,
                None if closed[i] else (registered + timedelta(hours=8)).isoformat(),
                "[]",
                1,
                "",
            )
        )
        # indexed(number), written out: the number's lexemes are its letters and its digits.
        public = f"{dem} {registered.year} {pk:06d} {' '.join(lexemes[text])} "
        public += " ".join(lexemes[said])
        documents.append((pk, client_id, public.strip(), " ".join(lexemes[note])))
    return requests, documents


def _copy_text(rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in row))
        out.write("\n")
    return out.getvalue().encode()


def load(
    backend: str, total: int, vocabulary_words: tuple[list[str], list[str]], owners: Any
) -> None:
    from django.db import connection

    words = np.array(vocabulary_words[0], dtype=object)
    lexemes = np.array(vocabulary_words[1], dtype=object)
    ranks = np.arange(1, len(words) + 1, dtype=float)
    probabilities = (ranks + 40) ** -1.0
    probabilities /= probabilities.sum()
    rng = np.random.default_rng(12)
    if backend == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX support_search_public, support_search_vendor")
    generating = writing = 0.0
    for start in range(1, total + 1, CHUNK):
        began = time.perf_counter()
        requests, documents = generate(
            start, min(CHUNK, total + 1 - start), words, lexemes, probabilities, owners, rng
        )
        generating += time.perf_counter() - began
        began = time.perf_counter()
        with connection.cursor() as cursor:
            if backend == "postgresql":
                raw = cursor.cursor
                columns = ", ".join(REQUEST_COLUMNS)
                with raw.copy(f"COPY support_request ({columns}) FROM STDIN") as copy:
                    copy.write(_copy_text(requests))
                with raw.copy(
                    "COPY support_searchdocument (request_id, client_id, public, internal) "
                    "FROM STDIN"
                ) as copy:
                    copy.write(_copy_text(documents))
            else:
                marks = ", ".join(["%s"] * len(REQUEST_COLUMNS))
                cursor.executemany(
                    f"INSERT INTO support_request ({', '.join(REQUEST_COLUMNS)}) VALUES ({marks})",
                    requests,
                )
                cursor.executemany(
                    "INSERT INTO support_searchdocument (request_id, client_id, public, internal) "
                    "VALUES (%s, %s, %s, %s)",
                    documents,
                )
        writing += time.perf_counter() - began
        log(f"    {start + len(requests) - 1:>9,} requests")
    log(f"  generating the texts (Python): {generating:.1f} s")
    log(f"  writing them (COPY / INSERT, generated tsvectors or FTS5 triggers): {writing:.1f} s")
    with connection.cursor() as cursor:
        if backend == "postgresql":
            with step("GIN indexes"):
                cursor.execute(
                    "CREATE INDEX support_search_public ON support_searchdocument "
                    "USING gin (public_vector)"
                )
                cursor.execute(
                    "CREATE INDEX support_search_vendor ON support_searchdocument "
                    "USING gin (vendor_vector)"
                )
            cursor.execute("SELECT setval('support_request_id_seq', %s)", [total])
            with step("VACUUM ANALYZE"):
                cursor.execute("VACUUM ANALYZE support_request")
                cursor.execute("VACUUM ANALYZE support_searchdocument")
        else:
            with step("ANALYZE"):
                cursor.execute("ANALYZE")


def sizes(backend: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if backend == "postgresql":
            cursor.execute(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relname IN ('support_request', 'support_searchdocument', "
                "'support_search_public', 'support_search_vendor') ORDER BY relname"
            )
            for name, size in cursor.fetchall():
                log(f"  size of {name}: {size}")
        else:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            log(f"  database file: {pages * cursor.fetchone()[0] / 1e6:.0f} MB")


# --------------------------------------------------------------------------- measures


def frequencies(total: int) -> dict[str, int]:
    """How many requests each lexeme is in (from the documents, for choosing words)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT word, ndoc FROM ts_stat("
                "'SELECT public_vector FROM support_searchdocument WHERE request_id % 20 = 0')"
            )
            return {word: ndoc * 20 for word, ndoc in cursor.fetchall()}
        cursor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS bench_vocab "
            "USING fts5vocab(support_searchdocument_fts, 'row')"
        )
        cursor.execute("SELECT term, doc FROM bench_vocab")
        return dict(cursor.fetchall())


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def measure(repeats: int, owners: Any, technician: Any, total: int) -> list[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from livret.core.search_text import lexeme
    from livret.support.access import visible_requests
    from livret.support.models import Request, queue_order
    from livret.support.search import matching
    from livret.support.views import queue_rows
    from livret.tenants.models import Client

    freq = frequencies(total)
    # Words typed as their own lexeme (so the counts are theirs), not the numbers' "dem".
    by_count = sorted(
        (n, w) for w, n in freq.items() if w.isalpha() and len(w) > 3 and lexeme(w) == w
    )
    rare = [w for n, w in by_count if 20 <= n <= 200]
    middle = [w for n, w in by_count if total * 0.005 <= n <= total * 0.05]
    common = [w for n, w in by_count[-5:]]
    log(f"  common words: {', '.join(f'{w} ({n:,})' for n, w in by_count[-5:])}")
    rng = random.Random(7)
    users = get_user_model()
    admins = {a: users.objects.get(pk=a) for _, _, a in owners}
    slugs = dict(Client.objects.values_list("pk", "slug"))
    sample = rng.sample(range(1, total + 1), 200)
    numbers = list(Request.objects.filter(pk__in=sample).values_list("number", flat=True))

    def page(rows: Any) -> None:
        list(rows[:50])
        rows.count()

    def first(rows: Any) -> None:
        list(rows[:50])

    def queue(query: str, client: str = "") -> Any:
        """The technician queue page: open requests, REQ-9 order (views.queue_rows)."""
        return queue_rows({"q": query, "client": client}, technician)

    def api(query: str, client: str = "") -> Any:
        """GET /api/requests as vendor staff: every state, REQ-9 order."""
        rows = visible_requests(technician)
        if client:
            rows = rows.filter(client__slug=client)
        return queue_order(matching(rows, query, technician))

    def client_side(query: str) -> Any:
        """A client administrator's list, tab "Toutes": its organisation, newest first."""
        admin = admins[rng.choice(owners)[2]]
        return matching(visible_requests(admin), query, admin).order_by("-registered_at")

    cases: dict[str, Callable[[], Any]] = {
        "queue page, rare word": lambda: queue(rng.choice(rare)),
        "queue page, common word": lambda: queue(rng.choice(common)),
        "queue page, two words + client filter": lambda: queue(
            f"{rng.choice(middle)} {rng.choice(middle)}", slugs[rng.choice(owners)[0]]
        ),
        "API vendor, request number": lambda: api(rng.choice(numbers)),
        "API vendor, rare word": lambda: api(rng.choice(rare)),
        "API vendor, two words + client filter": lambda: api(
            f"{rng.choice(middle)} {rng.choice(middle)}", slugs[rng.choice(owners)[0]]
        ),
        "API vendor, common word (every state)": lambda: api(rng.choice(common)),
        "client list, middle word": lambda: client_side(rng.choice(middle)),
        "client list, common word": lambda: client_side(rng.choice(common)),
    }
    results = []
    for name, make in cases.items():
        for kind, run in (("page", page), ("rows", first)):
            for _ in range(3):  # warm-up
                run(make())
            times, hits = [], []
            for _ in range(repeats):
                rows = make()
                times.append(timed(lambda rows=rows, run=run: run(rows)))
                if kind == "page":
                    hits.append(rows.count())
            times.sort()
            result = {
                "case": name,
                "measure": kind,
                "median_ms": statistics.median(times),
                "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))],
                "max_ms": times[-1],
                "hits_median": statistics.median(hits) if hits else None,
            }
            results.append(result)
            hits_text = f", matches median {result['hits_median']:,.0f}" if hits else ""
            log(
                f"  {name:<40} {kind:<5} median {result['median_ms']:7.1f} ms  "
                f"p95 {result['p95_ms']:7.1f} ms  max {result['max_ms']:7.1f} ms{hits_text}"
            )
    return results


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--postgres-url", default="postgres://postgres@127.0.0.1:5432/livret_bench_search"
    )
    parser.add_argument("--requests", type=int, default=None, help="1,000,000 / 100,000")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by --keep (PostgreSQL)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="then time `livret search rebuild` (all requests)"
    )
    args = parser.parse_args()
    total = args.requests or (1_000_000 if args.backend == "postgresql" else 100_000)
    log(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    log(f"load average at start: {os.getloadavg()}")
    data_dir = tempfile.mkdtemp(prefix="bench-search-")
    os.environ["LIVRET_DATA_DIR"] = data_dir
    if args.backend == "postgresql":
        os.environ["DATABASE_URL"] = args.postgres_url
        if not args.reuse:
            create_postgres(args.postgres_url)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    from livret.boot import setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection

    try:
        if args.reuse:
            from django.contrib.auth import get_user_model

            from livret.tenants.models import Membership

            technician = get_user_model().objects.get(username="tech")
            admins = Membership.objects.filter(role="client-admin").select_related("client")
            owners = [(m.client_id, m.client.contracts.get().pk, m.user_id) for m in admins]
            sizes(args.backend)
            measure(args.repeats, owners, technician, total)
            return
        began = time.perf_counter()
        log(f"building {total:,} requests on {args.backend}")
        with step("migrate"):
            call_command("migrate", verbosity=0)
        with step(f"presets, {args.clients} clients"):
            owners, technician = fixtures(args.clients)
        with step("vocabulary"):
            vocab = vocabulary(args.vocabulary, random.Random(3))
        log(f"  {len(vocab[0]):,} words ({'dictionary' if DICTIONARY.exists() else 'presets'})")
        load(args.backend, total, vocab, owners)
        log(f"  total build: {time.perf_counter() - began:.0f} s")
        sizes(args.backend)
        log("measures (ms):")
        measure(args.repeats, owners, technician, total)
        if args.rebuild:
            from livret.support.search import rebuild

            began = time.perf_counter()
            rebuild()
            seconds = time.perf_counter() - began
            log(f"search rebuild: {seconds:.0f} s, {total / seconds:,.0f} requests/s")
            sizes(args.backend)
    finally:
        connection.close()
        log(f"load average at end: {os.getloadavg()}")
        if args.backend == "postgresql" and not args.keep:
            drop_postgres(args.postgres_url)
            log("database dropped")


if __name__ == "__main__":
    main()
