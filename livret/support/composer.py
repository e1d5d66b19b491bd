"""One composer per side of a request (issue 12): one text, maybe files, one submit.

The client writes; while the support waits for it the text is the answer (REQ-6b: the paused
clocks resume), otherwise a message. The technician writes and picks the action. The picker
offers what the request's state allows, but the services stay the judge: an action sent from a
stale page is refused with their message (``WrongState``). Files sent with a text are stored
at the same instant, so the thread shows them in that message (``livret.support.thread``).
Canned responses are filled in here, server-side, so the page's script only inserts text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from livret.errors import ServiceError
from livret.support import services
from livret.support.models import CannedResponse, CommentKind, Request, State
from livret.tenants.access import Person, is_vendor


@dataclass(frozen=True)
class Action:
    """A choice of the technician's picker."""

    value: str
    label: Any
    done: Any  # the message once done


ACTIONS = {
    a.value: a
    for a in (
        Action("message", _("Répondre au client"), _("Message envoyé au client.")),
        Action(
            "question",
            _("Demander une information (suspend les délais)"),
            _("Question envoyée : délais suspendus."),
        ),
        Action("plan", _("Fournir le plan d'action corrective"), _("Plan d'action envoyé.")),
        Action("correction", _("Livrer une correction"), _("Livraison envoyée au client.")),
        Action(
            "contournement",
            _("Livrer une solution de contournement"),
            _("Livraison envoyée au client."),
        ),
        Action("note", _("Note interne (invisible du client)"), _("Note interne ajoutée.")),
        Action("appel", _("Note d'appel téléphonique"), _("Note d'appel ajoutée.")),
        Action("cloture", _("Clôturer la demande (motif)"), _("Demande clôturée.")),
    )
}
ASKABLE = (State.TAKEN_IN_CHARGE, State.QUALIFIED, State.ACTION_PLAN_DELIVERED, State.REOPENED)
DELIVERABLE = (State.QUALIFIED, State.ACTION_PLAN_DELIVERED)


def technician_actions(item: Request) -> list[Action]:
    """The picker's choices in the request's state (the same states the services accept)."""
    allowed = ["message"]
    if item.state in ASKABLE:
        allowed.append("question")
    if item.state == State.QUALIFIED and item.criticity == 1:
        allowed.append("plan")
    if item.state in DELIVERABLE:
        allowed += ["correction", "contournement"]
    allowed += ["note", "appel"]
    if item.is_open:
        allowed.append("cloture")
    return [ACTIONS[value] for value in allowed]


def client_answers_now(item: Request) -> bool:
    """The client's text is the answer the support waits for (REQ-6b)."""
    return item.state == State.WAITING_FOR_CLIENT


def _check_files(files: Sequence[tuple[str, bytes]]) -> None:
    """Refuse an empty or too large file before anything is written (all or nothing)."""
    limit = services.max_attachment_bytes()
    for name, content in files:
        if not content:
            raise ServiceError("invalid", f"« {name} » : le fichier est vide", field="files")
        if len(content) > limit:
            raise ServiceError(
                "too-large",
                f"« {name} » : le fichier dépasse {limit // (1024 * 1024)} Mo",
                field="files",
            )


def _technician_step(
    item: Request, user: Person, action: str, text: str, at: datetime
) -> Callable[[], object] | None:
    """The service call of the technician's action (None: files only, no text to send)."""
    steps: dict[str, Callable[[], object]] = {
        "message": lambda: services.comment(item, user, text, at=at),
        "question": lambda: services.ask_client(item, user, text, at=at),
        "plan": lambda: services.deliver_action_plan(item, user, text, at=at),
        "correction": lambda: services.deliver_fix(item, user, text, at=at),
        "contournement": lambda: services.deliver_fix(item, user, text, workaround=True, at=at),
        "note": lambda: services.comment(item, user, text, internal=True, at=at),
        "appel": lambda: services.comment(item, user, text, kind=CommentKind.PHONE_CALL, at=at),
        "cloture": lambda: services.close(item, user, text, at=at),
    }
    if action not in steps:
        raise ServiceError("invalid", f"action inconnue « {action} »", field="action")
    if action == "message" and not text:
        return None
    return steps[action]


def submit(
    item: Request,
    user: Person,
    text: str,
    files: Sequence[tuple[str, bytes]] = (),
    *,
    action: str = "message",
    at: datetime | None = None,
) -> str:
    """Send one composer submit, all or nothing; returns what the page says once done.

    ``action`` is read for vendor staff only (the picker); a client's text is its answer while
    the support waits for it, else a message.
    """
    text = text.strip()
    at = at or timezone.now()
    _check_files(files)
    vendor = is_vendor(user)
    if vendor:
        if action == "note" and files:
            raise ServiceError(
                "invalid",
                "une pièce jointe est toujours visible du client : envoyez-la avec un "
                "message, pas avec une note interne",
                field="files",
            )
        step = _technician_step(item, user, action, text, at)
        done = str(ACTIONS[action].done)
    elif text:
        answering = client_answers_now(item)
        step = (
            (lambda: services.client_answers(item, user, text, at=at))
            if answering
            else (lambda: services.comment(item, user, text, at=at))
        )
        done = (
            gettext("Réponse envoyée : les délais reprennent.")
            if answering
            else gettext("Message envoyé au support.")
        )
    else:
        step, done = None, ""
    if step is None and not files:
        raise ServiceError("invalid", "écrivez un message ou joignez un fichier", field="text")
    with transaction.atomic():
        if step is not None:
            step()
        for name, content in files:
            services.add_attachment(item, user, name, content, at=at)
    return done if step is not None else gettext("Pièce jointe ajoutée.")


# --------------------------------------------------------------------------- canned responses

VARIABLE = re.compile(r"\{(client|nom|numero|echeance)\}")


def fill(body: str, values: dict[str, str]) -> str:
    """A canned response's text with its variables replaced; any other brace is left as is
    (no ``str.format``: a text written in the admin never reaches an attribute)."""
    return VARIABLE.sub(lambda match: values[match.group(1)], body)


def canned_responses(item: Request, values: dict[str, str]) -> list[tuple[str, str]]:
    """(title, filled text) of the canned responses of the request's team and of every team."""
    rows = CannedResponse.objects.filter(Q(team__isnull=True) | Q(team_id=item.team_id))
    return [(c.title, fill(c.body, values)) for c in rows.order_by("title", "pk")]
