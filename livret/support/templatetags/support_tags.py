"""Template filters of the support pages."""

from datetime import datetime

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from livret.core.deadline_text import say_deadline
from livret.support.thread import Message, person_name

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


@register.simple_tag
def thread_items(thread: list[Message]) -> str:
    """The thread's ``<li>`` items, every text escaped. Built here rather than by a template
    loop: the engine costs about a millisecond an item, and a request page may hold hundreds
    (issue 12: p95 under 150 ms with 200 items)."""
    support_badge = f' <span class="badge support">{escape(gettext("Support"))}</span>'
    support_suffix = f" ({escape(gettext('support'))})"
    internal = escape(gettext("Note interne : invisible du client"))
    internal_badge = f' <span class="badge internal">{internal}</span>'
    files_label = escape(gettext("Pièces jointes du message"))
    download = reverse("attachment", args=[0]).removesuffix("0/")  # once, not once per file
    items = []
    for m in thread:
        when = f'<time datetime="{m.iso}">{m.when}</time>'
        author, label = escape(m.author), escape(m.label)
        if m.line:
            suffix = support_suffix if m.support else ""
            items.append(
                f'<li class="{m.css} line"><span class="what">{label}</span> — {author}{suffix}'
                f" · {when}</li>"
            )
            continue
        parts = [
            f'<li class="{m.css}"><article><header class="msg-head"><strong class="author">'
            f"{author}</strong>{support_badge if m.support else ''} · "
            f'<span class="what">{label}</span> · {when}'
            f"{internal_badge if m.internal else ''}</header>"
        ]
        if m.text:
            parts.append(f'<p class="pre body">{escape(m.text)}</p>')
        for title, text, pre in m.details:
            tag = "pre" if pre else 'p class="pre"'
            parts.append(f"<h3>{escape(title)}</h3><{tag}>{escape(text)}</{tag[:3].strip()}>")
        if m.attachments:
            files = "".join(
                f'<li><a href="{download}{a.pk}/">{escape(a.filename)}</a>'
                f' <span class="muted">({filesizeformat(a.size)})</span></li>'
                for a in m.attachments
            )
            parts.append(f'<ul class="files" aria-label="{files_label}">{files}</ul>')
        parts.append("</article></li>")
        items.append("".join(parts))
    # Safe: every text above went through escape(); the rest is this function's markup.
    return mark_safe("\n".join(items))  # noqa: S308
