"""Tell the vendor's staff what happened on a request: in the in-app list, by mail, or both,
as each person chose for each kind (issue 12, "notifications to staff").

``livret.support`` decides who is told and calls :func:`notify` inside the transaction of the
change it reports, so a change that rolls back tells nobody; the mails go through the outbox
(``livret.mail.services.queue_mail``, decision 0007).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from livret.errors import NotFound, ServiceError
from livret.mail.letters import letter
from livret.mail.services import is_address, one_line, queue_mails
from livret.notifications.models import Kind, Notification, NotificationPreference

TITLE_LENGTH = 200
BODY_LENGTH = 500


@dataclass(frozen=True)
class Choice:
    """How a person hears of one kind (both ways when they never chose)."""

    kind: str
    label: str
    by_mail: bool
    in_app: bool


def _check_kind(kind: str) -> None:
    if kind not in Kind.values:
        raise ServiceError("invalid", f"type de notification inconnu « {kind} »", field="kind")


def _check(kind: str, link: str) -> None:
    _check_kind(kind)
    # The list sends the reader to the link: it must stay on this site.
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        raise ServiceError("invalid", "le lien doit être un chemin de ce site", field="link")


def notify(
    recipients: Iterable[User],
    kind: str,
    title: str,
    body: str,
    link: str,
    thread: str = "",
    *,
    vendor: str = "",
    at: datetime | None = None,
) -> list[Notification]:
    """Tell each recipient, once, the way they chose for ``kind``; return the in-app rows.

    Inactive people are skipped; people without a valid address get no mail. ``link`` is a
    path on this site; ``thread`` the request's number (the mail joins its conversation);
    ``vendor`` signs the mails; ``at`` dates the in-app rows (the mails are queued now, in
    order with the others). Call it inside the transaction of the change it reports.
    """
    _check(kind, link)
    people: dict[int, User] = {}
    for person in recipients:
        if person is not None and person.pk and person.is_active:
            people.setdefault(person.pk, person)
    if not people:
        return []
    chosen = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(user_id__in=list(people), kind=kind)
    }
    at = at or timezone.now()
    title = Truncator(one_line(title)).chars(TITLE_LENGTH)
    body = Truncator(body.strip()).chars(BODY_LENGTH)
    rows = [
        Notification(
            recipient=person,
            kind=kind,
            title=title,
            body=body,
            link=link,
            thread=thread,
            created_at=at,
        )
        for pk, person in people.items()
        if pk not in chosen or chosen[pk].in_app
    ]
    subject = f"[{thread}] {title}" if thread else title
    mails = [
        ([person.email], subject, mail_text(person, body, link, vendor))
        for pk, person in people.items()
        if (pk not in chosen or chosen[pk].by_mail) and is_address(person.email or "")
    ]
    # Both writes together; inside the caller's transaction, no savepoint of its own.
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create(rows)
        if mails:
            queue_mails(mails, reason=kind, thread=thread)
    return rows


def mail_text(person: User, body: str, link: str, vendor: str = "") -> str:
    """The mail of one notification: greeting, what happened, the link, the signature, and
    where to change what one receives."""
    site = settings.SITE_URL
    preferences = reverse("notification-preferences")
    text = letter(f"{body}\n\n{site}{link}", names=[person.get_full_name()], vendor=vendor)
    return (
        f"{text}\n-- \nVous recevez ce courriel selon vos préférences de notification : "
        f"{site}{preferences}\n"
    )


# --------------------------------------------------------------------------- the reader


def notifications_of(user: User) -> QuerySet[Notification]:
    """The person's own notifications, newest first (nobody reads another's)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_count(user: User) -> int:
    """How many of the person's notifications are unread (one count on a partial index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: User, notification_id: int, *, at: datetime | None = None) -> Notification:
    """Mark one of the person's notifications read (kept as first read); NotFound for any
    other id, whoever's it is."""
    found = notifications_of(user).filter(pk=notification_id).first()
    if found is None:
        raise NotFound("not-found", "aucune notification de ce numéro")
    if found.read_at is None:
        found.read_at = at or timezone.now()
        found.save(update_fields=["read_at"])
    return found


def mark_all_read(user: User, *, at: datetime | None = None) -> int:
    """Mark every unread notification of the person read; how many were."""
    return notifications_of(user).filter(read_at__isnull=True).update(read_at=at or timezone.now())


def preferences(user: User) -> list[Choice]:
    """The person's choice for every kind, in the order of :class:`Kind`."""
    rows = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        Choice(
            kind,
            str(label),
            rows[kind].by_mail if kind in rows else True,
            rows[kind].in_app if kind in rows else True,
        )
        for kind, label in Kind.choices
    ]


@transaction.atomic
def set_preferences(user: User, chosen: Mapping[str, tuple[bool, bool]]) -> list[Choice]:
    """Store (by mail, in the app) for each kind given; kinds not given keep their choice."""
    for kind, (by_mail, in_app) in chosen.items():
        _check_kind(kind)
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"by_mail": by_mail, "in_app": in_app}
        )
    return preferences(user)
