"""The demo: the database migrated, the five presets imported, clients with contracts and
logins for each persona, so a newcomer sees a working platform in one command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from livret.monitoring.demo import load_monitoring_demo
from livret.offers.services import import_builtin_presets, latest_version
from livret.status.demo import load_status_demo
from livret.tenants.models import Client, Contract, Membership, Role
from livret.tenants.services import create_contract


@dataclass(frozen=True)
class DemoContract:
    reference: str
    offer_id: str
    formula: str | None
    options: tuple[str, ...]
    named_users: int
    territory: str
    start: date


@dataclass(frozen=True)
class DemoClient:
    slug: str
    name: str
    contracts: tuple[DemoContract, ...]


CLIENTS = (
    DemoClient(
        "boulangerie-martin",
        "Boulangerie Martin",
        (
            DemoContract(
                "Q-2026-001",
                "quadra-entreprise",
                None,
                ("assistance-plus",),
                12,
                "metropole",
                date(2026, 1, 5),
            ),
            DemoContract("P-2026-001", "preventcare", None, (), 12, "metropole", date(2026, 2, 2)),
        ),
    ),
    DemoClient(
        "cabinet-durand",
        "Cabinet Durand Expertise",
        (
            DemoContract(
                "E-2025-014",
                "expert-on-demand",
                "private",
                ("personalised-update", "acceptance-environment"),
                320,
                "metropole",
                date(2025, 9, 1),
            ),
        ),
    ),
    DemoClient(
        "mairie-fort-de-france",
        "Mairie de Fort-de-France",
        (DemoContract("S-2026-003", "carrus-saas", None, (), 45, "972", date(2026, 3, 2)),),
    ),
    DemoClient(
        "transports-schmitt",
        "Transports Schmitt (Strasbourg)",
        (DemoContract("C-2024-101", "eksae-contact", None, (), 8, "6AE", date(2024, 6, 3)),),
    ),
)

# (username, password, role, client slug or None, staff, superuser, first name, last name):
# pages and mails name people by their full name, never by their login.
LOGINS = (
    ("admin", "livret-admin-2026", Role.LEAD, None, True, True, "Sophie", "Lambert"),
    ("technicien", "livret-tech-2026", Role.TECHNICIAN, None, True, False, "Thomas", "Petit"),
    ("exploitation", "livret-ops-2026", Role.OPERATOR, None, True, False, "Nadia", "Benali"),
    (
        "martin",
        "livret-client-2026",
        Role.CLIENT_ADMIN,
        "boulangerie-martin",
        False,
        False,
        "Jean",
        "Martin",
    ),
    (
        "durand",
        "livret-client-2026",
        Role.CLIENT_USER,
        "cabinet-durand",
        False,
        False,
        "Élise",
        "Durand",
    ),
)


@transaction.atomic
def _load_data() -> None:
    import_builtin_presets()
    for spec in CLIENTS:
        client, _ = Client.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})
        for c in spec.contracts:
            if Contract.objects.filter(reference=c.reference).exists():
                continue
            version = latest_version(c.offer_id)
            assert version is not None  # imported just above
            create_contract(
                client=client,
                reference=c.reference,
                offer_version=version,
                formula=c.formula,
                options=list(c.options),
                start_date=c.start,
                named_users=c.named_users,
                territory=c.territory,
            )
    users = get_user_model()
    for username, password, role, slug, staff, superuser, first, last in LOGINS:
        if users.objects.filter(username=username).exists():
            # A demo made before people had names gets them (nothing else is changed).
            users.objects.filter(username=username, first_name="", last_name="").update(
                first_name=first, last_name=last
            )
            continue
        user = users.objects.create_user(
            username=username,
            password=password,
            email=f"{username}@demo.livret.invalid",
            is_staff=staff,
            is_superuser=superuser,
            first_name=first,
            last_name=last,
        )
        client = Client.objects.get(slug=slug) if slug else None
        Membership.objects.create(user=user, client=client, role=role)


# Support teams (issue 12): (name, slug, offers). An empty list takes every other offer.
TEAMS: tuple[tuple[str, str, list[str]], ...] = (
    ("Support Quadra", "support-quadra", ["quadra-entreprise"]),
    ("Support général", "support-general", []),
)

# Canned responses: (title, team slug or None for every team, body with its variables). No
# greeting nor signature: the mail that carries a message adds them (livret.mail.letters).
CANNED: tuple[tuple[str, str | None, str], ...] = (
    (
        "Prise en charge",
        None,
        "Nous avons pris en charge la demande {numero} déposée par {nom} pour {client}. "
        "Nous revenons vers vous au plus tard {echeance}.",
    ),
    (
        "Demande de capture d'écran",
        "support-quadra",
        "Pour avancer sur la demande {numero}, pouvez-vous nous envoyer une "
        "capture d'écran du message d'erreur et l'enchaînement des menus utilisés ?",
    ),
    (
        "Correctif disponible",
        "support-general",
        "Un correctif pour la demande {numero} est disponible. Merci de nous "
        "dire s'il règle le problème chez {client}.",
    ),
)


def _load_desk() -> None:
    """The teams (lead: the demo lead; member: the technician) and canned responses, once;
    demo requests filed before the teams existed are routed to theirs."""
    from livret.support import services
    from livret.support.models import CannedResponse, Request, Team

    users = get_user_model()
    lead = users.objects.get(username="admin")
    tech = users.objects.get(username="technicien")
    for name, slug, offers in TEAMS:
        team, created = Team.objects.get_or_create(
            slug=slug, defaults={"name": name, "offers": offers, "lead": lead}
        )
        if created:
            team.members.add(tech)
    for title, team_slug, body in CANNED:
        owner = Team.objects.filter(slug=team_slug).first() if team_slug else None
        CannedResponse.objects.get_or_create(title=title, defaults={"team": owner, "body": body})
    unrouted = Request.objects.filter(team__isnull=True).exclude(events__kind="team-set")
    for request in unrouted.select_related("contract__offer_version"):
        found = services.team_for(request.contract.offer_version.offer_id)
        if found is not None and request.is_open:
            services.set_team(request, found, lead)


def _load_requests() -> None:
    """A few requests in different states, placed relative to now, so clocks are running."""
    from livret.support import services
    from livret.support.models import Request
    from livret.support.services import NewRequest

    if Request.objects.exists():
        return
    users = get_user_model()
    tech = users.objects.get(username="technicien")
    martin = users.objects.get(username="martin")
    durand = users.objects.get(username="durand")
    quadra = Contract.objects.get(reference="Q-2026-001")
    expert = Contract.objects.get(reference="E-2025-014")
    now = timezone.now()
    hours = timedelta(hours=1)

    services.file_request(
        filer=martin,
        contract=quadra,
        at=now - 2 * hours,
        new=NewRequest(
            kind="anomaly",
            title="Impossible de valider les écritures de caisse",
            description="Le bouton Valider reste grisé depuis la mise à jour.",
            context="Saisie des ventes du jour",
            error_messages="Erreur 5003 : journal verrouillé",
            menu_path="Saisie > Journaux > Caisse",
            priority="critical",
        ),
    )
    second = services.file_request(
        filer=martin,
        contract=quadra,
        at=now - 30 * hours,
        new=NewRequest(
            kind="anomaly",
            title="Édition du grand livre incomplète",
            description="Les comptes 6 n'apparaissent pas dans l'édition PDF.",
            priority="high",
        ),
    )
    services.take_in_charge(second, tech, at=now - 29 * hours)
    services.qualify(second, tech, 2, at=now - 28 * hours)
    third = services.file_request(
        filer=durand,
        contract=expert,
        at=now - 5 * hours,
        new=NewRequest(
            kind="anomaly",
            title="Dossier client inaccessible",
            description="Le dossier 0042 affiche une page blanche.",
        ),
    )
    services.take_in_charge(third, tech, at=now - 4 * hours)
    services.qualify(third, tech, 1, at=now - 4 * hours)
    services.ask_client(
        third, tech, "Pouvez-vous nous envoyer une capture d'écran ?", at=now - 3 * hours
    )
    services.file_request(
        filer=martin,
        contract=quadra,
        at=now - hours,
        new=NewRequest(
            kind="customer-service",
            title="Changement d'adresse de facturation",
            description="Merci de mettre à jour notre adresse.",
        ),
    )


def load_demo() -> list[str]:
    """Migrate, import presets and demo data (idempotent); return the lines to print."""
    call_command("migrate", interactive=False, verbosity=0)
    _load_data()
    _load_desk()
    _load_requests()
    extra = [*load_status_demo(), *load_monitoring_demo()]
    lines = [
        f"livret demo ready — database: {settings.DATABASES['default']['NAME']}",
        "logins (username / password — role):",
    ]
    for username, password, role, slug, *_ in LOGINS:
        who = f"client {slug}" if slug else "vendor"
        lines.append(f"  {username} / {password} — {Role(role).label} ({who})")
    return [*lines, *extra]
