"""Filing a request (SPEC REQ-1, REQ-2, REQ-8) and storing its attachments."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.core.filetypes import sniff_content_type
from livret.errors import NotAllowed, ServiceError
from livret.support.models import Attachment, Kind, Request, RequestEvent
from livret.support.services.assignment import team_for
from livret.support.services.clocks import policy, recompute, save_with_deadlines
from livret.support.services.trail import locked, mail_about, record_event, require_client_of
from livret.tenants.access import membership, require_vendor
from livret.tenants.models import Contract
from livret.text import refuse_control_characters


@dataclass(frozen=True)
class NewRequest:
    """What a filer gives (REQ-2)."""

    kind: str
    title: str
    description: str
    context: str = ""
    error_messages: str = ""
    menu_path: str = ""
    priority: str = "moderate"


def eligibility_issues(contract: Contract) -> list[dict[str, str]]:
    """REQ-8: the offer's support conditions this contract does not meet (flagged, not refused)."""
    support = contract.offer_version.offer.support
    issues: list[dict[str, str]] = []
    for rule in support.eligibility if support else []:
        failed = (
            (rule.id == "users-trained" and not contract.users_trained)
            or (rule.id == "remote-assistance" and not contract.remote_assistance)
            or (
                rule.id == "supported-version"
                and rule.latest_major_versions is not None
                and contract.product_major_version is not None
                and contract.latest_major_version is not None
                and contract.latest_major_version - contract.product_major_version
                >= rule.latest_major_versions
            )
        )
        if failed:
            issues.append({"rule": rule.id, "label": rule.label, "source": rule.source})
    return issues


def _validate_new(new: NewRequest) -> None:
    if new.kind not in Kind.values:
        raise ServiceError("invalid", f"type inconnu « {new.kind} »", field="kind")
    if not new.title.strip():
        raise ServiceError("invalid", "l'objet est obligatoire", field="title")
    if len(new.title) > 200:
        raise ServiceError("invalid", "l'objet dépasse 200 caractères", field="title")
    if not new.description.strip():
        raise ServiceError("invalid", "la description est obligatoire", field="description")
    # Issue 13: no control character (they break feeds and PostgreSQL refuses NUL).
    refuse_control_characters(new.title.strip(), "title", "l'objet", multiline=False)
    refuse_control_characters(new.menu_path, "menu_path", "le menu", multiline=False)
    for field, label, text in (
        ("description", "la description", new.description),
        ("context", "le contexte", new.context),
        ("error_messages", "les messages d'erreur", new.error_messages),
    ):
        refuse_control_characters(text, field, label, multiline=True)
    if new.priority not in ("critical", "high", "moderate"):
        raise ServiceError("invalid", f"priorité inconnue « {new.priority} »", field="priority")


