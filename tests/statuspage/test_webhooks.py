"""Webhook subscriptions (MNT-3): HMAC-signed POSTs to a real HTTP receiver, retried with
exponential back-off, delivered once per event, even with two workers at the same time."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from livret.status import services as status
from livret.statuspage import services
from livret.statuspage.models import Delivery, Subscription
from livret.statuspage.notify import deliver_due, fan_out
from livret.statuspage.rules import MAX_ATTEMPTS, retry_delay, signature_matches
from tests.helpers.clock import at

pytestmark = pytest.mark.django_db


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the receiver's own check of X-Livret-Signature
    answered: int


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that answers 500 to the first ``fail_first`` POSTs."""

    fail_first: int = 0
    answer: int = 200
    delay: float = 0.0
    secret: str = ""
    hits: list[Hit] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/livret"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                failing = len(receiver.hits) < receiver.fail_first
                code = 500 if failing else receiver.answer
                signed = signature_matches(
                    receiver.secret, body, self.headers.get("X-Livret-Signature", "")
                )
                receiver.hits.append(Hit(dict(self.headers), body, signed, code))
                self.send_response(code)
                if code in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver(settings):  # type: ignore[no-untyped-def]
    """A receiver on 127.0.0.1, which the operator's setting allows (issue 13, item 1)."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    server = Receiver()
    server.start()
    yield server
    server.stop()


def logged_in(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def add_hook(user: Any, url: str) -> tuple[Client, str]:
    """Add a webhook through the page; return the client and the secret it showed once."""
    client = logged_in(user)
    answer = client.post("/statut/cegid/webhooks/", {"url": url})
    assert answer.status_code == 200, answer.content.decode()
    secret = re.search(r'<code class="secret">([0-9a-f]{64})</code>', answer.content.decode())
    assert secret, answer.content.decode()
    return client, secret[1]


def public_incident(page: Any, title: str = "Impression impossible") -> Any:
    return status.declare_incident(
        page.tech, [page.b], title, "service", at("2026-11-24 09:58"), "Nous analysons."
    )


def test_it_retries_with_backoff_until_delivered_once_with_a_valid_signature(
    page, clock, receiver
) -> None:
    """The receiver fails twice, then answers 200: three POSTs of the same signed delivery,
    1 then 2 minutes apart, and one delivery recorded as delivered."""
    _, receiver.secret = add_hook(page.tech, receiver.url)
    receiver.fail_first = 2
    incident = public_incident(page)
    t0 = timezone.now()
    assert fan_out(t0) == 1
    assert deliver_due(t0) == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == t0 + timedelta(minutes=1)
    assert "HTTP Error 500" in delivery.last_error
    assert deliver_due(t0 + timedelta(seconds=59)) == 0  # not due yet
    assert len(receiver.hits) == 1
    assert deliver_due(t0 + timedelta(minutes=1)) == 0  # second failure: wait 2 minutes
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == t0 + timedelta(minutes=3)
    assert deliver_due(t0 + timedelta(minutes=3)) == 1
    for later in (5, 60, 600):
        assert fan_out(t0 + timedelta(minutes=later)) == 0
        assert deliver_due(t0 + timedelta(minutes=later)) == 0
    assert [h.answered for h in receiver.hits] == [500, 500, 200]
    assert all(h.signed for h in receiver.hits)
    assert {h.body for h in receiver.hits} == {receiver.hits[0].body}  # same body each time
    assert {h.headers["X-Livret-Delivery"] for h in receiver.hits} == {str(delivery.pk)}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, "")
    assert delivery.delivered_at == t0 + timedelta(minutes=3)
    hit = receiver.hits[-1]
    assert hit.headers["X-Livret-Event"] == "incident.created"
    assert hit.headers["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(hit.body)
    assert document["delivery"] == delivery.pk
    assert document["vendor"] == {"slug": "cegid", "name": "Cegid"}
    event = document["event"]
    assert (event["kind"], event["title"]) == ("incident.created", "Impression impossible")
    assert event["services"] == [
        {"slug": "quadra-entreprise-on-demand", "label": "Quadra Entreprise On Demand"}
    ]
    assert event["incident"]["id"] == incident.pk
    assert event["url"].endswith(f"/statut/cegid/incidents/{incident.pk}/")


def test_it_signs_the_raw_body_with_hmac_sha256(page, clock, receiver) -> None:
    _, secret = add_hook(page.tech, receiver.url)
    receiver.secret = secret
    public_incident(page)
    fan_out(timezone.now())
    deliver_due(timezone.now())
    [hit] = receiver.hits
    expected = hmac.new(secret.encode(), hit.body, hashlib.sha256).hexdigest()
    assert hit.headers["X-Livret-Signature"] == f"sha256={expected}"
    assert not signature_matches("another-secret", hit.body, hit.headers["X-Livret-Signature"])


def test_it_gives_up_after_the_last_attempt(page, clock, receiver) -> None:
    _, receiver.secret = add_hook(page.tech, receiver.url)
    receiver.fail_first = 100
    public_incident(page)
    now = timezone.now()
    fan_out(now)
    for _ in range(MAX_ATTEMPTS + 3):
        deliver_due(now)
        now += timedelta(hours=2)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert len(receiver.hits) == MAX_ATTEMPTS


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60)]
)
def test_it_waits_longer_after_each_failure_up_to_an_hour(attempts, minutes) -> None:
    assert retry_delay(attempts) == timedelta(minutes=minutes)


def test_it_treats_a_redirect_as_a_failure_and_does_not_follow_it(page, clock, receiver) -> None:
    _, receiver.secret = add_hook(page.tech, receiver.url)
    receiver.answer = 302
    public_incident(page)
    fan_out(timezone.now())
    assert deliver_due(timezone.now()) == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "302" in delivery.last_error


def test_it_gives_up_a_slow_receiver_after_the_timeout(page, clock, receiver, monkeypatch) -> None:
    from livret.statuspage import notify

    monkeypatch.setattr(notify, "WEBHOOK_TIMEOUT", 0.3)
    _, receiver.secret = add_hook(page.tech, receiver.url)
    receiver.delay = 1.0
    public_incident(page)
    fan_out(timezone.now())
    assert deliver_due(timezone.now()) == 0
    assert "timed out" in Delivery.objects.get().last_error


def test_it_sends_a_client_webhook_its_private_events_and_the_public_ones(
    page, clock, receiver
) -> None:
    """Client A's administrator's webhook gets A's private incident; the vendor's public
    webhook does not; neither ever gets client B's private events."""
    _, receiver.secret = add_hook(page.personas.user_a, receiver.url)
    public_hook = Receiver()
    public_hook.start()
    try:
        _, public_hook.secret = add_hook(page.tech, public_hook.url)
        status.declare_incident(
            page.tech, [page.a], "Panne chez Client A", "service", at("2026-11-24 09:59"), "…"
        )
        public_incident(page)
        fan_out(timezone.now())
        deliver_due(timezone.now())
        mine = [json.loads(h.body)["event"]["title"] for h in receiver.hits]
        public = [json.loads(h.body)["event"]["title"] for h in public_hook.hits]
    finally:
        public_hook.stop()
    assert sorted(mine) == sorted(
        ["Panne chez Client A", "Impression impossible"]  # (A was already perturbed)
    )
    assert public == ["Impression impossible"]
    assert all(h.signed for h in receiver.hits)


