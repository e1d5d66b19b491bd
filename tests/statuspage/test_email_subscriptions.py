"""E-mail subscriptions to the status page (MNT-3): double opt-in, one notification per event
with a one-click unsubscribe (RFC 8058), tenancy of what is sent — through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from livret.mail.models import OutgoingMail
from livret.mail.outbox import send_pending
from livret.status import services as status
from livret.statuspage.models import Delivery, Subscription
from livret.statuspage.notify import deliver_due, fan_out
from tests.helpers.clock import at
from tests.helpers.smtp import subject_of

pytestmark = pytest.mark.django_db


def run_worker() -> None:
    """One turn of the worker's mail and status-notification jobs."""
    now = timezone.now()
    send_pending(now)
    fan_out(now)
    deliver_due(now)


def link_in(message, kind: str) -> str:  # type: ignore[no-untyped-def]
    """The path of the confirmation or unsubscribe link in a mail body."""
    body = message.get_content()
    found = re.search(rf"https://statut\.editeur\.test(/statut/{kind}/[^/\s]+/)", body)
    assert found, body
    return found[1]


def subscribe(email: str = "abonne@exemple.test") -> None:
    response = Client().post("/statut/cegid/abonnement/", {"email": email})
    assert response.status_code == 302, response.content.decode()


def confirm_by_mail(smtp) -> None:  # type: ignore[no-untyped-def]
    run_worker()
    path = link_in(smtp.messages[-1], "confirmation")
    visitor = Client()
    page = visitor.get(path)
    assert "Confirmer mon abonnement" in page.content.decode()
    assert Subscription.objects.get(confirm_token=path.split("/")[-2]).confirmed_at is None
    assert visitor.post(path).status_code == 200


def new_public_incident(page, title: str = "Impression des factures impossible"):  # type: ignore[no-untyped-def]
    return status.declare_incident(
        page.tech, [page.b], title, "service", at("2026-11-24 09:58"), "Nous analysons."
    )


def test_it_sends_nothing_before_the_confirmation_link_is_used(page, smtp, clock) -> None:
    """Double opt-in: the form only sends the confirmation mail."""
    subscribe()
    run_worker()
    [confirmation] = smtp.messages
    assert confirmation["To"] == "abonne@exemple.test"
    assert subject_of(confirmation) == "Confirmez votre abonnement à l'état des services Cegid"
    assert "(valable 7 jours)" in confirmation.get_content()
    assert OutgoingMail.objects.get().reason == "status-subscription"
    new_public_incident(page)
    run_worker()
    assert len(smtp.messages) == 1  # the unconfirmed address got nothing
    assert not Delivery.objects.exists()


