"""Who works a request: its team (routed by offer at filing) and its technician (issue 12).

The team found at filing is named in the request's "registered" event. Later moves and
assignments are internal to the vendor: their audit events are hidden from the client (REQ-11
keeps them in the chain all the same). None of it touches the SLA clocks (REQ-4..7): the
request is saved without recomputing its deadlines.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from livret.errors import ServiceError, WrongState
from livret.support.models import Request, RequestEvent, Team
from livret.support.services.staff import notify_assigned, person_name
from livret.support.services.trail import locked, record_event
from livret.tenants.access import is_vendor, require_vendor

# What an assignment changes on the row: never a deadline.
_ASSIGNMENT_FIELDS = ["assignee", "team", "event_count", "last_event_hash"]


def team_for(offer_id: str) -> Team | None:
    """The team that takes requests on ``offer_id``: the first (by name) whose offers list
    names it, else the first with an empty list (it takes everything else), else none."""
    # Every filing asks (REQ-1): one plain SELECT, as the ORM would spend ten times longer
    # building the query than the database answering it (a twelfth of a filing's CPU).
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, slug, offers FROM support_team ORDER BY name")
        teams = [
            Team(
                pk=pk,
                name=name,
                slug=slug,
                offers=json.loads(offers) if isinstance(offers, str) else offers,
            )
            for pk, name, slug, offers in cursor.fetchall()
        ]
    for team in teams:
        if isinstance(team.offers, list) and offer_id in team.offers:
            return team
    return next((team for team in teams if not team.offers), None)


def team_event(
    request: Request, team: Team | None, actor: User | None, at: datetime
) -> RequestEvent:
    """Record the request's (new) team in its trail, for the vendor only."""
    data = {"team": team.slug if team else None, "name": team.name if team else ""}
    return record_event(request, "team-set", actor, at, data, visible_to_client=False)


def _require_staff(assignee: User | None) -> None:
    if assignee is None or not is_vendor(assignee):
        raise ServiceError(
            "invalid",
            "le technicien choisi doit être un membre actif du personnel de l'éditeur",
            field="assignee",
        )


def _open(request: Request) -> Request:
    """The request locked for the change; a closed or cancelled one is not worked any more."""
    request = locked(request)
    if not request.is_open:
        raise WrongState(
            "wrong-state", "impossible de changer l'attribution : la demande est close"
        )
    return request


@transaction.atomic
def assign(request: Request, assignee: User, by: User, *, at: datetime | None = None) -> Request:
    """Give the request to a technician (vendor staff, active); the same one again is a no-op."""
    require_vendor(by)
    _require_staff(assignee)
    at = at or timezone.now()
    request = _open(request)
    if request.assignee_id == assignee.pk:
        return request
    previous = request.assignee
    request.assignee = assignee
    data = {
        "assignee": person_name(assignee),
        "assignee_id": assignee.pk,
        "previous": person_name(previous) if previous else None,
    }
    record_event(request, "assigned", by, at, data, visible_to_client=False)
    request.save(update_fields=_ASSIGNMENT_FIELDS)
    notify_assigned(request, assignee, by, at=at)
    return request


def take(request: Request, technician: User, *, at: datetime | None = None) -> Request:
    """A technician assigns the request to themselves (from a colleague too)."""
    return assign(request, technician, technician, at=at)


@transaction.atomic
def unassign(request: Request, by: User, *, at: datetime | None = None) -> Request:
    """Nobody works the request any more: it goes back to its team (no-op if unassigned)."""
    require_vendor(by)
    at = at or timezone.now()
    request = _open(request)
    if request.assignee_id is None:
        return request
    previous = request.assignee
    request.assignee = None
    data = {"previous": person_name(previous)}
    record_event(request, "unassigned", by, at, data, visible_to_client=False)
    request.save(update_fields=_ASSIGNMENT_FIELDS)
    return request


@transaction.atomic
def set_team(
    request: Request, team: Team | None, by: User, *, at: datetime | None = None
) -> Request:
    """Move the request to another team (None: to no team); the same team again is a no-op."""
    require_vendor(by)
    if team is not None and not isinstance(team, Team):
        raise ServiceError("invalid", "équipe inconnue", field="team")
    at = at or timezone.now()
    request = _open(request)
    if request.team_id == (team.pk if team else None):
        return request
    request.team = team
    team_event(request, team, by, at)
    request.save(update_fields=_ASSIGNMENT_FIELDS)
    return request