def test_it_never_delivers_an_event_from_before_the_webhook(page, clock, receiver) -> None:
    public_incident(page, "Avant le webhook")
    _, receiver.secret = add_hook(page.tech, receiver.url)
    fan_out(timezone.now())
    deliver_due(timezone.now())
    assert receiver.hits == []


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_workers_send_a_delivery(personas, receiver) -> None:
    """Two workers run the delivery job at the same instant: the compare-and-swap claim lets
    one of them send; the receiver gets exactly one POST.

    PostgreSQL only: the SQLite test database is a shared in-memory cache whose table locks
    fail at once instead of waiting ("database table is locked"); a served SQLite file waits
    (IMMEDIATE transactions with a timeout), as the monitoring ingestion test says too."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (the SQLite test database cannot wait)")
    from livret.status import services as status_services

    tech = personas.technician
    b = status_services.create_service(
        tech, personas.client_b.contracts.get(), name="B", public=True, public_label="Quadra"
    )
    hook = services.add_webhook(tech, "cegid", receiver.url, timezone.now())
    receiver.secret = hook.secret
    receiver.delay = 0.5  # both workers are inside deliver_due while the first one posts
    status_services.declare_incident(
        tech, [b], "Panne", "service", timezone.now() - timedelta(minutes=1), "…"
    )
    now = timezone.now()
    fan_out(now)
    assert Delivery.objects.count() == 2  # the incident and the state change
    results: list[int] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(deliver_due(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(results) == 2
    assert len(receiver.hits) == 2
    assert len({h.headers["X-Livret-Delivery"] for h in receiver.hits}) == 2
    assert set(Delivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://exemple.fr/hook", "doit commencer par http:// ou https:// (protocole : ftp)"),
        ("javascript:alert(1)", "doit commencer par http:// ou https://"),
        ("exemple.fr/hook", "doit commencer par http:// ou https:// (protocole : aucun)"),
        ("https://", "doit nommer un serveur"),
        ("https://moi:secret@exemple.fr/", "ne doit pas contenir d&#x27;identifiant"),
        ("", "Indiquez l&#x27;adresse du webhook."),
    ],
)
def test_it_refuses_a_webhook_url_that_is_not_http_with_a_clear_error(page, url, message) -> None:
    answer = logged_in(page.tech).post("/statut/cegid/webhooks/", {"url": url})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert message in html
    assert 'id="id_url_error"' in html
    assert not Subscription.objects.filter(channel="webhook").exists()


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("anonymous", 302), ("client_a", 200), ("client_b", 404), ("technician", 200)],
)
def test_it_opens_the_webhook_page_to_client_admins_and_vendor_staff(
    page, who, status_code
) -> None:
    """Client B's person is a plain user (not an administrator): no webhook page for them."""
    user = {
        "anonymous": None,
        "client_a": page.personas.user_a,
        "client_b": page.personas.user_b,
        "technician": page.tech,
    }[who]
    assert logged_in(user).get("/statut/cegid/webhooks/").status_code == status_code


