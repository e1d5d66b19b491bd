"""A request's conversation, built from what is already stored (issue 12).

Nothing new is stored for the thread: the filer's description is the first message, and every
other message comes from the audit trail (REQ-11), whose events carry their texts (the
question of REQ-6b, the client's answer, the action plan and the fix of REQ-6, the reasons of a
refusal, a reopening or a closing, a phone call's summary, a remote session of REQ-10, a paid
proposal of REQ-3) or point to a :class:`Comment` (free messages, phone-call notes, internal
notes). State-only events (taken in charge, qualified, priority set …) become one-line items.

An attachment belongs to the message it came with: filed with the request, or recorded by the
same person at the same instant as a text (the composer and the mail gate give both the same
instant); any other attachment is its own "pièce jointe" item.

:func:`build_thread` does no database query: the caller loads the events, the people who
acted (with their memberships), the comments, the attachments and the proposal once each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from livret.core.deadline_text import WEEKDAYS
from livret.support.models import (
    Attachment,
    BillableProposal,
    Comment,
    CommentKind,
    Criticity,
    Priority,
    Request,
)

# Labels are marked here and translated once per page (``_Builder.say``): a page has hundreds.
# Events whose text is a message: kind of the message, its label, the key of its text.
TEXT_EVENTS: dict[str, tuple[str, str, str]] = {
    "waiting-for-client": ("question", N_("Question du support"), "question"),
    "client-answered": ("answer", N_("Réponse du client"), "text"),
    "action-plan-delivered": ("action-plan", N_("Plan d'action corrective"), "text"),
    "rejected": ("rejected", N_("Livraison refusée"), "reason"),
    "reopened": ("reopened", N_("Demande rouverte"), "reason"),
    "closed": ("closed", N_("Demande clôturée"), "reason"),
    "cancelled": ("cancelled", N_("Demande annulée"), "reason"),
    "phone-call": ("phone-call", N_("Appel téléphonique"), "summary"),
}

# Events that only change a state: one line each.
LINE_EVENTS: dict[str, str] = {
    "taken-in-charge": N_("Prise en charge"),
    "priority-set": N_("Priorité modifiée"),
    "qualified": N_("Demande qualifiée"),
    "validated": N_("Livraison validée : demande clôturée"),
    "eligibility-flagged": N_("Réserves d'éligibilité relevées au dépôt"),
    "sla-warning": N_("Alerte : 75 % d'un délai consommé"),
    "sla-breach": N_("Alerte : délai dépassé"),
    "mail-received": N_("Message reçu par e-mail"),
    "mail-attachment-refused": N_("Pièce jointe d'un e-mail refusée"),
}

COMMENT_LABELS = {
    CommentKind.REPLY: N_("Message"),
    CommentKind.PHONE_CALL: N_("Note d'appel téléphonique"),
}


@dataclass(slots=True)
class TrailEvent:
    """What the clocks and the thread read of a trail event (not its hashes): a page reads
    hundreds, and plain rows cost half of model instances."""

    seq: int
    at: datetime
    kind: str
    actor_id: int | None
    data: dict[str, Any]
    visible_to_client: bool


@dataclass
class Message:
    """One item of the thread, as a person reads it."""

    kind: str  # description, question, answer, fix, workaround, reply, internal, line …
    label: str
    author: str
    support: bool  # written by vendor staff
    at: datetime
    text: str = ""
    details: list[tuple[str, str, bool]] = field(default_factory=list)  # label, text, pre
    attachments: list[Attachment] = field(default_factory=list)
    internal: bool = False
    line: bool = False  # a one-line state item, no text
    when: str = ""  # "08/12/2026 09:00" in the page's zone (set by build_thread)
    iso: str = ""  # the instant for <time datetime>

    @property
    def css(self) -> str:
        """The item's classes: its kind, who wrote it, internal or not."""
        side = "support" if self.support else "client"
        return " ".join(
            c for c in ("msg", f"msg-{self.kind}", side, "internal" if self.internal else "") if c
        )


