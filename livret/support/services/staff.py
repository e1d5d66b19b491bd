"""Who among the vendor's staff hears of what happens on a request (issue 12, notifications to
staff), and the notifications support sends them through ``livret.notifications``.

The rule, for every kind: the assignee, or the team's members while nobody is assigned, plus
the team's lead; the vendor's support leads stand in for a missing team or a team without an
active lead. The person who acted is never told of their own action.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator

from livret.notifications.services import notify
from livret.support.models import Request, Team
from livret.tenants.access import display_name
from livret.tenants.models import Role

# Vendor staff: a vendor role (no client), or a superuser (livret.tenants.access.is_vendor).
_VENDOR = Q(membership__isnull=False, membership__client__isnull=True) | Q(is_superuser=True)


def staff_to_tell(request: Request, exclude: User | None = None) -> list[User]:
    """The active vendor staff to tell about ``request``, each once, in that order: the
    assignee (else the team's members), then the team's lead (else the vendor's support
    leads); without ``exclude``, the person who acted.

    One query without a team (the filing path), three with one.
    """
    team = (
        Team.objects.select_related("lead").filter(pk=request.team_id).first()
        if request.team_id
        else None
    )
    first: list[int] = []
    if request.assignee_id:
        first = [request.assignee_id]
    elif team is not None:
        first = list(team.members.order_by("pk").values_list("pk", flat=True))
    lead = team.lead if team is not None and team.lead and team.lead.is_active else None
    wanted = (
        Q(pk__in=[*first, lead.pk]) if lead else Q(pk__in=first) | Q(membership__role=Role.LEAD)
    )
    found = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(_VENDOR, wanted, is_active=True)
        .select_related("membership")
        .order_by("pk")
    }
    leads = [lead.pk] if lead else [pk for pk, u in found.items() if _is_lead(u)]
    skip = exclude.pk if exclude is not None else None
    ordered = dict.fromkeys(pk for pk in first + leads if pk in found and pk != skip)
    return [found[pk] for pk in ordered]


def _is_lead(user: User) -> bool:
    member = getattr(user, "membership", None)
    return member is not None and member.role == Role.LEAD


def person_name(user: User | None) -> str:
    """A person as staff read them (:func:`livret.tenants.access.display_name`: full name, else
    address, never the login); "livret" for the system."""
    return display_name(user) if user is not None else "livret"


def tell_staff(
    request: Request,
    kind: str,
    title: str,
    body: str,
    *,
    actor: User | None = None,
    at: datetime | None = None,
) -> None:
    """Notify the staff of ``request`` (:func:`staff_to_tell`) of one event (``kind``: one of
    ``livret.notifications.models.Kind``), signed with the vendor of the request's offer."""
    notify(
        staff_to_tell(request, exclude=actor),
        kind,
        title,
        body,
        reverse("request-detail", args=[request.number]),
        request.number,
        vendor=request.contract.offer_version.vendor,
        at=at,
    )


def excerpt(text: str) -> str:
    """The start of a message, for a notification (the request page shows it whole)."""
    return Truncator(" ".join(text.split())).chars(300)


def notify_new_request(request: Request, *, actor: User | None = None) -> None:
    """A new request reached the desk (any channel); ``actor`` is the technician who recorded
    it (a phone call), who is not told."""
    tell_staff(
        request,
        "new-request",
        f"Nouvelle demande : {request.title}",
        f"{request.client.name} a déposé la demande {request.number} "
        f"({request.get_kind_display()}, priorité {request.get_priority_display().lower()}) :"
        f" « {request.title} ».",
        actor=actor,
        at=request.registered_at,
    )


def notify_client_reply(request: Request, author: User, text: str, at: datetime) -> None:
    """The client wrote on the request (a message, or the answer the support waited for)."""
    tell_staff(
        request,
        "client-reply",
        f"Nouveau message du client : {request.title}",
        f"{person_name(author)} ({request.client.name}) a écrit sur la demande {request.number} :\n"
        f"« {excerpt(text)} »",
        actor=author,
        at=at,
    )


def notify_assigned(
    request: Request, assignee: User, by: User | None, *, at: datetime | None = None
) -> None:
    """``request`` now belongs to ``assignee``: they are told unless they took it themselves,
    and so is the lead (unless the lead assigned it). Call it once ``request.assignee`` is set."""
    by_whom = f" par {person_name(by)}" if by is not None and by.pk != assignee.pk else ""
    tell_staff(
        request,
        "assigned",
        f"Attribuée à {person_name(assignee)} : {request.title}",
        f"La demande {request.number} « {request.title} » ({request.client.name}) est "
        f"attribuée à {person_name(assignee)}{by_whom}.",
        actor=by,
        at=at,
    )
