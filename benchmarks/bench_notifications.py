"""Staff notifications (issue 12): what a filing pays, what the worker pays to tell the staff of
it, and the cost of the unread count every staff page shows.

Run on demand (not a test; about a minute per database):

    .venv/bin/python benchmarks/bench_notifications.py                 # SQLite only
    .venv/bin/python benchmarks/bench_notifications.py \\
        --postgres-url postgres://postgres@127.0.0.1:5432/EMPTY_DB    # SQLite and PostgreSQL

The PostgreSQL database must exist and be empty (no table in ``public``): the script migrates
it, measures, and empties it again (``DROP SCHEMA public CASCADE``); it refuses a database that
holds tables, so it never touches a real one.

1. **Filing.** ``services.file_request`` in-process on a fresh migrated database, with two
   active support leads and no team (so each new request tells two people: two in-app rows,
   two mails). ``--blocks`` blocks of ``--block`` filings, each followed by the worker's scan
   that tells the staff (``support.jobs.tell_staff_of_new_requests``); reported: the median ms
   per filing (what the web request pays) and per request told (what the worker pays), and
   the SQL statements of each.
2. **Unread count.** ``--people`` staff with ``--per-person`` notifications each (5 % unread),
   written with ``bulk_create``; then the median of ``--repeat`` calls of ``unread_count`` (the
   menu's query) and of the list's first page (its count and 25 rows), with the plan of the
   count query (it must read the partial index ``notification_unread``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
PARIS = ZoneInfo("Europe/Paris")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def desk() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from livret.offers.services import import_builtin_presets
    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    versions = {r.version.offer_id: r.version for r in import_builtin_presets()}
    client = Client.objects.create(name="Bench", slug="bench")
    contract = create_contract(
        client=client,
        reference="B-1",
        offer_version=versions["quadra-entreprise"],
        start_date=date(2026, 1, 5),
    )
    users = get_user_model()
    filer = users.objects.create_user("bench-filer", email="filer@bench.test")
    Membership.objects.create(user=filer, client=client, role=Role.CLIENT_USER)
    for i in range(2):
        lead = users.objects.create_user(f"lead-{i}", email=f"lead-{i}@bench.test")
        Membership.objects.create(user=lead, client=None, role=Role.LEAD)
    return {"contract": contract, "filer": filer}


def child_filing(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from livret.support import jobs, services

    made = desk()
    start = datetime(2026, 11, 19, 10, 0, tzinfo=PARIS)
    count = 0

    def file_one() -> None:
        nonlocal count
        count += 1
        services.file_request(
            filer=made["filer"],
            contract=made["contract"],
            at=start + timedelta(seconds=count),
            new=services.NewRequest(
                kind="anomaly", title=f"R{count}", description="d", priority="high"
            ),
        )

    def block() -> tuple[float, float]:
        """ms per filing (the web request's work), then ms per request told by the worker."""
        began = time.perf_counter()
        for _ in range(args.block):
            file_one()
        filed = time.perf_counter()
        told = jobs.tell_staff_of_new_requests(start + timedelta(days=1))
        assert told == args.block, told
        return (
            (filed - began) * 1000 / args.block,
            (time.perf_counter() - filed) * 1000 / args.block,
        )

    block()  # warm-up: caches, connections
    timings = [block() for _ in range(args.blocks)]
    with CaptureQueriesContext(connection) as filing_queries:
        file_one()
    with CaptureQueriesContext(connection) as telling_queries:
        jobs.tell_staff_of_new_requests(start + timedelta(days=1))
    return {
        "ms_per_filing": round(statistics.median(t[0] for t in timings), 2),
        "worker_ms_per_request_told": round(statistics.median(t[1] for t in timings), 2),
        "blocks": timings,
        "statements_per_filing": len(filing_queries),
        "worker_statements_per_request": len(telling_queries),
    }


def child_unread(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from livret.notifications.models import Notification
    from livret.notifications.services import notifications_of, unread_count
    from livret.tenants.models import Membership, Role

    users = get_user_model()
    people = users.objects.bulk_create(
        [users(username=f"staff-{i}", email=f"s{i}@bench.test") for i in range(args.people)]
    )
    people = list(users.objects.filter(username__startswith="staff-").order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(user=u, client=None, role=Role.TECHNICIAN) for u in people]
    )
    base = datetime(2026, 1, 1, tzinfo=PARIS)
    read = base + timedelta(days=400)
    batch: list[Notification] = []
    for person in people:
        for j in range(args.per_person):
            batch.append(
                Notification(
                    recipient=person,
                    kind="client-reply",
                    title=f"Nouveau message du client : demande {j}",
                    body="Le client a écrit sur la demande.",
                    link=f"/demandes/DEM-2026-{j:06d}/",
                    thread=f"DEM-2026-{j:06d}",
                    created_at=base + timedelta(minutes=j),
                    read_at=None if j % 20 == 0 else read,
                )
            )
            if len(batch) >= 20_000:
                Notification.objects.bulk_create(batch)
                batch = []
    Notification.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    target = people[len(people) // 2]

    def median_ms(run: Any) -> float:
        samples = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            run()
            samples.append((time.perf_counter() - began) * 1000)
        return round(statistics.median(samples), 3)

    expected = len(range(0, args.per_person, 20))
    assert unread_count(target) == expected
    with CaptureQueriesContext(connection) as queries:
        unread_count(target)
    sql = queries[0]["sql"]
    keyword = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(keyword + sql)
        plan = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    return {
        "rows": Notification.objects.count(),
        "unread_of_one": expected,
        "unread_count_ms": median_ms(lambda: unread_count(target)),
        "first_page_ms": median_ms(
            lambda: (
                notifications_of(target).count(),
                list(notifications_of(target)[:25]),
            )
        ),
        "count_plan": plan,
        "uses_partial_index": "notification_unread" in plan,
    }


def run_child(part: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", part]
    for name in ("block", "blocks", "people", "per_person", "repeat"):
        command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        raise SystemExit(f"child {part} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def empty_postgres(url: str) -> None:
    """Refuse a database that holds tables; used again after the run to empty it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
        if tables and tables[0]:
            raise SystemExit(f"{urlparse(url).path[1:]} holds {tables[0]} tables: not touched")


def drop_everything(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--per-person", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--child", choices=["filing", "unread"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django()
        found = child_filing(args) if args.child == "filing" else child_unread(args)
        print(json.dumps(found))
        return
    results: dict[str, Any] = {"load_before": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    backends = [("sqlite", "")] + ([("postgres", args.postgres_url)] if args.postgres_url else [])
    for name, url in backends:
        for part in ("filing", "unread"):
            with tempfile.TemporaryDirectory() as data_dir:
                env = {**os.environ, "LIVRET_DATA_DIR": data_dir, "DATABASE_URL": url}
                if url:
                    empty_postgres(url)
                try:
                    results[f"{name}-{part}"] = run_child(part, env, args)
                finally:
                    if url:
                        drop_everything(url)
    results["load_after"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
