"""The only ways to reach requests (tenancy by construction, DESIGN).

A client administrator sees every request of its organisation, a client user the ones they
filed; vendor staff see all. Anything else is "not found" — never "forbidden" — so a request
number of another client reveals nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from livret.support.models import Attachment, Request
from livret.tenants.access import Person, is_vendor, membership
from livret.tenants.models import Contract, Role


def visible_requests(user: Person) -> QuerySet[Request]:
    """The requests this user may see."""
    requests = Request.objects.select_related("client", "contract", "filer", "assignee")
    if not user.is_authenticated or not user.is_active:
        return requests.none()
    if is_vendor(user):
        return requests
    member = membership(user)
    if member is None or member.client_id is None:
        return requests.none()
    mine = requests.filter(client_id=member.client_id)
    return mine if member.role == Role.CLIENT_ADMIN else mine.filter(filer=user)


def access_request(user: Person, number: str) -> Request:
    """A request by its number, if this user may see it; Http404 otherwise."""
    try:
        return visible_requests(user).get(number=number)
    except Request.DoesNotExist:
        raise Http404("Aucune demande de ce numéro.") from None


def access_attachment(user: Person, attachment_id: int) -> Attachment:
    """An attachment of a request the user may see; Http404 otherwise."""
    visible = visible_requests(user).values("pk")
    try:
        return Attachment.objects.select_related("request").get(
            pk=attachment_id, request__in=visible
        )
    except Attachment.DoesNotExist:
        raise Http404("Aucune pièce jointe de ce numéro.") from None


def visible_contracts(user: Person) -> QuerySet[Contract]:
    """Contracts the user may file requests or read reports for."""
    contracts = Contract.objects.select_related("client", "offer_version")
    if is_vendor(user):
        return contracts
    member = membership(user)
    if member is None or member.client_id is None:
        return contracts.none()
    return contracts.filter(client_id=member.client_id)


def access_contract(user: Person, contract_id: int) -> Contract:
    """A contract the user may act on; Http404 otherwise."""
    try:
        return visible_contracts(user).get(pk=contract_id)
    except Contract.DoesNotExist:
        raise Http404("Aucun contrat de ce numéro.") from None
