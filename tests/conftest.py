"""Shared fixtures: the three personas, imported presets, and a SQLite demo for CLI tests."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.helpers.cli import run_livret


def imported_modules(folder: Path) -> list[tuple[str, str]]:
    """(file name, module) for every import statement of the Python files under ``folder``."""
    found = []
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                found += [(file.name, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((file.name, node.module))
    return found


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose SQLite database holds the demo (``livret demo`` run once)."""
    path = tmp_path_factory.mktemp("demo")
    result = run_livret("demo", data_dir=path)
    assert result.returncode == 0, result.stderr
    return path


@dataclass
class Personas:
    """Client A's user, client B's user and a vendor technician (tenancy tests)."""

    client_a: object
    client_b: object
    technician: object
    user_a: object
    user_b: object


@pytest.fixture
def versions(db):  # type: ignore[no-untyped-def]
    """The five presets imported: offer_id -> OfferVersion."""
    from livret.offers.services import import_builtin_presets

    return {r.version.offer_id: r.version for r in import_builtin_presets()}


@pytest.fixture
def personas(versions):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from livret.tenants.models import Client, Membership, Role
    from livret.tenants.services import create_contract

    users = get_user_model()
    client_a = Client.objects.create(name="Client A", slug="client-a")
    client_b = Client.objects.create(name="Client B", slug="client-b")
    for client, ref in ((client_a, "A-1"), (client_b, "B-1")):
        create_contract(
            client=client,
            reference=ref,
            offer_version=versions["quadra-entreprise"],
            start_date=date(2026, 1, 5),
        )
    user_a = users.objects.create_user(
        "user-a", email="user-a@client-a.test", password="pw-user-a-2026"
    )
    user_b = users.objects.create_user(
        "user-b", email="user-b@client-b.test", password="pw-user-b-2026"
    )
    technician = users.objects.create_user(
        "tech", email="tech@vendor.test", password="pw-tech-2026", is_staff=True
    )
    Membership.objects.create(user=user_a, client=client_a, role=Role.CLIENT_ADMIN)
    Membership.objects.create(user=user_b, client=client_b, role=Role.CLIENT_USER)
    Membership.objects.create(user=technician, client=None, role=Role.TECHNICIAN)
    return Personas(client_a, client_b, technician, user_a, user_b)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 costs ~0.5 s a hash by design; tests use a fast hasher (production: argon2,
    checked by tests/accounts/test_accounts.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_policy_caches():  # type: ignore[no-untyped-def]
    """Policies are cached per offer-version id; a rolled-back test lets the next one reuse an
    id for another version (never in production, where ids are not reused)."""
    yield
    from livret.support.services import clocks

    clocks._policy_for_version.cache_clear()
    clocks._calendar.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def quiet_smtp_server_logs():  # type: ignore[no-untyped-def]
    """aiosmtpd's server thread logs cancelled connections after pytest closed its captured
    streams ("I/O operation on closed file"); its log is not what the tests check."""
    import logging

    logger = logging.getLogger("mail.log")
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    yield
