"""Vendor staff and support teams for tests (issue 12)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from livret.support import services
from livret.support.models import Team
from livret.support.services import NewRequest
from livret.tenants.models import Membership, Role
from tests.helpers.clock import at


def staff(username: str, role: str = Role.TECHNICIAN, *, active: bool = True, name: str = ""):
    first, _, last = name.partition(" ")
    user = get_user_model().objects.create_user(
        username,
        email=f"{username}@vendor.test",
        first_name=first,
        last_name=last,
        is_active=active,
    )
    Membership.objects.create(user=user, client=None, role=role)
    return user


def team(name: str, offers: list[str], *, lead=None, members=()) -> Team:
    made = Team.objects.create(name=name, slug=name.lower().replace(" ", "-"), offers=offers)
    made.lead = lead
    made.save()
    made.members.set(members)
    return made


# A Thursday. Quadra pickup deadlines: critical 15:30, high 17:30, moderate Friday 11:00.
FILED = "2026-11-19 10:00"
NOW = "2026-11-19 16:00"


def new(title: str, priority: str = "moderate", kind: str = "anomaly") -> NewRequest:
    return NewRequest(kind=kind, title=title, description="Décrit", priority=priority)


def file(personas, who: str, title: str, priority: str = "moderate", kind: str = "anomaly"):
    user = getattr(personas, who)
    return services.file_request(
        filer=user,
        contract=user.membership.client.contracts.get(),
        new=new(title, priority, kind),
        at=at(FILED),
    )


def login(client, user):
    client.force_login(user)
    return client


def make_desk(personas) -> dict:
    """Two teams; the technician (Thomas Leroy) in Quadra's; four open requests."""
    tech = personas.technician
    tech.first_name, tech.last_name = "Thomas", "Leroy"
    tech.save()
    alice = staff("alice", name="Alice Martin")
    quadra = team("Support Quadra", ["quadra-entreprise"], lead=alice, members=[tech])
    expert = team("Support Expert", ["expert-on-demand"], lead=alice, members=[alice])
    mine = file(personas, "user_a", "Caisse bloquée", "critical")  # overdue at NOW
    services.assign(mine, tech, tech)
    waiting = file(personas, "user_b", "Export lent", "high")  # at risk at NOW (due 17:30)
    theirs = file(personas, "user_a", "Lettrage faux")  # due Friday
    services.set_team(theirs, expert, tech)
    services.assign(theirs, alice, tech)
    address = file(personas, "user_a", "Changer l'adresse", kind="customer-service")
    return {
        "mine": mine.number,
        "waiting": waiting.number,
        "theirs": theirs.number,
        "address": address.number,
        "quadra": quadra,
        "alice": alice,
    }