def test_it_lists_and_removes_only_the_webhooks_of_ones_own_client(page, clock) -> None:
    mine = services.add_webhook(page.personas.user_a, "cegid", "https://a.test/h", timezone.now())
    public = services.add_webhook(page.tech, "cegid", "https://vendor.test/h", timezone.now())
    html = logged_in(page.personas.user_a).get("/statut/cegid/webhooks/").content.decode()
    assert "https://a.test/h" in html and "https://vendor.test/h" not in html
    assert mine.secret not in html  # shown once, at creation only
    tech_html = logged_in(page.tech).get("/statut/cegid/webhooks/").content.decode()
    assert "https://vendor.test/h" in tech_html and "https://a.test/h" not in tech_html
    # neither may remove the other's
    tech = logged_in(page.tech)
    assert tech.post(f"/statut/cegid/webhooks/{mine.pk}/supprimer/").status_code == 404
    client_b = logged_in(page.personas.user_b)
    assert client_b.post(f"/statut/cegid/webhooks/{mine.pk}/supprimer/").status_code == 404
    a = logged_in(page.personas.user_a)
    assert a.post(f"/statut/cegid/webhooks/{public.pk}/supprimer/").status_code == 404
    assert a.post(f"/statut/cegid/webhooks/{mine.pk}/supprimer/").status_code == 302
    assert list(Subscription.objects.filter(active=True)) == [public]