def is_staff_author(user: Any) -> bool:
    """Whether a past actor wrote as vendor staff: a superuser or a vendor membership. Unlike
    ``tenants.access.is_vendor`` a deactivated technician's messages stay the support's."""
    if user is None:
        return False
    if user.is_superuser:
        return True
    try:
        return user.membership.client_id is None
    except ObjectDoesNotExist:
        return False


def person_name(user: Any, organisation: str = "") -> str:
    """A person's full name, never the login: without a name, "Équipe support" for vendor
    staff, the organisation's name for a client's user; "livret" for the system."""
    if user is None:
        return "livret"
    name = user.get_full_name().strip()
    if name:
        return str(name)
    if is_staff_author(user):
        return gettext("Équipe support")
    return organisation or gettext("Utilisateur du client")


def say_instant(at: datetime, zone: tzinfo) -> str:
    """ "jeudi 10/12/2026 à 14:30" in ``zone``."""
    local = at.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()]} {local:%d/%m/%Y} à {local:%H:%M}"


def _euros(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} € HT"


def _stamp(message: Message, zone: tzinfo) -> None:
    # Said once here rather than by the template's date filter, 200 times a page.
    local = message.at.astimezone(zone)
    message.when = f"{local:%d/%m/%Y %H:%M}"
    message.iso = local.isoformat()


def _line_text(event: TrailEvent) -> str:
    """What a state-only event adds to its label."""
    data = event.data or {}
    if event.kind == "priority-set" and data.get("priority") in Priority.values:
        return str(Priority(data["priority"]).label)
    if event.kind == "qualified":
        criticity = data.get("criticity")
        if criticity in Criticity.values:
            return gettext("criticité %(c)s") % {"c": Criticity(criticity).label}
        return gettext("hors anomalie")
    if event.kind == "mail-attachment-refused":
        return f"{data.get('filename', '')} : {data.get('reason', '')}"
    return ""


class _Builder:
    """Walks the trail once, keeping the messages a late attachment may join."""

    def __init__(
        self,
        item: Request,
        comments: Mapping[int, Comment],
        people: Mapping[int, Any],
        proposal: BillableProposal | None,
        vendor: bool,
        zone: tzinfo,
    ) -> None:
        self.item = item
        self.comments = comments
        self.people = people
        self.proposal = proposal
        self.vendor = vendor
        self.zone = zone
        self.organisation = item.client.name
        self._said: dict[str, str] = {}
        self._authors: dict[int | None, tuple[str, bool]] = {}

    def say(self, label: str) -> str:
        """``label`` translated, once per page."""
        if label not in self._said:
            self._said[label] = gettext(label)
        return self._said[label]

    def author(self, event: TrailEvent) -> tuple[str, bool]:
        """The actor's name and whether the actor is vendor staff, once per person."""
        key = event.actor_id
        if key not in self._authors:
            actor = self.people.get(key) if key else None
            self._authors[key] = (person_name(actor, self.organisation), is_staff_author(actor))
        return self._authors[key]

    def message(self, event: TrailEvent) -> Message | None:
        """The thread item of one event (None: not shown in the thread)."""
        data = event.data or {}
        name, support = self.author(event)
        if event.kind in TEXT_EVENTS:
            kind, label, key = TEXT_EVENTS[event.kind]
            text = str(data.get(key) or "")
            return Message(kind, self.say(label), name, support, event.at, text, line=not text)
        if event.kind == "fix-delivered":
            workaround = bool(data.get("workaround"))
            label = (
                N_("Solution de contournement livrée") if workaround else N_("Correction livrée")
            )
            kind = "workaround" if workaround else "fix"
            text = str(data.get("text", ""))
            return Message(kind, self.say(label), name, support, event.at, text)
        if event.kind == "comment":
            return self.comment(event, name, support)
        if event.kind == "remote-session":
            return Message(
                "remote-session",
                self.say(N_("Téléassistance programmée")),
                name,
                support,
                event.at,
                self.session_text(data),
            )
        if event.kind == "billable-proposal":
            return Message(
                "proposal",
                self.say(N_("Proposition de prestation payante")),
                name,
                support,
                event.at,
                self.proposal_text(data),
            )
        line = LINE_EVENTS.get(event.kind)
        if line is None:
            return None  # "registered" is the description; "attachment" is joined later
        text = _line_text(event)
        shown = f"{self.say(line)} : {text}" if text else self.say(line)
        return Message("line", shown, name, support, event.at, line=True)

    def comment(self, event: TrailEvent, name: str, support: bool) -> Message | None:
        note = self.comments.get(int((event.data or {}).get("comment") or 0))
        if note is None or (note.internal and not self.vendor):
            return None
        if note.internal:
            kind, label = "internal", self.say(N_("Note interne"))
        else:
            kind = "phone-call" if note.kind == CommentKind.PHONE_CALL else "reply"
            label = self.say(COMMENT_LABELS.get(note.kind, COMMENT_LABELS[CommentKind.REPLY]))
        return Message(kind, label, name, support, event.at, note.body, internal=note.internal)

    def session_text(self, data: dict[str, Any]) -> str:
        try:
            starts = datetime.fromisoformat(str(data.get("starts_at")))
        except ValueError:
            return ""
        return gettext("Séance le %(when)s (%(minutes)s minutes).") % {
            "when": say_instant(starts, self.zone),
            "minutes": data.get("minutes", "?"),
        }

    def proposal_text(self, data: dict[str, Any]) -> str:
        lines = [self.proposal.description] if self.proposal else []
        if data.get("service"):
            lines.append(gettext("Prestation : %(s)s") % {"s": data["service"]})
        if data.get("amount_eur"):
            lines.append(gettext("Montant : %(a)s") % {"a": _euros(data["amount_eur"])})
        if data.get("credits"):
            lines.append(gettext("Crédits de services : %(c)s") % {"c": data["credits"]})
        return "\n".join(lines)

    def description(self) -> Message:
        item = self.item
        details = [
            (gettext("Contexte"), item.context, False),
            (gettext("Messages d'erreur"), item.error_messages, True),
            (gettext("Enchaînement des menus"), item.menu_path, False),
        ]
        return Message(
            "description",
            gettext("Demande déposée (%(channel)s)") % {"channel": item.get_channel_display()},
            person_name(item.filer, self.organisation),
            is_staff_author(item.filer),
            item.registered_at,
            item.description,
            details=[d for d in details if d[1]],
        )


