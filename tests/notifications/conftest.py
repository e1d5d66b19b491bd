"""A support desk for the notification tests: the personas' technician (Camille Martin) in the
Quadra team with a second technician and an inactive one, the team's lead, another support lead
of the vendor, and a team without a lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from livret.support import services
from livret.support.models import Request
from tests.helpers.clock import at
from tests.helpers.support import anomaly


@dataclass
class Desk:
    personas: Any
    tech: Any  # Camille Martin, the personas' technician
    tech_b: Any  # Paul Durand
    gone: Any  # an inactive technician, still listed in the team
    lead: Any  # Hélène Roux, lead of the Quadra team
    lead_2: Any  # Marc Petit, another support lead of the vendor
    team: Any
    leaderless: Any

    def file(self, *, team: Any = None, when: str = "2026-11-19 10:00") -> Request:
        """Client A's anomaly, filed then put on ``team`` (the desk's routing is not ours)."""
        request = services.file_request(
            filer=self.personas.user_a,
            contract=self.personas.client_a.contracts.get(),
            new=anomaly("high"),
            at=at(when),
        )
        if team is not None:
            Request.objects.filter(pk=request.pk).update(team=team)
            request.refresh_from_db()
        return request

    def tell(self, when: str = "2026-11-19 10:01") -> int:
        """The worker's new-request scan, as it runs a few seconds after the filing."""
        from livret.support import jobs

        return jobs.tell_staff_of_new_requests(at(when))


@pytest.fixture
def desk(personas) -> Desk:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from livret.support.models import Team
    from livret.tenants.models import Membership, Role

    users = get_user_model()

    def staff(username: str, role: str, first: str, last: str, **extra: Any) -> Any:
        user = users.objects.create_user(
            username,
            email=f"{username}@vendor.test",
            password=f"pw-{username}-2026",
            first_name=first,
            last_name=last,
            **extra,
        )
        Membership.objects.create(user=user, client=None, role=role)
        return user

    tech = personas.technician
    tech.first_name, tech.last_name = "Camille", "Martin"
    tech.save()
    personas.user_a.first_name, personas.user_a.last_name = "Agnès", "Bernard"
    personas.user_a.save()
    tech_b = staff("tech-b", Role.TECHNICIAN, "Paul", "Durand")
    gone = staff("gone", Role.TECHNICIAN, "Jean", "Parti", is_active=False)
    lead = staff("lead", Role.LEAD, "Hélène", "Roux")
    lead_2 = staff("lead-2", Role.LEAD, "Marc", "Petit")
    # Teams on an offer no contract here has: routing at filing leaves requests without a
    # team, and each test puts its request on the team it is about.
    team = Team.objects.create(name="Quadra", slug="quadra", offers=["hors-desk"], lead=lead)
    team.members.set([tech, tech_b, gone])
    leaderless = Team.objects.create(
        name="Sans responsable", slug="sans-responsable", offers=["hors-desk"]
    )
    leaderless.members.set([tech_b])
    return Desk(personas, tech, tech_b, gone, lead, lead_2, team, leaderless)
