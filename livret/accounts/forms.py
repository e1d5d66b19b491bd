"""Forms of the accounts pages; every field labelled, errors in French."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from livret.accounts import services
from livret.mail.services import queue_mail
from livret.tenants.models import CLIENT_ROLE_CHOICES, Role

THROTTLED_MESSAGE = _("Trop de tentatives de connexion. Réessayez dans 15 minutes.")


class ThrottledLoginMixin:
    """Refuse a login, before checking the password, when the username or the address has too
    many recent failures: one counter for the portal and the admin (issue 13, item 2).

    Failures are counted by the ``user_login_failed`` signal (``livret.accounts.signals``)."""

    request: Any
    data: Any

    def clean(self) -> dict[str, Any]:
        """The throttle first, then Django's check of the username and password."""
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        if services.throttled(self.data.get("username", ""), ip):
            raise ValidationError(THROTTLED_MESSAGE, code="throttled")
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        return cleaned


class ThrottledLoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The portal's login form."""


class ThrottledAdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The back office's login form (staff accounts only)."""


class OutboxPasswordResetForm(PasswordResetForm):
    """Password reset mails go through the outbox: an SMTP outage never breaks the page."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.template import loader

        # The link leads to LIVRET_SITE_URL, whatever host the request came in by.
        context = {**context, "site_url": settings.SITE_URL}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        user = context.get("user")
        names = [user.get_full_name()] if user is not None else []
        queue_mail([to_email], subject, body, reason="password-reset", names=names)


class NewAccountForm(forms.Form):
    """ACC-1: an account created by a client's administrator (its organisation only) or by
    the vendor (any organisation, or a vendor account when no client is chosen)."""

    username = forms.CharField(label=_("Identifiant"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    role = forms.ChoiceField(
        label=_("Rôle"),
        choices=CLIENT_ROLE_CHOICES,
    )


class VendorAccountForm(NewAccountForm):
    """The vendor's variant: any client, or none for vendor staff, and every role."""

    client = forms.ModelChoiceField(
        label=_("Organisation cliente"),
        queryset=None,
        required=False,
        empty_label=_("— aucune : compte de l'éditeur —"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from livret.tenants.models import Client

        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")
        self.fields["role"].choices = Role.choices
