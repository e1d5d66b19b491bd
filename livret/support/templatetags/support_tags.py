"""Template filters of the support pages."""

from django import template

register = template.Library()

EVENT_LABELS = {
    "registered": "Demande enregistrée",
    "eligibility-flagged": "Réserves d'éligibilité relevées",
    "phone-call": "Appel téléphonique",
    "taken-in-charge": "Prise en charge",
    "priority-set": "Priorité modifiée",
    "qualified": "Qualification",
    "action-plan-delivered": "Plan d'action fourni",
    "fix-delivered": "Correction livrée",
    "waiting-for-client": "Information demandée au client",
    "client-answered": "Réponse du client",
    "validated": "Livraison validée",
    "rejected": "Livraison refusée",
    "reopened": "Demande rouverte",
    "closed": "Demande clôturée",
    "cancelled": "Demande annulée",
    "comment": "Message",
    "attachment": "Pièce jointe ajoutée",
    "remote-session": "Téléassistance programmée",
    "billable-proposal": "Proposition de prestation payante",
    "sla-warning": "Alerte : 75 % du délai consommé",
    "sla-breach": "Alerte : délai dépassé",
}


@register.filter
def event_label(kind: str) -> str:
    """The French label of an audit-trail event kind."""
    return EVENT_LABELS.get(kind, kind)