def build_thread(
    item: Request,
    events: Iterable[TrailEvent],
    *,
    comments: Mapping[int, Comment],
    attachments: Mapping[int, Attachment],
    people: Mapping[int, Any],
    proposal: BillableProposal | None = None,
    vendor: bool,
    zone: tzinfo,
) -> list[Message]:
    """The request's messages in the trail's order, the description first.

    ``vendor``: the reader is vendor staff (internal notes shown, marked); otherwise events
    hidden from the client and internal comments are left out. ``people``: the actors by id,
    with their memberships (a few people, not one row per event). ``zone`` is the zone the
    messages' times and a remote session's start are said in (the support calendar's).
    """
    builder = _Builder(item, comments, people, proposal, vendor, zone)
    first = builder.description()
    entries: list[Message | TrailEvent] = [first]
    hosts: dict[tuple[int | None, datetime], Message] = {}
    for event in events:
        if not vendor and not event.visible_to_client:
            continue
        if event.kind == "attachment":
            entries.append(event)
            continue
        message = builder.message(event)
        if message is None:
            continue
        entries.append(message)
        if not message.line:
            hosts[(event.actor_id, event.at)] = message
    thread: list[Message] = []
    for entry in entries:
        if isinstance(entry, Message):
            _stamp(entry, zone)
            thread.append(entry)
            continue
        attachment = attachments.get(int((entry.data or {}).get("attachment") or 0))
        if attachment is None:
            continue
        host = first if entry.at == item.registered_at else hosts.get((entry.actor_id, entry.at))
        if host is None:
            name, support = builder.author(entry)
            label = builder.say(N_("Pièce jointe"))
            host = Message("attachment", label, name, support, entry.at)
            _stamp(host, zone)
            hosts[(entry.actor_id, entry.at)] = host  # several files of one upload: one item
            thread.append(host)
        host.attachments.append(attachment)
    return thread