def test_it_mails_each_public_event_once_with_a_one_click_unsubscribe(page, smtp, clock) -> None:
    subscribe()
    confirm_by_mail(smtp)
    assert Subscription.objects.get().confirmed_at == at("2026-11-24 10:00")
    incident = new_public_incident(page)
    run_worker()
    run_worker()  # a second turn sends nothing again
    notifications = smtp.messages[1:]
    # the incident, and the service's state change it caused
    # (the service was already perturbed: no state change to announce)
    assert [subject_of(m) for m in notifications] == ["[Cegid] Impression des factures impossible"]
    message = notifications[0]
    body = message.get_content().replace("\r\n", "\n")
    # a letter (issue 12): greeting, the news, the vendor's signature, then the list footer
    assert body.startswith("Bonjour,\n\nNouvel incident — Cegid")
    assert "\nCordialement,\nL'équipe support Cegid\n\n--\nVous recevez ce message" in body
    assert "Nouvel incident — Cegid" in body
    assert "24/11/2026 10:00 (heure de Paris)" in body
    assert "Services : Quadra Entreprise On Demand" in body
    assert f"https://statut.editeur.test/statut/cegid/incidents/{incident.pk}/" in body
    unsubscribe = link_in(message, "desabonnement")
    # (a long header is folded onto a continuation line: the parser keeps the space)
    assert message["List-Unsubscribe"].strip() == f"<https://statut.editeur.test{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith("<livret.status.")
    assert "Client" not in body
    assert set(Delivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_it_unsubscribes_with_one_post_without_login_or_csrf_token(page, smtp, clock) -> None:
    """RFC 8058: the mail program POSTs ``List-Unsubscribe=One-Click`` to the header's URL."""
    subscribe()
    confirm_by_mail(smtp)
    new_public_incident(page)
    run_worker()
    unsubscribe = link_in(smtp.messages[1], "desabonnement")
    mail_program = Client(enforce_csrf_checks=True)
    answer = mail_program.post(
        unsubscribe,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    assert "Vous êtes désabonné" in answer.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.active, subscription.ended_at) == (False, at("2026-11-24 10:00"))
    sent = len(smtp.messages)
    new_public_incident(page, "Une autre panne")
    run_worker()
    assert len(smtp.messages) == sent  # nothing after unsubscribing
    # the link in the body shows a button first: a link checker unsubscribes nobody
    assert "Ne plus rien envoyer" not in Client().get(unsubscribe).content.decode()  # done


def test_it_asks_before_unsubscribing_from_the_link_in_the_body(page, smtp, clock) -> None:
    subscribe()
    confirm_by_mail(smtp)
    new_public_incident(page)
    run_worker()
    unsubscribe = link_in(smtp.messages[1], "desabonnement")
    shown = Client().get(unsubscribe)
    assert "Ne plus rien envoyer à abonne@exemple.test ?" in shown.content.decode()
    assert Subscription.objects.get().active  # a GET changes nothing
    assert Client().post(unsubscribe).status_code == 200
    assert not Subscription.objects.get().active


def test_it_drops_what_was_queued_when_the_subscription_ends(page, smtp, clock) -> None:
    subscribe()
    confirm_by_mail(smtp)
    new_public_incident(page)
    fan_out(timezone.now())  # queued, not sent yet
    subscription = Subscription.objects.get()
    Client().post(f"/statut/desabonnement/{subscription.unsubscribe_token}/")
    deliver_due(timezone.now())
    assert len(smtp.messages) == 1  # only the confirmation
    assert set(Delivery.objects.values_list("status", flat=True)) == {"dropped"}


def test_it_never_mails_a_public_subscriber_about_a_private_service(page, smtp, clock) -> None:
    subscribe()
    confirm_by_mail(smtp)
    status.declare_incident(
        page.tech, [page.a], "Panne chez Client A", "service", at("2026-11-24 09:59"), "…"
    )
    run_worker()
    assert len(smtp.messages) == 1
    assert not Delivery.objects.exists()


def test_it_mails_a_client_its_own_private_events_and_not_another_clients(
    page, smtp, clock
) -> None:
    """A client's person subscribes from the private page: their own address, their client's
    events as well as the public ones; client B's person never hears of A's."""
    page.personas.user_a.first_name, page.personas.user_a.last_name = "Claire", "Dupont"
    page.personas.user_a.save()
    for user in (page.personas.user_a, page.personas.user_b):
        person = Client()
        person.force_login(user)
        answer = person.post("/statut/cegid/abonnement/", {"scope": "private"})
        assert answer.status_code == 302 and answer["Location"] == "/statut/cegid/mon-espace/"
        confirm_by_mail(smtp)
    assert set(Subscription.objects.values_list("email", "client__name")) == {
        ("user-a@client-a.test", "Client A"),
        ("user-b@client-b.test", "Client B"),
    }
    before = len(smtp.messages)
    status.declare_incident(
        page.tech, [page.a], "Panne chez Client A", "service", at("2026-11-24 09:59"), "…"
    )
    run_worker()
    sent = smtp.messages[before:]
    assert {m["To"] for m in sent} == {"user-a@client-a.test"}
    assert "Services : Quadra — Client A" in sent[0].get_content()
    assert sent[0].get_content().startswith("Bonjour Claire Dupont,")  # the subscriber


def test_it_stops_a_private_subscription_when_its_person_leaves_the_client(
    page, smtp, clock
) -> None:
    person = Client()
    person.force_login(page.personas.user_a)
    person.post("/statut/cegid/abonnement/", {"scope": "private"})
    confirm_by_mail(smtp)
    page.personas.user_a.is_active = False
    page.personas.user_a.save()
    status.declare_incident(page.tech, [page.a], "Panne A", "service", at("2026-11-24 09:59"), "…")
    run_worker()
    assert len(smtp.messages) == 1  # the confirmation only
    assert not Delivery.objects.exists()


def test_it_sends_the_confirmation_again_only_after_ten_minutes(page, smtp, clock) -> None:
    subscribe()
    subscribe("ABONNE@exemple.test")  # same address, other case
    run_worker()
    assert len(smtp.messages) == 1
    clock.move_to(at("2026-11-24 10:11"))
    subscribe()
    run_worker()
    assert len(smtp.messages) == 2
    assert Subscription.objects.count() == 1
    assert link_in(smtp.messages[0], "confirmation") == link_in(smtp.messages[1], "confirmation")


def test_it_refuses_a_confirmation_link_older_than_seven_days(page, smtp, clock) -> None:
    subscribe()
    run_worker()
    path = link_in(smtp.messages[0], "confirmation")
    clock.move_to(at("2026-11-24 10:00") + timedelta(days=7, minutes=1))
    answer = Client().post(path)
    assert answer.status_code == 410
    assert "expiré" in answer.content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_it_answers_404_to_an_unknown_token(page) -> None:
    for path in ("/statut/confirmation/inconnu/", "/statut/desabonnement/inconnu/"):
        assert Client().get(path).status_code == 404
        assert Client().post(path).status_code == 404


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Indiquez votre adresse e-mail."),
        ("pas-une-adresse", "Cette adresse e-mail n&#x27;est pas valide"),
    ],
)
def test_it_refuses_a_bad_address_with_a_message_on_the_field(page, email, message) -> None:
    answer = Client().post("/statut/cegid/abonnement/", {"email": email})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert message in html
    assert 'id="id_email_error"' in html
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "client_a", "client_b", "technician"])
def test_it_shows_the_subscription_form_to_everyone(page, who) -> None:
    client = Client()
    user = {
        "anonymous": None,
        "client_a": page.personas.user_a,
        "client_b": page.personas.user_b,
        "technician": page.tech,
    }[who]
    if user is not None:
        client.force_login(user)
    html = client.get("/statut/cegid/abonnement/").content.decode()
    assert "S'abonner à l'état des services Cegid" in html
    assert "Client A" not in html and "Client B" not in html


