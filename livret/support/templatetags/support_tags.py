"""Template filters of the support pages."""

from django import template
from django.utils.translation import gettext_lazy as _

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
    "team-set": _("Équipe choisie"),
    "assigned": _("Demande attribuée"),
    "unassigned": _("Attribution retirée"),
}


@register.filter
def event_label(kind: str) -> str:
    """The French label of an audit-trail event kind."""
    return str(EVENT_LABELS.get(kind, kind))