def file_request(
    *,
    filer: User,
    contract: Contract,
    new: NewRequest,
    channel: str = "portal",
    at: datetime | None = None,
    recorded_by: Any = None,
    filer_email: str = "",
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Request:
    """REQ-1: register a request, acknowledge it by mail, start its clocks, route it to the
    team that takes its offer (:func:`team_for`; the registered event names it).

    REQ-2: ``attachments`` (file name, bytes) are stored with it in the same transaction, all
    or nothing: every file is checked first, and a refused one files nothing.
    """
    at = at or timezone.now()
    _validate_new(new)
    for filename, content in attachments:
        refused = _refusal(content)
        if refused is not None:
            code, why = refused
            message = f"« {_stored_name(filename)} » : {why}"
            raise ServiceError(code, message, field="attachments")
    member = membership(filer)
    if not (member and member.client_id == contract.client_id):
        raise NotAllowed("not-your-contract", "ce contrat n'est pas celui de votre organisation")
    # Everything read-only happens before the write transaction: on SQLite that transaction
    # holds the database's single write lock, so it must be short.
    formula = contract.offer_version.offer.formulas[contract.formula]
    issues = eligibility_issues(contract)
    policy(contract)  # warm the per-process cache outside the lock
    team = team_for(contract.offer_version.offer_id)
    with transaction.atomic():
        request = Request.objects.create(
            client_id=contract.client_id,
            contract=contract,
            kind=new.kind,
            channel=channel,
            title=new.title.strip(),
            description=new.description,
            context=new.context,
            error_messages=new.error_messages,
            menu_path=new.menu_path,
            priority=new.priority,
            filer=filer,
            filer_email=filer_email or filer.email,
            priority_line=formula.priority_line,
            eligibility_issues=issues,
            billable=new.kind == Kind.OUT_OF_SCOPE,
            registered_at=at,
            team=team,
        )
        request.number = f"DEM-{at.year}-{request.pk:06d}"
        registered = {"priority": new.priority, "kind": new.kind, "channel": channel}
        if team is not None:  # in the same event: a second one would cost a filing 15 % more
            registered["team"] = team.slug
        events = [record_event(request, "registered", recorded_by or filer, at, registered)]
        if issues:
            events.append(
                record_event(request, "eligibility-flagged", None, at, {"issues": issues})
            )
        events += [_store(request, filer, name, content, at)[1] for name, content in attachments]
        recompute(request, at, events, new=True)
        request.save()
        due = request.pickup_due_at
        promise = (
            f"Délai de prise en charge : au plus tard le "
            f"{timezone.localtime(due):%d/%m/%Y à %H:%M}."
            if due
            else "Cette demande n'entre pas dans les engagements de délai de prise en charge."
        )
        mail_about(
            request,
            "acknowledgement",
            f"Accusé de réception : {request.title}",
            f"Votre demande {request.number} a été enregistrée le "
            f"{timezone.localtime(at):%d/%m/%Y à %H:%M}.\n{promise}",
        )
        # The staff hear of it from the worker (``support.jobs.tell_staff_of_new_requests``,
        # within seconds): ``staff_told_at`` stays empty until then, so a filing costs no more
        # than before and a crash between the two loses no notification.
    return request


@transaction.atomic
def record_phone_request(
    *,
    technician: User,
    contract: Contract,
    filer: User,
    new: NewRequest,
    portal_request: Request | None = None,
    at: datetime | None = None,
) -> Request:
    """REQ-1: a call taken by a technician. Q: the call needs a portal request first."""
    require_vendor(technician)
    at = at or timezone.now()
    support = contract.offer_version.offer.support
    if portal_request is not None:
        if portal_request.contract_id != contract.pk:
            raise ServiceError(
                "invalid", "cette demande n'est pas de ce contrat", field="portal_request"
            )
        request = locked(portal_request)
        record_event(request, "phone-call", technician, at, {"summary": new.description})
        save_with_deadlines(request, at)
        return request
    if support and support.phone_requires_portal_request:
        raise ServiceError(
            "portal-request-required",
            "la création préalable de la demande depuis l'espace client est nécessaire pour "
            f"accéder au Support par téléphone ({support.source})",
            field="portal_request",
        )
    return file_request(
        filer=filer, contract=contract, new=new, channel="phone", at=at, recorded_by=technician
    )


def max_attachment_bytes() -> int:
    """The largest attachment accepted (``LIVRET_MAX_ATTACHMENT_MB``, parsed in settings)."""
    return int(settings.MAX_ATTACHMENT_BYTES)


def attachment_path(attachment: Attachment) -> Path:
    """Where the bytes live: under LIVRET_DATA_DIR/uploads, never under a web root."""
    key = attachment.storage_key
    return Path(settings.UPLOADS_DIR) / key[:2] / key


@transaction.atomic
def add_attachment(
    request: Request, user: User, filename: str, content: bytes, *, at: datetime | None = None
) -> Attachment:
    """REQ-2: attach a file to a filed request (type sniffed from its bytes)."""
    require_client_of(user, request)
    refused = _refusal(content)
    if refused is not None:
        raise ServiceError(*refused, field="file")
    at = at or timezone.now()
    request = locked(request)
    attachment, _ = _store(request, user, filename, content, at)
    save_with_deadlines(request, at)
    return attachment


def _refusal(content: bytes) -> tuple[str, str] | None:
    """Why a file cannot be attached (REQ-2), as (code, message); None if it can."""
    if not content:
        return "invalid", "le fichier est vide"
    if len(content) > max_attachment_bytes():
        return "too-large", f"le fichier dépasse {max_attachment_bytes() // (1024 * 1024)} Mo"
    return None


def _stored_name(filename: str) -> str:
    return Path(filename or "fichier").name[:255] or "fichier"


def _store(
    request: Request, user: User, filename: str, content: bytes, at: datetime
) -> tuple[Attachment, RequestEvent]:
    """Write the file, then its row and its event (the request is saved by the caller)."""
    name = _stored_name(filename)
    attachment = Attachment(
        request=request,
        uploaded_by=user,
        filename=name,
        content_type=sniff_content_type(content),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    path = attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(content)
    os.replace(temporary, path)  # a crash leaves an orphan file at worst, never a lost one
    attachment.save()
    event = record_event(
        request,
        "attachment",
        user,
        at,
        {"attachment": attachment.pk, "filename": name, "size": len(content)},
    )
    return attachment, event