@pytest.mark.parametrize("who", ["anonymous", "client_a", "client_b", "technician"])
def test_it_lets_the_token_alone_decide_on_the_mail_links(page, smtp, clock, who) -> None:
    """The confirmation and unsubscribe links work for whoever holds them, logged in or not
    (the address is the one that received them); an unknown token is 404 for everyone."""
    subscribe()
    run_worker()
    path = link_in(smtp.messages[0], "confirmation")
    client = Client()
    user = {
        "anonymous": None,
        "client_a": page.personas.user_a,
        "client_b": page.personas.user_b,
        "technician": page.tech,
    }[who]
    if user is not None:
        client.force_login(user)
    assert client.post(path).status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.confirmed_at is not None
    unsubscribe = f"/statut/desabonnement/{subscription.unsubscribe_token}/"
    assert client.post(unsubscribe).status_code == 200
    assert not Subscription.objects.get().active
    assert client.post("/statut/desabonnement/pas-un-jeton/").status_code == 404


def test_it_keeps_notifications_while_smtp_is_down_and_sends_them_once_back(
    page, smtp, clock
) -> None:
    subscribe("un@exemple.test")
    confirm_by_mail(smtp)
    subscribe("deux@exemple.test")
    confirm_by_mail(smtp)
    new_public_incident(page)
    smtp.stop()
    t0 = timezone.now()
    fan_out(t0)
    assert deliver_due(t0) == 0
    first, second = Delivery.objects.order_by("pk")
    assert (first.status, first.attempts) == ("pending", 1)
    assert "Connection refused" in first.last_error or "Errno" in first.last_error
    assert (second.status, second.attempts) == ("pending", 0)  # not tried: the server is down
    smtp.start()
    assert deliver_due(t0 + timedelta(seconds=30)) == 1  # the untried one goes at once
    assert deliver_due(t0 + timedelta(minutes=1)) == 1  # the other after its back-off
    assert deliver_due(t0 + timedelta(hours=1)) == 0
    notified = [m["To"] for m in smtp.messages if "[Cegid]" in str(m["Subject"])]
    assert sorted(notified) == ["deux@exemple.test", "un@exemple.test"]
