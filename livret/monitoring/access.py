"""The only ways to reach sites, servers and alerts (tenancy by construction).

A client's logins see their own organisation's sites, servers and alerts; vendor staff see
all. Anything else is "not found", never "forbidden", so an id of another client reveals
nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from livret.monitoring.models import MonitoringAlert, PreventiveVisit, Site
from livret.tenants.access import Person, is_vendor, membership


def _client_id(user: Person) -> int | None:
    if not user.is_authenticated or not user.is_active:
        return None
    member = membership(user)
    return member.client_id if member is not None else None


def visible_sites(user: Person) -> QuerySet[Site]:
    """The sites this user may see."""
    sites = Site.objects.select_related("client", "contract__offer_version")
    if is_vendor(user):
        return sites
    client_id = _client_id(user)
    return sites.filter(client_id=client_id) if client_id else sites.none()


def access_site(user: Person, pk: int) -> Site:
    """A site by id, if this user may see it; Http404 otherwise."""
    try:
        return visible_sites(user).get(pk=pk)
    except Site.DoesNotExist:
        raise Http404("Aucun site de ce numéro.") from None


def visible_alerts(user: Person) -> QuerySet[MonitoringAlert]:
    """The alerts this user may see (those of the servers of their sites)."""
    alerts = MonitoringAlert.objects.select_related("server__site__client", "request")
    if is_vendor(user):
        return alerts
    client_id = _client_id(user)
    return alerts.filter(server__site__client_id=client_id) if client_id else alerts.none()


def access_alert(user: Person, pk: int) -> MonitoringAlert:
    """An alert by id, if this user may see it; Http404 otherwise."""
    try:
        return visible_alerts(user).get(pk=pk)
    except MonitoringAlert.DoesNotExist:
        raise Http404("Aucune alerte de ce numéro.") from None


def access_visit(user: Person, site: Site, pk: int) -> PreventiveVisit:
    """A visit of a site the user may see; Http404 otherwise."""
    try:
        return PreventiveVisit.objects.get(pk=pk, site__in=visible_sites(user).filter(pk=site.pk))
    except PreventiveVisit.DoesNotExist:
        raise Http404("Aucune visite de ce numéro.") from None
