"""Fan-out of the status events to the subscriptions (MNT-3): once per (subscription, event),
who hears what (ACC-3), and the cursor that never loses an event committed out of order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from livret.status import services as status
from livret.status.models import StatusEvent
from livret.statuspage import services
from livret.statuspage.models import Delivery, FanOutCursor, Subscription
from livret.statuspage.notify import GAP_PATIENCE, fan_out
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


def hook(user, vendor: str = "cegid") -> Subscription:  # type: ignore[no-untyped-def]
    return services.add_webhook(user, vendor, f"https://{vendor}.test/hook", timezone.now())


def confirmed_email(vendor: str, email: str, user=None) -> Subscription:  # type: ignore[no-untyped-def]
    subscription = services.subscribe_email(vendor, email, timezone.now(), user=user)
    return services.confirm(subscription.confirm_token, timezone.now())


def heard(subscription: Subscription) -> list[str]:
    return list(
        Delivery.objects.filter(subscription=subscription)
        .order_by("event_id")
        .values_list("event__title", flat=True)
    )


def test_it_queues_an_event_once_per_subscription_however_often_it_runs(page, clock) -> None:
    subscription = confirmed_email("cegid", "abonne@exemple.test")
    status.declare_incident(
        page.tech, [page.b], "Panne", "service", at("2026-11-24 09:58"), "Analyse."
    )
    assert fan_out(timezone.now()) == 1
    # a replay of the same events (cursor moved back, as after a restore) adds nothing
    FanOutCursor.objects.update(position=0)
    assert fan_out(timezone.now()) == 0
    assert fan_out(timezone.now()) == 0
    assert heard(subscription) == ["Panne"]


def test_it_gives_each_subscriber_only_what_it_may_read(page, clock) -> None:
    """Public subscribers: public events of the vendor. Client A: its own and the public ones.
    Client B: its own and the public ones — never A's. Another vendor's page: nothing."""
    public = confirmed_email("cegid", "public@exemple.test")
    mine_a = confirmed_email("cegid", "", user=page.personas.user_a)
    mine_b = confirmed_email("cegid", "", user=page.personas.user_b)
    eksae = confirmed_email("eksae", "eksae@exemple.test")
    status.declare_incident(
        page.tech, [page.a], "Panne A", "service", at("2026-11-24 09:58"), "…", public=False
    )
    status.declare_incident(page.tech, [page.b], "Panne B", "service", at("2026-11-24 09:59"), "…")
    fan_out(timezone.now())
    assert heard(public) == ["Panne B"]
    assert heard(mine_a) == ["Panne A", "Panne B"]
    assert heard(mine_b) == ["Panne B"]
    assert heard(eksae) == []


def test_it_keeps_unconfirmed_and_ended_subscriptions_out(page, clock) -> None:
    waiting = services.subscribe_email("cegid", "attente@exemple.test", timezone.now())
    ended = confirmed_email("cegid", "parti@exemple.test")
    services.unsubscribe(ended.unsubscribe_token, timezone.now())
    status.declare_incident(page.tech, [page.b], "Panne", "service", at("2026-11-24 09:58"), "…")
    assert fan_out(timezone.now()) == 0
    assert heard(waiting) == [] and heard(ended) == []


def test_it_keeps_probe_written_events_private(page, clock) -> None:
    """A probe's messages name its target: public subscribers never get them (only the
    public service's change of state), nor does the client whose service it is: a draft is
    the vendor's until published (issue 12)."""
    public = confirmed_email("cegid", "public@exemple.test")
    mine_b = confirmed_email("cegid", "", user=page.personas.user_b)
    status.resolve_incident(page.tech, page.b_incident, at("2026-11-24 09:40"), "Rétabli.")
    probe = status.add_probe(page.tech, page.b, kind="http", target="https://b.internal/ping")
    fan_out(timezone.now())  # what came before the probe's downtime
    Delivery.objects.all().delete()
    status.record_probe_result(probe.pk, False, at("2026-11-24 09:59"), error="timeout")
    fan_out(timezone.now())
    assert heard(public) == ["Quadra Entreprise On Demand : Indisponible"]
    assert heard(mine_b) == ["Quadra Entreprise On Demand : Indisponible"]


def test_it_sends_update_announcements_to_the_offers_vendor(page, clock) -> None:
    """MNT-4 announcements concern an offer: its vendor's subscribers hear of them."""
    cegid = confirmed_email("cegid", "cegid@exemple.test")
    eksae = confirmed_email("eksae", "eksae@exemple.test")
    status.announce_update(
        page.tech, "quadra-entreprise", "new-version", "V9", at("2026-12-15 22:00")
    )
    fan_out(timezone.now())
    assert heard(cegid) == ["Quadra Entreprise On Demand V9 — Nouvelle version"]
    assert heard(eksae) == []


def test_it_picks_up_an_event_committed_after_a_later_one(page, clock) -> None:
    """On PostgreSQL, ids are taken at insert and committed in any order: an id the cursor
    passed is looked for again until it shows up (or GAP_PATIENCE passes)."""
    subscription = hook(page.tech)
    last = StatusEvent.objects.order_by("-pk").first()
    base = last.pk if last else 0

    def event(pk: int, title: str) -> None:
        StatusEvent.objects.create(
            pk=pk,
            at=timezone.now(),
            kind="incident.updated",
            incident=page.b_incident,
            public=True,
            clients=[page.personas.client_b.pk],
            title=title,
        )

    event(base + 1, "premier")
    event(base + 3, "troisième")  # committed before the second
    fan_out(timezone.now())
    assert heard(subscription) == ["premier", "troisième"]
    assert FanOutCursor.objects.get().gaps.keys() == {str(base + 2)}
    event(base + 2, "deuxième")  # its transaction commits now
    fan_out(timezone.now())
    assert heard(subscription) == ["premier", "deuxième", "troisième"]
    assert FanOutCursor.objects.get().gaps == {}


def test_it_stops_waiting_for_a_missing_id_after_a_while(page, clock) -> None:
    hook(page.tech)
    last = StatusEvent.objects.order_by("-pk").first()
    base = last.pk if last else 0
    StatusEvent.objects.create(
        pk=base + 2, at=timezone.now(), kind="incident.updated", public=True, title="x"
    )
    fan_out(timezone.now())
    assert FanOutCursor.objects.get().gaps.keys() == {str(base + 1)}  # rolled back, maybe
    fan_out(timezone.now() + GAP_PATIENCE + timedelta(seconds=1))
    assert FanOutCursor.objects.get().gaps == {}
