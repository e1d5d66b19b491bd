"""Template filters of the support pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from livret.core.deadline_text import say_deadline
from livret.support.thread import person_name

register = template.Library()

EVENT_LABELS = {
    "registered": _("Demande enregistrée"),
    "eligibility-flagged": _("Réserves d'éligibilité relevées"),
    "phone-call": _("Appel téléphonique"),
    "taken-in-charge": _("Prise en charge"),
    "priority-set": _("Priorité modifiée"),
    "qualified": _("Qualification"),
    "action-plan-delivered": _("Plan d'action fourni"),
    "fix-delivered": _("Correction livrée"),
    "waiting-for-client": _("Information demandée au client"),
    "client-answered": _("Réponse du client"),
    "validated": _("Livraison validée"),
    "rejected": _("Livraison refusée"),
    "reopened": _("Demande rouverte"),
    "closed": _("Demande clôturée"),
    "cancelled": _("Demande annulée"),
    "comment": _("Message"),
    "attachment": _("Pièce jointe ajoutée"),
    "remote-session": _("Téléassistance programmée"),
    "billable-proposal": _("Proposition de prestation payante"),
    "sla-warning": _("Alerte : 75 % du délai consommé"),
    "sla-breach": _("Alerte : délai dépassé"),
}


@register.filter
def event_label(kind: str) -> str:
    """The French label of an audit-trail event kind."""
    return str(EVENT_LABELS.get(kind, kind))


@register.simple_tag(takes_context=True)
def deadline(context: template.Context, due: datetime | None) -> str:
    """A deadline as a person says it ("fin de journée le jeudi 10/12"), in the zone and on
    the day of the page's ``zone`` and ``now`` (issue 12; the API keeps the instant)."""
    if due is None:
        return ""
    now = context.get("now") or timezone.now()
    zone = context.get("zone") or timezone.get_current_timezone()
    return say_deadline(due, now.astimezone(zone))


@register.filter
def person(user: object, organisation: str = "") -> str:
    """A person's full name, never the login (``livret.support.thread.person_name``)."""
    return person_name(user, organisation)
