"""Webhooks reach public addresses only (issue 13, item 1: server-side request forgery).

A client's webhook must not make the worker POST to 127.0.0.1, the private network or the cloud
metadata service: refused when it is added, and again at each delivery after resolving the
name (a name may resolve elsewhere by then: DNS rebinding)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from livret.errors import ServiceError
from livret.statuspage import services, targets
from livret.statuspage.models import Delivery, Subscription
from livret.statuspage.notify import deliver_due, fan_out
from tests.statuspage.test_webhooks import Receiver, logged_in, public_incident

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    "http://127.0.0.1:8080/hooks",
    "http://10.1.2.3/hooks",
    "http://192.168.1.10/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://[fd00::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://224.0.0.1/hooks",
    "http://0.0.0.0/hooks",
    "http://localhost:9000/hooks",  # a name that resolves to 127.0.0.1
]
REFUSED = "cette adresse mène à un réseau privé ou local"


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_it_refuses_a_private_webhook_address_when_it_is_added(page, url) -> None:
    """Issue 13, item 1: the service refuses it on the field "url", in French."""
    with pytest.raises(ServiceError) as refused:
        services.add_webhook(page.tech, "cegid", url, timezone.now())
    assert refused.value.field == "url"
    assert refused.value.message.startswith(f"Adresse du webhook : {REFUSED}")
    assert not Subscription.objects.filter(channel="webhook").exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "http://localhost:9000/hooks"])
def test_the_webhook_page_shows_why_a_private_address_is_refused(page, url) -> None:
    """Issue 13, item 1: the form answers 400 with the message on the URL field."""
    answer = logged_in(page.personas.user_a).post("/statut/cegid/webhooks/", {"url": url})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "réseau privé ou local" in html
    assert 'id="id_url_error"' in html
    assert not Subscription.objects.filter(channel="webhook").exists()


def test_the_operator_may_allow_a_named_private_host(page, settings) -> None:
    """Issue 13, item 1: LIVRET_WEBHOOK_ALLOWED_HOSTS lets a listed host through."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    hook = services.add_webhook(page.tech, "cegid", "http://localhost:9000/h", timezone.now())
    assert hook.webhook_url == "http://localhost:9000/h"
    with pytest.raises(ServiceError):  # only the hosts listed
        services.add_webhook(page.tech, "cegid", "http://127.0.0.1:9000/h", timezone.now())


def test_it_refuses_at_delivery_a_name_that_now_resolves_to_loopback(
    page, clock, receiver, monkeypatch
) -> None:
    """Issue 13, item 1: public when added, 127.0.0.1 when delivered (DNS rebinding): the
    receiver gets nothing and the delivery fails at once with the reason."""
    monkeypatch.setattr(targets, "resolve", lambda host, port: ["93.184.215.14"])
    port = receiver.url.split(":")[2].split("/")[0]
    services.add_webhook(page.tech, "cegid", f"http://hooks.example.com:{port}/h", timezone.now())
    monkeypatch.setattr(targets, "resolve", lambda host, port: ["93.184.215.14", "127.0.0.1"])
    public_incident(page)
    fan_out(timezone.now())
    assert deliver_due(timezone.now()) == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "hooks.example.com mène à 127.0.0.1 (réseau privé ou local)" in delivery.last_error
    assert receiver.hits == []


def test_it_connects_to_the_checked_address_and_names_the_host(
    page, clock, receiver, monkeypatch, settings
) -> None:
    """Issue 13, item 1: the worker resolves once, connects to that address (no second
    lookup) and still sends the webhook's own host name in the Host header."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.com"]
    lookups: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(targets, "resolve", resolve)
    port = receiver.url.split(":")[2].split("/")[0]
    hook = services.add_webhook(
        page.tech, "cegid", f"http://hooks.example.com:{port}/h?x=1", timezone.now()
    )
    receiver.secret = hook.secret
    public_incident(page)
    fan_out(timezone.now())
    assert deliver_due(timezone.now()) == 1
    [hit] = receiver.hits
    assert hit.headers["Host"] == f"hooks.example.com:{port}"
    assert hit.signed
    assert lookups == ["hooks.example.com"]  # at delivery only: the host is allowed


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("169.254.169.254", True),
        ("239.1.1.1", True),
        ("240.0.0.1", True),
        ("::1", True),
        ("::", True),
        ("fc00::1", True),
        ("fe80::1%eth0", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", True),  # NAT64 of 169.254.169.254
        ("93.184.215.14", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:93.184.215.14", True),  # mapped addresses are not routable as such
    ],
)
def test_it_tells_public_addresses_from_the_others(address: str, forbidden: bool) -> None:
    """Issue 13, item 1."""
    assert targets.is_forbidden(address) is forbidden
