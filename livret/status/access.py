"""The only ways to reach services and their availability (tenancy by construction).

Vendor staff see every service; a client's people (administrators and users alike) see the
services of their organisation's contracts; anyone else sees none. Another client's service
answers "not found", never "forbidden", so an identifier reveals nothing (ACC-3).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from livret.status.models import Incident, IncidentStatus, Service
from livret.tenants.access import Person, is_vendor, membership


def visible_services(user: Person) -> QuerySet[Service]:
    """The services this user may see (with contract, client and offer version loaded)."""
    services = Service.objects.select_related("contract__client", "contract__offer_version")
    if not user.is_authenticated or not user.is_active:
        return services.none()
    if is_vendor(user):
        return services
    member = membership(user)
    if member is None or member.client_id is None:
        return services.none()
    return services.filter(contract__client_id=member.client_id)


def access_service(user: Person, pk: int) -> Service:
    """A service by its id, if this user may see it; Http404 otherwise."""
    try:
        return visible_services(user).get(pk=pk)
    except Service.DoesNotExist:
        raise Http404("Aucun service de ce numéro.") from None


def shown_incidents(user: Person, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """The incidents of ``incidents`` this user may read: vendor staff all of them, a client's
    people never a draft (a probe's guess the vendor has not confirmed, issue 12)."""
    if is_vendor(user):
        return incidents
    return incidents.exclude(status=IncidentStatus.DRAFT)
