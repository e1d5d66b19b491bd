"""What the request page shows (issue 12): the thread, the composer of the reader's side, and
the side pane (state, client and contract, people, attachments).

A constant number of queries whatever the thread's length: the events with their actors, the
comments, the attachments, the proposal, the offer version and the canned responses, once each
(``tests/support/test_request_page.py`` counts them). The trail's hashes are not read, and the
actors are read once each rather than joined to every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from livret.core.deadline_text import say_deadline
from livret.support import composer, services
from livret.support.forms import (
    AssignForm,
    ProposalForm,
    QualifyForm,
    RemoteSessionForm,
    TeamForm,
)
from livret.support.models import (
    BillableProposal,
    Comment,
    Priority,
    Request,
    State,
)
from livret.support.thread import TrailEvent, build_thread, person_name


def history(item: Request) -> list[TrailEvent]:
    """The whole trail, in one query (the clocks and the thread read it)."""
    rows = item.events.order_by("seq").values_list(*TrailEvent.__slots__)
    return [TrailEvent(*row) for row in rows]


@dataclass(frozen=True)
class FileRow:
    """An attachment as the side pane lists it."""

    url: str
    filename: str
    size: int
    by: str
    when: str


def people_of(events: list[TrailEvent]) -> dict[int, Any]:
    """The people who acted, with their memberships: one query for a handful of rows."""
    ids = {e.actor_id for e in events if e.actor_id}
    users = get_user_model().objects.filter(pk__in=ids).select_related("membership")
    return {u.pk: u for u in users}


def deadline_zone(item: Request) -> tzinfo:
    """The zone deadlines are said in: the support calendar's (CAL-3), else the site's."""
    if services.has_sla(item):
        return services.policy(item.contract).calendar.zone
    return timezone.get_current_timezone()


def _contract_facts(item: Request) -> dict[str, Any]:
    """The contract as the side pane says it: offer, formula, priority line, eligibility."""
    contract = item.contract
    version = contract.offer_version
    formula = version.offer.formulas.get(contract.formula)
    versions = ""
    if contract.product_major_version is not None:
        versions = str(contract.product_major_version)
        if contract.latest_major_version is not None:
            versions += gettext(" (dernière : %(v)s)") % {"v": contract.latest_major_version}
    return {
        "offer": version.name,
        "formula": formula.label if formula else contract.formula,
        "priority_line": item.priority_line,
        "users_trained": contract.users_trained,
        "remote_assistance": contract.remote_assistance,
        "product_version": versions,
    }


def _waiting_question(events: list[TrailEvent]) -> str:
    """The question the support waits an answer to (the last one asked)."""
    for event in reversed(events):
        if event.kind == "waiting-for-client":
            return str((event.data or {}).get("question", ""))
    return ""


def page_context(
    item: Request, user: Any, vendor: bool, now: datetime, events: list[TrailEvent]
) -> dict[str, Any]:
    """Everything the request page shows but its clocks (the view adds them)."""
    zone = deadline_zone(item)
    shown = events if vendor else [e for e in events if e.visible_to_client]
    comments = Comment.objects.filter(request=item)
    if not vendor:
        comments = comments.filter(internal=False)
    fields = ("request_id", "filename", "size", "uploaded_by_id", "created_at")
    attachments = item.attachments.only(*fields)  # request_id: set by the related manager
    people = people_of(shown)  # the uploaders too: each attachment has its event
    proposal = None
    if any(e.kind == "billable-proposal" for e in shown):
        proposal = BillableProposal.objects.filter(request=item).first()
    thread = build_thread(
        item,
        shown,
        comments=comments.only("kind", "body", "internal").in_bulk(),
        attachments={a.pk: a for a in attachments},
        people=people,
        proposal=proposal,
        vendor=vendor,
        zone=zone,
    )
    local_now = now.astimezone(zone)
    download = reverse("attachment", args=[0]).removesuffix("0/")  # once, not once per file
    next_deadline = say_deadline(item.next_deadline_at, local_now) if item.next_deadline_at else ""
    context: dict[str, Any] = {
        "item": item,
        "vendor": vendor,
        "now": now,
        "zone": zone,
        "thread": thread,
        "attachments": [
            FileRow(
                f"{download}{a.pk}/",
                a.filename,
                a.size,
                person_name(people.get(a.uploaded_by_id), item.client.name),
                f"{a.created_at.astimezone(zone):%d/%m/%Y %H:%M}",
            )
            for a in attachments
        ],
        "next_deadline": next_deadline,
        "filer_name": person_name(item.filer, item.client.name),
        "assignee_name": person_name(item.assignee) if item.assignee else "",
        "contract_facts": _contract_facts(item),
        "State": State,
    }
    if vendor:
        values = {
            "client": item.client.name,
            "nom": context["filer_name"],
            "numero": item.number or "",
            "echeance": next_deadline or gettext("sans échéance"),
        }
        context.update(
            actions=composer.technician_actions(item),
            canned=composer.canned_responses(item, values),
            priorities=Priority.choices,
            qualify_form=QualifyForm(initial={"criticity": item.criticity}),
            remote_form=RemoteSessionForm(),
            proposal_form=ProposalForm(),
            assign_form=AssignForm(initial={"assignee": item.assignee_id or ""}),
            team_form=TeamForm(initial={"team": item.team_id or ""}),
        )
    else:
        context.update(
            answering=composer.client_answers_now(item),
            question=_waiting_question(shown),
        )
    return context
