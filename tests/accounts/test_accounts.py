"""ACC-1..3: initial passwords, throttled login, account management by client admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from livret.accounts import services as accounts
from livret.accounts.models import ApiToken, LoginFailure
from livret.mail.models import OutgoingMail
from livret.tenants.models import Membership

pytestmark = pytest.mark.django_db


def test_it_forces_a_new_user_to_change_the_initial_password(client, personas) -> None:
    new = accounts.create_account(
        personas.user_a,
        client=personas.client_a,
        username="nouveau",
        email="n@a.test",
        role="client-user",
    )
    assert len(new.password) == 16
    assert (
        client.post("/connexion/", {"username": "nouveau", "password": new.password}).status_code
        == 302
    )
    assert client.get("/demandes/")["Location"] == "/compte/mot-de-passe/?initial=1"
    response = client.post(
        "/compte/mot-de-passe/",
        {
            "old_password": new.password,
            "new_password1": "Une-phrase-longue-2026",
            "new_password2": "Une-phrase-longue-2026",
        },
    )
    assert response.status_code == 302
    assert client.get("/demandes/").status_code == 200
    assert not Membership.objects.get(user=new.user).must_change_password


def test_it_throttles_logins_after_five_failures(client, personas) -> None:
    for _ in range(5):
        assert (
            client.post("/connexion/", {"username": "user-a", "password": "wrong"}).status_code
            == 200
        )
    blocked = client.post("/connexion/", {"username": "user-a", "password": "pw-user-a-2026"})
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.content.decode()


THROTTLED = "Trop de tentatives de connexion. Réessayez dans 15 minutes."


def _fail_five_times(client, url: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        response = client.post(url, {"username": "tech", "password": "wrong"})
        assert response.status_code == 200


def test_admin_login_is_refused_after_portal_failures(client, personas) -> None:
    """issue 13, item 2: the admin login shares the portal's counter and message."""
    _fail_five_times(client, "/connexion/")
    blocked = client.post("/admin/login/", {"username": "tech", "password": "pw-tech-2026"})
    assert blocked.status_code == 429
    assert THROTTLED in blocked.content.decode()
    assert client.get("/admin/").status_code == 302  # not logged in


def test_portal_login_is_refused_after_admin_failures(client, personas) -> None:
    """issue 13, item 2: failures on the admin login count on the portal too."""
    _fail_five_times(client, "/admin/login/")
    assert LoginFailure.objects.filter(username="tech").count() == 5
    blocked = client.post("/connexion/", {"username": "tech", "password": "pw-tech-2026"})
    assert blocked.status_code == 429
    assert THROTTLED in blocked.content.decode()


def test_admin_login_works_again_after_the_lock_window(client, personas) -> None:
    """issue 13, item 2: once the 15 minutes have passed, the right password logs in."""
    _fail_five_times(client, "/admin/login/")
    assert (
        client.post("/admin/login/", {"username": "tech", "password": "pw-tech-2026"}).status_code
        == 429
    )
    LoginFailure.objects.update(at=timezone.now() - accounts.THROTTLE_WINDOW - timedelta(minutes=1))
    response = client.post("/admin/login/", {"username": "tech", "password": "pw-tech-2026"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not LoginFailure.objects.filter(username="tech").exists()


def test_it_lets_a_client_admin_create_and_deactivate_accounts_at_once(client, personas) -> None:
    client.force_login(personas.user_a)
    response = client.post(
        "/compte/utilisateurs/",
        {"username": "compta", "email": "compta@a.test", "role": "client-user"},
    )
    assert "Mot de passe initial" in response.content.decode()
    member = Membership.objects.get(user__username="compta")
    assert member.client == personas.client_a and member.must_change_password

    other = client.__class__()
    other.force_login(member.user)
    ApiToken.objects.create(user=member.user, name="t", key_hash="x" * 64, prefix="xxxxxxxx")
    assert (
        client.post(f"/compte/utilisateurs/{member.user.pk}/actif/", {"active": "0"}).status_code
        == 302
    )
    member.user.refresh_from_db()
    assert not member.user.is_active
    assert other.get("/compte/mot-de-passe/").status_code == 302  # the session stopped working
    assert ApiToken.objects.get(user=member.user).revoked


def test_it_keeps_the_accounts_page_from_plain_client_users(client, personas) -> None:
    client.force_login(personas.user_b)
    assert client.get("/compte/utilisateurs/").status_code == 404


def test_it_shows_each_client_admin_only_its_own_accounts(client, personas) -> None:
    client.force_login(personas.user_a)
    page = client.get("/compte/utilisateurs/").content.decode()
    assert "user-a" in page and "user-b" not in page


def test_it_lets_the_vendor_create_accounts_of_any_kind(client, personas) -> None:
    client.force_login(personas.technician)
    page = client.get("/compte/utilisateurs/").content.decode()
    assert "user-a" in page and "user-b" in page and "tech" in page
    client.post(
        "/compte/utilisateurs/",
        {"username": "lead2", "email": "l@v.test", "role": "lead", "client": ""},
    )
    assert Membership.objects.get(user__username="lead2").client is None
    client.post(
        "/compte/utilisateurs/",
        {
            "username": "b2",
            "email": "b2@b.test",
            "role": "client-admin",
            "client": personas.client_b.pk,
        },
    )
    assert Membership.objects.get(user__username="b2").client == personas.client_b
    refused = client.post(
        "/compte/utilisateurs/",
        {"username": "bad", "email": "x@v.test", "role": "lead", "client": personas.client_b.pk},
    )
    assert "ce rôle ne correspond pas" in refused.content.decode()


def test_it_refuses_to_manage_an_account_of_another_client(client, personas) -> None:
    client.force_login(personas.user_a)
    assert (
        client.post(
            f"/compte/utilisateurs/{personas.user_b.pk}/actif/", {"active": "0"}
        ).status_code
        == 404
    )
    personas.user_b.refresh_from_db()
    assert personas.user_b.is_active


def test_it_sends_the_password_reset_link_through_the_outbox(client, personas) -> None:
    response = client.post("/compte/oubli/", {"email": "user-a@client-a.test"})
    assert response.status_code == 302
    mail = OutgoingMail.objects.get(reason="password-reset")
    assert mail.to == ["user-a@client-a.test"] and "/compte/oubli/" in mail.body


def test_it_hashes_passwords_with_argon2_in_production() -> None:
    from livret import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
